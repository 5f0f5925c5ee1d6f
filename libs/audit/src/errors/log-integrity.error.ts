import { AuditError } from './audit.error';

/**
 * The log in the database no longer extends what was signed or witnessed (restored from an older
 * backup, newest checkpoints deleted, leaves changed). The worker refuses to sign anything on top
 * of it: an operator must investigate (`verifyAuditLog`) before sealing resumes.
 */
export class LogIntegrityError extends AuditError {
  readonly code = 'AUDIT_LOG_INTEGRITY';
}
