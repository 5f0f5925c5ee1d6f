import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { AuditModuleOptions } from './audit-options.interface';
import { AUDIT_GRAPHQL_PROVIDERS } from './graphql/audit-graphql.providers';
import { auditStoreProvider } from './storage/audit-store';

export const {
  ConfigurableModuleClass: AuditConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_MODULE_OPTIONS,
  OPTIONS_TYPE: AUDIT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AUDIT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuditModuleOptions>()
  .setClassMethodName('forRoot')
  // `graphql: false` leaves the audit GraphQL API out (an app without GraphQL, or its own API).
  // `storeConnection`: the `contextName` of the MikroORM connection that holds the sealed store,
  // for an audit database apart from the application's (give it `AUDIT_ENTITIES` and run
  // `AUDIT_MIGRATIONS` on it too). The outbox stays in the application's database, so events
  // still commit with the business change. Default: the application's (default) connection.
  .setExtras({ isGlobal: true, graphql: true, storeConnection: '' }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    providers: [
      ...(definition.providers ?? []),
      auditStoreProvider(extras.storeConnection),
      ...(extras.graphql ? AUDIT_GRAPHQL_PROVIDERS : []),
    ],
  }))
  .build();
