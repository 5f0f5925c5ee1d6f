import { LOG_VERIFICATION_ENTITY } from '../events/library-entities';
import type { RecordAuditEventInput } from '../events/record-audit-event.input';
import type { LogVerification } from './log-verification';

/** Failures a run's event lists at most (all of them are counted). */
const LISTED_FAILURES = 20;

/**
 * A log verification run as the event that records it (entity `audit.log_verification`, id: the
 * log's origin): the result, sealed like any other event, so "when was the log last verified, by
 * whom, and what did it find" is answered from the ledger itself (the viewer's Integrity page).
 */
export function logVerificationEvent(result: LogVerification, origin: string): RecordAuditEventInput {
  return {
    action: result.valid ? 'LOG_VERIFIED' : 'LOG_VERIFICATION_FAILED',
    entityType: LOG_VERIFICATION_ENTITY,
    entityId: origin,
    metadata: {
      valid: result.valid,
      mode: result.mode,
      fromSize: result.fromSize,
      treeSize: result.treeSize,
      witnessedSize: result.witnessedSize,
      checkedEvents: result.checkedEvents,
      checkedCheckpoints: result.checkedCheckpoints,
      failureCount: result.failures.length,
      failures: result.failures
        .slice(0, LISTED_FAILURES)
        .map(({ reason, globalSeq, detail }) => ({ reason, globalSeq, detail })),
    },
  };
}
