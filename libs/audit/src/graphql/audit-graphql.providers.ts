import type { Provider } from '@nestjs/common';
import { AuditInputGuard } from './audit-input.guard';
import { AuditQueryResolver } from './audit-query.resolver';
import { AuditReadGuard } from './audit-read.guard';
import { AuditRevertResolver } from './audit-revert.resolver';

/** What `AuditModule` adds for the GraphQL API (left out with `graphql: false`). */
export const AUDIT_GRAPHQL_PROVIDERS: Provider[] = [
  AuditInputGuard,
  AuditReadGuard,
  AuditQueryResolver,
  AuditRevertResolver,
];
