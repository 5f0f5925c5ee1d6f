import { AuditError } from './audit.error';

/**
 * A personal-data ciphertext or a wrapped subject key does not open: it was moved to another
 * subject or field, altered, or the key-encryption key is not the one that wrapped the subject's
 * key (restore `AUDIT_SUBJECT_KEK` or the `subject-kek` file). Never thrown for an erased subject:
 * its values read as `[ERASED]`. Messages name the subject, never a value or key material.
 */
export class PersonalDataUnreadableError extends AuditError {
  readonly code = 'AUDIT_PERSONAL_DATA_UNREADABLE';
}
