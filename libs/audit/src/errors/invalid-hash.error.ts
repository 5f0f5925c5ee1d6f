import { AuditError } from './audit.error';

/** A hash input that is not a SHA-256 digest (32 bytes). */
export class InvalidHashError extends AuditError {
  readonly code = 'AUDIT_INVALID_HASH';
}
