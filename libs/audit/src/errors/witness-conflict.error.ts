import { AuditError } from './audit.error';

/** The witness holds another checkpoint than the submitter expected (a concurrent submit won). */
export class WitnessConflictError extends AuditError {
  readonly code = 'AUDIT_WITNESS_CONFLICT';
}
