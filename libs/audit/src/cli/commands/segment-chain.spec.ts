import { checkSegmentChain, type SegmentReport } from './segment-chain';

const segment = (
  bundle: string,
  leavesFrom: number,
  treeSize: number,
  previous: string | null,
): SegmentReport => ({
  bundle,
  valid: true,
  kind: 'archive',
  origin: 'audit-ledger/log',
  leavesFrom,
  treeSize,
  checkedEvents: treeSize - leavesFrom,
  checkedProofs: 1,
  manifestSha256: `sha-${bundle}`,
  previousManifestSha256: previous,
  keysFromBundle: false,
  failures: [],
});

// Three months archived in turn: each segment names the one before.
const archive = () => [
  segment('2026_09', 0, 100, null),
  segment('2026_10', 100, 250, 'sha-2026_09'),
  segment('2026_11', 250, 300, 'sha-2026_10'),
];
const reasons = (reports: SegmentReport[]) =>
  reports.map((r) => [r.bundle, r.valid, r.failures.map((f) => f.reason)]);

describe('checkSegmentChain (an archive directory is one chain from the first leaf)', () => {
  it('accepts the whole chain, in whatever order the directory lists it', () => {
    const reports = archive().reverse();
    checkSegmentChain(reports);
    expect(reasons(reports)).toEqual([
      ['2026_09', true, []],
      ['2026_10', true, []],
      ['2026_11', true, []],
    ]);
  });

  it('refuses a chain whose first segment was deleted', () => {
    const reports = archive().slice(1);
    checkSegmentChain(reports);
    expect(reasons(reports)).toEqual([
      ['2026_10', false, ['SEGMENT_MISSING']],
      ['2026_11', true, []],
    ]);
    expect(reports[0].failures[0].detail).toContain('sha-2026_09');
  });

  it('refuses a chain with a segment deleted from the middle', () => {
    const [first, , last] = archive();
    const reports = [first, last];
    checkSegmentChain(reports);
    expect(reasons(reports)).toEqual([
      ['2026_09', true, []],
      ['2026_11', false, ['SEGMENT_MISSING']],
    ]);
  });

  it('refuses a segment replaced by another that covers the same leaves', () => {
    const reports = archive();
    reports[1] = { ...reports[1], manifestSha256: 'sha-forged' };
    checkSegmentChain(reports);
    expect(reasons(reports)).toEqual([
      ['2026_09', true, []],
      ['2026_10', true, []],
      ['2026_11', false, ['SEGMENT_MISSING']],
    ]);
  });

  it('accepts a lone first segment', () => {
    const reports = archive().slice(0, 1);
    checkSegmentChain(reports);
    expect(reasons(reports)).toEqual([['2026_09', true, []]]);
  });
});
