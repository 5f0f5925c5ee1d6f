import fc from 'fast-check';
import { buildLog, replay, replayKey, type ReplayLeaf, type Transaction } from './testdata/replay-log';

// Three transactions per format, over five entities: one entity alone, several together, one
// entity twice in a row (two batches of one chain), and checkpoints between.
const TRANSACTIONS: Transaction[] = [
  [{ entity: 0, events: 2 }],
  [
    { entity: 1, events: 1 },
    { entity: 2, events: 3 },
    { entity: 3, events: 1 },
  ],
  [{ entity: 2, events: 1 }],
  [
    { entity: 4, events: 2 },
    { entity: 0, events: 1 },
  ],
  [
    { entity: 1, events: 2 },
    { entity: 3, events: 2 },
    { entity: 4, events: 1 },
    { entity: 0, events: 1 },
  ],
  [{ entity: 2, events: 2 }],
];
const CHECKPOINTS = [1, 3, 5];

const honest = (v2From: number) => buildLog(TRANSACTIONS, { v2From, checkpointAfter: CHECKPOINTS });
const kinds = (failures: { kind: string; detail: string }[]) => failures.map((f) => `${f.kind}: ${f.detail}`);
const copy = (leaves: ReplayLeaf[]): ReplayLeaf[] =>
  leaves.map((l) => ({ ...l, batch: l.batch && { ...l.batch }, checkpoints: [...l.checkpoints] }));

describe('TreeReplay, the tree and statement core every log verifier replays', () => {
  it.each([
    ['all v1', 99],
    ['all v2', 0],
    ['v1, then v2 from the fourth transaction', 3],
  ])('finds nothing wrong with an honest log (%s)', (_name, v2From) => {
    const { leaves, key } = honest(v2From);
    expect(kinds(replay(leaves, [key]))).toEqual([]);
  });

  it('names a deleted middle event, and goes on to the end without throwing', () => {
    const { leaves, key } = honest(0);
    const failures = replay([...leaves.slice(0, 4), ...leaves.slice(5)], [key]);
    expect(failures[0]).toMatchObject({ kind: 'sequence', size: 5 });
    expect(failures.map((f) => f.kind)).toContain('batch');
  });

  it('names a tail cut inside a v2 transaction: its statement signs a tree that never comes', () => {
    // The fifth transaction moved four heads; its last batch (one event) is cut off.
    const { leaves, key } = buildLog(TRANSACTIONS.slice(0, 5), { v2From: 0 });
    expect(kinds(replay(leaves.slice(0, -1), [key]))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^batch: .*the tail is missing/)]),
    );
  });

  it('refuses a v1 statement after v2 ones (DOWNGRADE)', () => {
    const v2 = honest(0).leaves;
    const v1 = honest(99).leaves;
    // The first transaction sealed in v2, the rest as if the sealer had gone back to v1.
    const mixed = [...v2.slice(0, 2), ...v1.slice(2).map((l) => ({ ...l, checkpoints: [] }))];
    expect(kinds(replay(mixed, [replayKey().key]))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^batch: DOWNGRADE/)]),
    );
  });

  it('refuses checkpoints whose times go back, and statements dated past the clock', () => {
    const { leaves, key } = honest(0);
    const swapped = copy(leaves);
    const withCheckpoints = swapped.filter((l) => l.checkpoints.length > 0);
    // Both checkpoints at the later size: the earlier one (older, and for a smaller tree) after it.
    withCheckpoints[1].checkpoints.push(...withCheckpoints[0].checkpoints);
    withCheckpoints[0].checkpoints = [];
    expect(kinds(replay(swapped, [key]))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^checkpoint: its time goes back/)]),
    );
    expect(kinds(replay(leaves, [key], Date.parse('2026-12-01T00:00:00.000Z')))).toEqual(
      expect.arrayContaining([expect.stringMatching(/dated in the future/)]),
    );
  });

  it('refuses a statement by a key it does not trust, and an event naming another key than its batch', () => {
    const { leaves, key } = honest(0);
    expect(
      kinds(replay(leaves, [replayKey(2).key])).every(
        (k) => k.includes('UNKNOWN_KEY') || k.includes('never published'),
      ),
    ).toBe(true);
    const renamed = copy(leaves);
    renamed[3] = { ...renamed[3], keyId: 'deadbeef' }; // the first of entity 2's three events
    expect(kinds(replay(renamed, [key]))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/names key deadbeef, never published/),
        expect.stringMatching(/name two keys/),
      ]),
    );
  });

  // What an attacker can do to the rows (or a file's lines): the verdict is clean exactly when
  // nothing changed, and nothing throws.
  it('gives a verdict for any tampering, clean exactly when nothing changed (fast-check, 400 runs, seed 1812)', () => {
    const logs = [honest(0), honest(99), honest(3)];
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('none' as const) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
      fc.record({ op: fc.constant('flipHash' as const), at: fc.nat(), byte: fc.nat(31) }),
      fc.record({ op: fc.constant('flipNote' as const), at: fc.nat(), char: fc.nat() }),
      fc.record({ op: fc.constant('dropStatement' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('moveIndex' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('dropCheckpoint' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('reseq' as const), at: fc.nat(), by: fc.integer({ min: -3, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.nat(logs.length - 1), mutation, (which, m) => {
        const { leaves, key } = logs[which];
        const tampered = copy(leaves);
        const at = 'at' in m ? m.at % leaves.length : 0;
        const withBatch = tampered.filter((l) => l.batch);
        const withCheckpoint = tampered.filter((l) => l.checkpoints.length > 0);
        let changed = true;
        switch (m.op) {
          case 'none':
            changed = false;
            break;
          // Not the last leaf: a whole trailing transaction cut leaves a log that was, once, honest;
          // the log head and the witness catch that (LogVerifier), not the replay.
          case 'delete':
            if (at === leaves.length - 1) changed = false;
            else tampered.splice(at, 1);
            break;
          case 'duplicate':
            tampered.splice(at, 0, { ...tampered[at] });
            break;
          case 'swap': {
            const other = m.with % leaves.length;
            if (tampered[at].hash.equals(tampered[other].hash)) changed = false;
            [tampered[at], tampered[other]] = [tampered[other], tampered[at]];
            break;
          }
          case 'flipHash': {
            const hash = Buffer.from(tampered[at].hash);
            hash[m.byte] ^= 1;
            tampered[at] = { ...tampered[at], hash };
            break;
          }
          case 'flipNote': {
            const leaf = withBatch[at % withBatch.length];
            const note = leaf.batch!.note;
            const i = m.char % note.length;
            leaf.batch = {
              ...leaf.batch!,
              note: note.slice(0, i) + (note[i] === 'A' ? 'B' : 'A') + note.slice(i + 1),
            };
            break;
          }
          case 'dropStatement':
            withBatch[at % withBatch.length].batch = null;
            break;
          case 'moveIndex': {
            const leaf = withBatch[at % withBatch.length];
            const moved = leaf.batch!.end.moved;
            // A v1 statement names its head itself: a place stored beside it means nothing.
            if (!moved) changed = false;
            else leaf.batch!.end = { ...leaf.batch!.end, moved: { ...moved, index: moved.index + 1 } };
            break;
          }
          case 'dropCheckpoint':
            // A checkpoint dropped from the source is not a lie the replay can see (the witness is).
            withCheckpoint[at % withCheckpoint.length].checkpoints = [];
            changed = false;
            break;
          case 'reseq':
            if (m.by === 0) changed = false;
            tampered[at] = { ...tampered[at], globalSeq: tampered[at].globalSeq + m.by };
            break;
        }
        const failures = replay(tampered, [key]);
        expect(failures.length === 0).toBe(!changed);
      }),
      { seed: 1812, numRuns: 400 },
    );
  });
});
