import { AuditError } from './audit.error';

/** An export or archive request that cannot be served as given (bad dates, nothing to anchor on). */
export class InvalidExportRequestError extends AuditError {
  readonly code = 'AUDIT_INVALID_EXPORT_REQUEST';
}
