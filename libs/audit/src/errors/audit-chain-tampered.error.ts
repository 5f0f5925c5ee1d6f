import type { ChainFailure } from '../verification/chain-verification';
import { AuditError } from './audit.error';

/**
 * An entity's audit chain failed verification on read: the trail is not returned, because it can
 * no longer be trusted. `verifyTrail` returns the same report without throwing.
 */
export class AuditChainTamperedError extends AuditError {
  readonly code = 'AUDIT_CHAIN_TAMPERED';
  /** The first chain position that does not verify. */
  readonly chainSeq: number;
  readonly reason: ChainFailure['reason'];

  constructor(
    readonly entityType: string,
    readonly entityId: string,
    readonly failures: ChainFailure[],
  ) {
    const [first] = failures;
    super(
      `The audit chain of ${entityType} ${entityId} failed verification at chain_seq ${first.chainSeq}: ` +
        `${first.reason} (${first.detail}). The stored audit data was altered outside the ledger; ` +
        'investigate with verifyTrail() and restore from a verified backup or export.',
    );
    this.chainSeq = first.chainSeq;
    this.reason = first.reason;
  }
}
