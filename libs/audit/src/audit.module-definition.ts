import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { AuditModuleOptions } from './audit-options.interface';
import { AUDIT_GRAPHQL_PROVIDERS } from './graphql/audit-graphql.providers';

export const {
  ConfigurableModuleClass: AuditConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_MODULE_OPTIONS,
  OPTIONS_TYPE: AUDIT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AUDIT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuditModuleOptions>()
  .setClassMethodName('forRoot')
  // `graphql: false` leaves the audit GraphQL API out (an app without GraphQL, or its own API).
  .setExtras({ isGlobal: true, graphql: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    providers: [...(definition.providers ?? []), ...(extras.graphql ? AUDIT_GRAPHQL_PROVIDERS : [])],
  }))
  .build();
