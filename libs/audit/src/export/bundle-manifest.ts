/** The first member of every bundle manifest: names the format so a verifier refuses what it cannot read. */
export const BUNDLE_FORMAT = 'audit-ledger-bundle/v1';

/** The bundle's files (the event file's name depends on its format and compression). */
export const MANIFEST_FILE = 'manifest.json';
export const SEAL_FILE = 'manifest.sig';
export const KEYS_FILE = 'keys.json';

export type EventFileFormat = 'ndjson' | 'csv';

/** What an export selected: events sealed in [from, to), optionally one entity type and one tenant. */
export interface BundleSelection {
  from: string;
  to: string;
  entityType: string | null;
  tenantId: string | null;
}

/**
 * `manifest.json`: what the bundle holds and the SHA-256 of every other file. Its own SHA-256 is
 * signed in `manifest.sig`, a checkpoint of the log at `leaves.to` with the extension line
 * `bundle <hex sha256>`, so the manifest, the files it lists and the tree they rebuild are bound
 * to one signature by a published key.
 */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  kind: 'export' | 'archive';
  origin: string;
  createdAt: string;
  selection: BundleSelection;
  events: {
    file: string;
    format: EventFileFormat;
    count: number;
    firstGlobalSeq: number | null;
    lastGlobalSeq: number | null;
  };
  /**
   * Every leaf of the log in (from, to]: the event hashes, one hex line each. The tree is rebuilt
   * from the `anchor` (a signed checkpoint at `from`, and its compact range) through these leaves,
   * so events left out by the selection still count towards every signed root. `root`: the
   * RFC 6962 root (hex) of the tree at `to`, the root the seal signs.
   */
  leaves: { file: string; from: number; to: number; root: string };
  /** The signed batch statements and checkpoints whose tree size falls in [from, to]. */
  proofs: { file: string; count: number };
  anchor: { size: number; range: string[]; note: string | null };
  /** Archive segments: the manifest hash of the segment before, so segments form a chain too. */
  previousManifestSha256: string | null;
  partition: { name: string; periodStart: string; periodEnd: string } | null;
  files: Record<string, { sha256: string; bytes: number }>;
}

/** One line of the proofs file. */
export interface BundleProof {
  type: 'batch' | 'checkpoint';
  treeSize: number;
  note: string;
  /**
   * A batch under a v2 statement (docs/integrity.md §6.2): its chain head's leaf index among the
   * heads the transaction moved, the audit path (hex), and the head's entity key (hex) and
   * chain_seq, so that a bundle without the event (filtered) still checks the proof.
   */
  moved?: { index: number; proof: string[]; key: string; chainSeq: number };
}

/** The extension line of the seal: binds the manifest's exact bytes. */
export const sealLine = (manifestSha256: string) => `bundle ${manifestSha256}`;

export const eventFileName = (format: EventFileFormat, gzip: boolean) =>
  `events.${format}${gzip ? '.gz' : ''}`;
