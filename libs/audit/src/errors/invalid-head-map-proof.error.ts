import { AuditError } from './audit.error';

/**
 * An entity heads map proof is malformed or does not lead to the signed root: the entity head it
 * claims must not be trusted. Fetch the proof again for the same checkpoint; if it still fails, the
 * log served a map that its signed checkpoint does not commit to.
 */
export class InvalidHeadMapProofError extends AuditError {
  readonly code = 'AUDIT_HEAD_MAP_PROOF_INVALID';
}
