import { AuditError } from './audit.error';

/** A signed note (or a key in signed-note form) that is malformed or does not verify. */
export class InvalidNoteError extends AuditError {
  readonly code = 'AUDIT_NOTE_INVALID';
}
