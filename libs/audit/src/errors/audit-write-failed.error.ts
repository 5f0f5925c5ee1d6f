import { AuditError } from './audit.error';

/**
 * The audit event could not be written to the outbox. The business change it belongs to has been
 * rolled back: auditing is not best-effort (STYLE.md §5).
 */
export class AuditWriteFailedError extends AuditError {
  readonly code = 'AUDIT_WRITE_FAILED';

  constructor(eventId: string, cause: unknown) {
    super(
      `Audit event ${eventId} could not be written to the outbox, so the change was rolled back. ` +
        'Check that the audit migrations have run (docs/sealing.md) and that the database is reachable.',
      { cause },
    );
  }
}
