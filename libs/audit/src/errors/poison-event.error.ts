import { AuditError } from './audit.error';

/**
 * An outbox event that can never be sealed as it stands (a malformed payload, a value PostgreSQL
 * rejects). The worker retries it `deadLetter.maxAttempts` times, then parks it as a dead letter;
 * the entity's later events wait behind it. Fix the cause (a deploy, or the row), then
 * `AuditDeadLetters.retry(eventId)`.
 */
export class PoisonEventError extends AuditError {
  readonly code = 'AUDIT_POISON_EVENT';
}
