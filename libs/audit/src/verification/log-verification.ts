/** Why the log failed full or incremental verification. */
export type LogFailureReason =
  /** The witness holds no checkpoint yet, or one that does not open with the published keys. */
  | 'WITNESS_CHECKPOINT_INVALID'
  /** The database lacks the witness's checkpoint or ends before it: restored from an older backup, or its tail deleted. */
  | 'ROLLED_BACK'
  /** global_seq skips or repeats a position. */
  | 'GLOBAL_SEQUENCE_GAP'
  /** An event fails its entity chain (detail names the chain reason). */
  | 'CHAIN_INVALID'
  /** An event's key, or a batch statement's signature, key, root or head, does not verify. */
  | 'BATCH_INVALID'
  /** A checkpoint's signature, key window, time, order or root does not verify. */
  | 'CHECKPOINT_INVALID'
  /** The latest checkpoint's heads map does not match the entity heads recomputed from the events. */
  | 'HEADS_ROOT_MISMATCH'
  /** The log head or a chain head row disagrees with the events. */
  | 'HEAD_MISMATCH'
  /** A key in `audit.signing_keys` differs from, or is missing in, the witness's published keys. */
  | 'KEY_MISMATCH'
  /** The newest archive cut's compact range does not match the seal signed when its segment was written. */
  | 'ARCHIVE_CUT_INVALID';

export interface LogFailure {
  reason: LogFailureReason;
  /** The first leaf (global_seq) concerned, when there is one. */
  globalSeq: number | null;
  detail: string;
}

/** The result of verifying the whole log (or its new part) against the witness's checkpoint. */
export interface LogVerification {
  valid: boolean;
  mode: 'FULL' | 'INCREMENTAL';
  /** Leaves before this size were verified by an earlier run (0 for a full run). */
  fromSize: number;
  /** Leaves in the database. */
  treeSize: number;
  /** Tree size of the witness's checkpoint (0 when it holds none). */
  witnessedSize: number;
  checkedEvents: number;
  checkedCheckpoints: number;
  failures: LogFailure[];
}

/** Options of `LogVerifier.verify`. */
export interface LogVerifyOptions {
  /**
   * Called after each page of events is checked (and once before the first), with the events
   * checked so far and the total this run checks: a progress bar's feed. Default: none.
   */
  onProgress?: (checkedEvents: number, totalEvents: number) => void;
}
