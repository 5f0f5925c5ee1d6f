import { AuditError } from './audit.error';

/** The witness refused a checkpoint or key change: it is not a consistent, validly signed successor. */
export class WitnessRejectedError extends AuditError {
  readonly code = 'AUDIT_WITNESS_REJECTED';
}
