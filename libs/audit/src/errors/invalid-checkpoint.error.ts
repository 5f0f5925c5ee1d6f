import { AuditError } from './audit.error';

/** A checkpoint's text is not a well-formed C2SP tlog-checkpoint body as this library writes it. */
export class InvalidCheckpointError extends AuditError {
  readonly code = 'AUDIT_CHECKPOINT_INVALID';
}
