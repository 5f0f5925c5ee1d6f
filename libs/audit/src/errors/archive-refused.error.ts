import type { PartitionDecision } from '../archive/retention';
import { AuditError } from './audit.error';

/** Archival stopped at a month the retention policy (or a legal hold, or the log's state) does not release yet. */
export class ArchiveRefusedError extends AuditError {
  readonly code = 'AUDIT_ARCHIVE_REFUSED';

  constructor(readonly decision: PartitionDecision) {
    super(`${decision.partition} may not be archived: ${decision.blockers.join('; ')}`);
  }
}
