import { AuditError } from './audit.error';

/** What was asked for lies before the archive cut: read it from the archive segment (docs/retention.md). */
export class AuditArchivedError extends AuditError {
  readonly code = 'AUDIT_ARCHIVED';
}
