import { Migrator } from '@mikro-orm/migrations';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { BullModule } from '@nestjs/bullmq';
import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import {
  AUDIT_MIGRATIONS,
  AuditModule,
  auditErrorFormatter,
  auditOptionsFromEnv,
  auditQueryLimits,
} from 'audit-ledger';
import { Order } from './order.entity';
import { MigrationOrders } from './orders.migration';
import { OrdersController, OrdersService } from './orders';

/**
 * Stands in for your authentication: the audit API reads `req.user` ({ sub, role, tenantId };
 * `tenantId: null` reads every tenant, a missing one reads nothing). Use your real guard.
 */
function auditorFromToken(
  req: { headers: { authorization?: string }; user?: object },
  _res: unknown,
  next: () => void,
) {
  if (process.env.AUDITOR_TOKEN && req.headers.authorization === `Bearer ${process.env.AUDITOR_TOKEN}`)
    req.user = { sub: 'auditor-1', username: 'auditor', role: 'auditor', tenantId: null };
  next();
}

const limits = auditQueryLimits();

@Module({
  imports: [
    MikroOrmModule.forRoot({
      driver: PostgreSqlDriver,
      clientUrl: process.env.DATABASE_URL,
      entities: [Order],
      autoLoadEntities: true, // the library's entities too
      extensions: [Migrator],
      migrations: {
        snapshot: false, // no .snapshot-<db>.json written beside the app after migrating
        migrationsList: [...AUDIT_MIGRATIONS, { name: 'MigrationOrders', class: MigrationOrders }],
      },
    }),
    BullModule.forRoot({
      connection: { url: process.env.REDIS_URL },
      prefix: process.env.QUEUE_PREFIX ?? 'orders',
    }),
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      context: ({ req }: { req: unknown }) => ({ req }),
      formatError: auditErrorFormatter(),
      validationRules: limits.validationRules,
      plugins: limits.plugins,
    }),
    // Signing keys and witness from AUDIT_KEY_DIR / AUDIT_WITNESS_DIR (required in production).
    AuditModule.forRoot(auditOptionsFromEnv(process.env)),
  ],
  controllers: [OrdersController],
  providers: [OrdersService],
})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(auditorFromToken).forRoutes('/');
  }
}
