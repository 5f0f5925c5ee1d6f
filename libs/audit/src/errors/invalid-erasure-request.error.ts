import { AuditError } from './audit.error';

/** An erasure request without a subject id or a reason: nothing was erased. */
export class InvalidErasureRequestError extends AuditError {
  readonly code = 'AUDIT_INVALID_ERASURE';
}
