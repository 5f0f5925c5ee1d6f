/** Why a chain failed verification. */
export type ChainFailureReason =
  | 'SEQUENCE_GAP'
  | 'BROKEN_LINK'
  | 'HASH_MISMATCH'
  | 'UNKNOWN_HASH_ALGORITHM'
  | 'HEAD_MISMATCH'
  | 'MISSING_HEAD';

export interface ChainFailure {
  /** The first chain position that does not verify. */
  chainSeq: number;
  /** The event at that position, when there is one. */
  eventId: string | null;
  reason: ChainFailureReason;
  detail: string;
}

/** The result of recomputing one entity's chain. Never thrown: see AuditChainTamperedError for that. */
export interface ChainVerification {
  valid: boolean;
  checkedEvents: number;
  /** The last chain_seq, per the recorded chain head (0 when the entity has no events). */
  headSeq: number;
  failures: ChainFailure[];
}
