import type { Provider } from '@nestjs/common';
import { AuditQueryService } from '../query/audit-query.service';
import { AuditInputGuard } from './audit-input.guard';
import { AuditQueryResolver } from './audit-query.resolver';
import { AuditReadGuard } from './audit-read.guard';

/** What `AuditModule` adds for the GraphQL API (left out with `graphql: false`). */
export const AUDIT_GRAPHQL_PROVIDERS: Provider[] = [
  AuditQueryService,
  AuditInputGuard,
  AuditReadGuard,
  AuditQueryResolver,
];
