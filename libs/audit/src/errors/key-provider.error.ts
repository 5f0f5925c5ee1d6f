import { AuditError } from './audit.error';

/** The key provider cannot supply or create the key asked for. Messages never hold key material. */
export class KeyProviderError extends AuditError {
  readonly code = 'AUDIT_KEY_PROVIDER';
}
