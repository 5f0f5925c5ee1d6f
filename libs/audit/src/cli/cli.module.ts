import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { auditOptionsFromEnv } from '../audit-env';
import { AuditModule } from '../audit.module';
import { AUDIT_ENTITIES } from '../storage/audit-entities';
import type { CliEnvironment } from './cli-environment';

/**
 * The application the CLI builds for itself. NOTE: the CLI runs outside any app, so unlike the
 * library (STYLE.md §8) it owns the MikroORM and BullMQ roots: the store's database with the
 * library's entities only (no migrations: the CLI never changes the schema), and the sealing
 * queue, so that the events it records are sealed by the running workers. No worker, no API:
 * the CLI never seals or serves.
 */
@Module({})
export class CliModule {
  static forRoot(env: CliEnvironment): DynamicModule {
    return {
      module: CliModule,
      imports: [
        MikroOrmModule.forRoot({
          driver: PostgreSqlDriver,
          clientUrl: env.databaseUrl,
          entities: AUDIT_ENTITIES,
          // NOTE: never create a database the URL names by mistake.
          ensureDatabase: false,
          registerRequestContext: false,
          pool: { min: 0, max: 4 },
          debug: false,
        }),
        BullModule.forRoot({ connection: { url: env.redisUrl }, prefix: env.queuePrefix }),
        AuditModule.forRoot({
          // The keys, witness, archive and log origin the app's workers use (AUDIT_*).
          ...auditOptionsFromEnv(env.variables),
          inProcessWorker: false,
          graphql: false,
          systemActor: { id: `operator:${env.operator}`, display: env.operator },
        }),
      ],
    };
  }
}
