import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, ValidationPipe } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { JwtModule } from '@nestjs/jwt';
import { TerminusModule } from '@nestjs/terminus';
import { AuditModule, auditErrorFormatter, auditQueryLimits, auditRequestPlugin } from 'audit-ledger';
import { auditOptions } from './audit-options.factory';
import { AuthGuard } from './auth/auth.guard';
import { AuthResolver } from './auth/auth.resolver';
import { AuthService } from './auth/auth.service';
import { appConfig } from './config/app-config.provider';
import { HealthController } from './health/health.controller';
import { MetricsController } from './health/metrics.controller';
import { InfrastructureModule } from './infrastructure.module';
import { InternalErrorFilter } from './internal-error.filter';
import { DemoSeedService } from './seed/demo-seed.service';
import { UsersController } from './users/users.controller';
import { UsersResolver } from './users/users.resolver';
import { UsersService } from './users/users.service';

const queryLimits = auditQueryLimits();

@Module({
  imports: [
    InfrastructureModule,
    AuditModule.forRootAsync({ useFactory: () => auditOptions() }),
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      sortSchema: true,
      path: '/graphql',
      context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
      // Refuses too deep or too large queries before they read anything.
      validationRules: queryLimits.validationRules,
      // auditRequestPlugin: each operation's name and the status its errors stand for, in its http.request entry.
      plugins: [...queryLimits.plugins, auditRequestPlugin()],
      // No internal error text, stack trace or schema hint reaches a client: masked with an errorId.
      formatError: auditErrorFormatter({ clientCodes: ['TOO_MANY_REQUESTS'] }),
      includeStacktraceInErrorResponses: false,
      hideSchemaDetailsFromClientErrors: true,
    }),
    TerminusModule,
    JwtModule.registerAsync({
      global: true,
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => ({
        secret: config.jwtSecret,
        signOptions: { algorithm: 'HS256', expiresIn: '1h' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [UsersController, HealthController, MetricsController],
  providers: [
    UsersService,
    UsersResolver,
    AuthService,
    AuthResolver,
    DemoSeedService,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: InternalErrorFilter },
    {
      provide: APP_PIPE,
      useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
    },
  ],
})
export class AppModule {}
