import type { BundleVerification } from '../../verification/bundle-verification';

/** One bundle's verification, named by its directory. */
export interface SegmentReport extends BundleVerification {
  bundle: string;
}

/**
 * Marks the segments of an archive directory that do not chain: sorted by their first leaf, the
 * first must start the log (leaf 0, no predecessor) and each next one must start where the previous
 * ended and name its manifest's hash. A deleted, replaced or foreign segment fails here even when
 * every segment verifies on its own.
 */
export function checkSegmentChain(reports: SegmentReport[]): void {
  reports.sort((a, b) => a.leavesFrom - b.leavesFrom);
  const first = reports[0];
  if (
    first &&
    first.kind === 'archive' &&
    (first.leavesFrom !== 0 || first.previousManifestSha256 !== null)
  ) {
    first.valid = false;
    first.failures.push({
      reason: 'SEGMENT_MISSING',
      file: 'manifest.json',
      globalSeq: 1,
      eventId: null,
      detail: `the archive's first segment here starts after leaf ${first.leavesFrom} and names a predecessor (manifest ${first.previousManifestSha256}) that is not in the directory`,
    });
  }
  for (let i = 1; i < reports.length; i++) {
    const [prev, next] = [reports[i - 1], reports[i]];
    if (next.leavesFrom !== prev.treeSize || next.previousManifestSha256 !== prev.manifestSha256) {
      next.valid = false;
      next.failures.push({
        reason: 'SEGMENT_MISSING',
        file: 'manifest.json',
        globalSeq: prev.treeSize + 1,
        eventId: null,
        detail: `does not continue ${prev.bundle} (which ends at ${prev.treeSize}, manifest ${prev.manifestSha256})`,
      });
    }
  }
}
