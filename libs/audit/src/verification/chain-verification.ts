/** Why a chain failed verification. */
export type ChainFailureReason =
  | 'SEQUENCE_GAP'
  | 'BROKEN_LINK'
  | 'HASH_MISMATCH'
  | 'UNKNOWN_HASH_ALGORITHM'
  | 'HEAD_MISMATCH'
  | 'MISSING_HEAD'
  /** The event carries no signing key or batch (a downgrade to unsigned). */
  | 'UNSIGNED'
  /** Signed by, or naming, a key the witness never published. */
  | 'UNKNOWN_KEY'
  /** The batch statement's or checkpoint's signature does not verify, or it is malformed. */
  | 'BAD_SIGNATURE'
  /** Signed at a time its key was not valid: before notBefore, after notAfter, or after compromise. */
  | 'KEY_NOT_YET_VALID'
  | 'KEY_EXPIRED'
  | 'KEY_COMPROMISED'
  /** The signed head (batch statement or checkpoint) names another hash for this position. */
  | 'SIGNED_HEAD_MISMATCH'
  /** The latest checkpoint commits to more events of this entity than the store holds. */
  | 'TRUNCATED'
  /** The checkpoint is unusable: wrong log, time in the future, bad heads-map proof. */
  | 'CHECKPOINT_INVALID'
  /** The witness holds a newer checkpoint than the database: rolled back, or checkpoints deleted. */
  | 'CHECKPOINT_MISSING'
  /** A stored value no reader can show (a time no Date holds): the row was edited outside the ledger. */
  | 'UNREADABLE_ROW';

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
