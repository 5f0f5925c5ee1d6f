import { AuditError } from './audit.error';

/**
 * The witness holds nothing (no published key, no checkpoint) while the store has checkpoints:
 * the witness the process was pointed at is not the one the store publishes to (a wrong
 * `AUDIT_WITNESS_DIR`, an unmounted volume). A configuration problem, never reported as
 * tampering: nothing can be verified against an empty witness.
 */
export class WitnessUnavailableError extends AuditError {
  readonly code = 'AUDIT_WITNESS_UNAVAILABLE';
}
