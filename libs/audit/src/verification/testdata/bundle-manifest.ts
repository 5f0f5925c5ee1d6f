import type { BundleManifest } from '../../export/bundle-manifest';

const HASH = 'ab'.repeat(32);

/**
 * A manifest of the right shape, as an exporter writes one, with made-up hashes: no seal or file
 * matches it, so a bundle built on it is invalid, but its manifest passes the shape check.
 */
export const SHAPED_MANIFEST: BundleManifest = {
  format: 'audit-ledger-bundle/v1',
  kind: 'export',
  origin: 'audit-ledger/test',
  createdAt: '2026-12-01T00:00:00.000Z',
  selection: { from: '2026-11-01', to: '2026-12-01', entityType: null, tenantId: 'acme' },
  events: { file: 'events.ndjson', format: 'ndjson', count: 2, firstGlobalSeq: 1, lastGlobalSeq: 2 },
  leaves: { file: 'leaves.txt', from: 0, to: 2, root: HASH },
  proofs: { file: 'proofs.ndjson', count: 1 },
  anchor: { size: 0, range: [], note: null },
  previousManifestSha256: null,
  partition: null,
  files: {
    'events.ndjson': { sha256: HASH, bytes: 10 },
    'leaves.txt': { sha256: HASH, bytes: 130 },
    'proofs.ndjson': { sha256: HASH, bytes: 5 },
    'keys.json': { sha256: HASH, bytes: 3 },
  },
};
