import { AuditError } from './audit.error';

/** A retention rule or legal hold request that cannot be applied as given. */
export class InvalidRetentionInputError extends AuditError {
  readonly code = 'AUDIT_INVALID_RETENTION_INPUT';
}
