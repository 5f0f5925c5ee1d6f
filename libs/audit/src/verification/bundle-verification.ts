/** Why an export bundle or archive segment failed offline verification. */
export type BundleFailureReason =
  /** manifest.json is missing, not JSON, or not a bundle this verifier reads. */
  | 'MANIFEST_INVALID'
  /** manifest.sig is missing, not signed by a trusted key valid then, or does not bind this manifest and tree. */
  | 'SEAL_INVALID'
  /** A file's bytes differ from the SHA-256 or length the signed manifest records. */
  | 'FILE_MODIFIED'
  /** A file cannot be read or parsed (bad compression, a blank line, a line that is not an event). */
  | 'FILE_UNREADABLE'
  /** A name in the bundle is not a regular file (a symbolic link, directory, FIFO, device): it is not read. */
  | 'FILE_NOT_REGULAR'
  /** A line longer than any record (a leaf over 128 bytes, an event or proof over `maxLineBytes`): reading stopped there. */
  | 'FILE_TOO_LARGE'
  /** The bundle directory holds a file the manifest does not name (the seal does not cover it). */
  | 'FILE_UNLISTED'
  /** The anchor's compact range does not match its signed checkpoint. */
  | 'ANCHOR_INVALID'
  /** An event's recorded fields do not hash to its hash, or its hash is not the leaf at its position. */
  | 'EVENT_INVALID'
  /** An event does not link to the previous event of its entity in the bundle. */
  | 'CHAIN_INVALID'
  /** A batch statement or checkpoint does not open, or its root is not the tree the leaves make. */
  | 'PROOF_INVALID'
  /** Events or leaves are missing, extra or out of order against the manifest. */
  | 'COUNT_MISMATCH'
  /**
   * A directory of archive segments does not form one chain from the log's first leaf: a segment
   * is missing (the first one left starts later or names a predecessor), replaced or out of place.
   */
  | 'SEGMENT_MISSING';

/** One problem found; the verifier stops at the hundredth. `detail` names files and lines, never their contents. */
export interface BundleFailure {
  reason: BundleFailureReason;
  /** The bundle file concerned, when there is one. */
  file: string | null;
  /** The first event (global_seq) concerned, and its id when the event was read. */
  globalSeq: number | null;
  eventId: string | null;
  detail: string;
}

/** The result of verifying a bundle with public keys only (`audit-ledger verify --bundle`). */
export interface BundleVerification {
  valid: boolean;
  kind: 'export' | 'archive' | null;
  origin: string | null;
  /** Leaves (from, to] rebuilt, and the signed tree size they end at. */
  leavesFrom: number;
  treeSize: number;
  checkedEvents: number;
  checkedProofs: number;
  manifestSha256: string | null;
  /** Archive segments: the manifest hash of the segment before (segments form a chain). */
  previousManifestSha256: string | null;
  /** True when no trusted keys were given and the bundle's own keys.json was used. */
  keysFromBundle: boolean;
  failures: BundleFailure[];
}
