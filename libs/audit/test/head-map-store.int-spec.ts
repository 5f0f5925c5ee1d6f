import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { applyHeadUpdates, headMapRoot, MAX_DEPTH, type HeadUpdate } from '../src/crypto/head-map';
import { pathPrefixes } from '../src/crypto/testdata/head-map-paths';
import { loadHeadMapPaths, saveHeadMapNodes } from '../src/storage/head-map.store';
import { sqlOf, type SqlSession } from '../src/storage/sql-session';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** `key` with bit `i` flipped: keys that share a long prefix make paths deep. */
function flipped(key: Buffer, i: number): Buffer {
  const copy = Buffer.from(key);
  copy[i >> 3] ^= 0x80 >> (i % 8);
  return copy;
}

// 24 unrelated keys, and 3 families of keys that part only at bit 100 or later.
const BASES = [0, 1, 2].map((i) => digest(`family ${i}`));
const POOL = [
  ...Array.from({ length: 24 }, (_, i) => digest(`key ${i}`)),
  ...BASES.flatMap((base) => [base, ...[100, 180, 254, 255].map((bit) => flipped(base, bit))]),
];

/**
 * The entity-heads map's paths, loaded by walking them in PostgreSQL (storage/head-map.store):
 * exactly the stored nodes that `pathPrefixes` names, enough for the cutter to update the map to
 * the root a map built from scratch has; and an altered map cannot make the walk loop.
 */
describe('entity-heads map paths (PostgreSQL)', () => {
  let fixture: FixtureApp;
  let db: SqlSession;
  const stored = async () =>
    new Map(
      (
        await fixture.db.query<{ prefix: string }>(
          'select prefix, hash, leaf_key, chain_seq, head_hash from audit.head_map_nodes',
        )
      ).map((row) => [row.prefix, row]),
    );

  beforeAll(async () => {
    fixture = await startFixtureApp({ inProcessWorker: false });
    db = sqlOf(fixture.orm.em);
  });
  afterAll(async () => fixture?.close());
  beforeEach(async () => {
    await fixture.db.query('delete from audit.head_map_nodes');
  });

  it('loads exactly the stored nodes of the paths, enough to update the map to its true root', async () => {
    const update = fc.record({ key: fc.constantFrom(...POOL), chainSeq: fc.nat({ max: 1_000_000 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(update, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 4 }),
        fc.subarray(POOL),
        async (rounds, probe) => {
          await fixture.db.query('delete from audit.head_map_nodes');
          const latest = new Map<string, HeadUpdate>();
          for (const round of rounds) {
            const updates = round.map((u) => ({ ...u, headHash: digest(`${u.chainSeq}`) }));
            const nodes = await loadHeadMapPaths(
              db,
              updates.map((u) => u.key),
            );
            const { root, written } = applyHeadUpdates(nodes, updates);
            await saveHeadMapNodes(db, written);
            for (const u of updates) latest.set(u.key.toString('hex'), u);
            expect(root).toEqual(headMapRoot([...latest.values()]));
          }
          const all = await stored();
          const wanted = new Set(probe.flatMap((key) => pathPrefixes(key, MAX_DEPTH)));
          const loaded = await loadHeadMapPaths(db, probe);
          expect([...loaded.keys()].sort()).toEqual([...all.keys()].filter((p) => wanted.has(p)).sort());
          for (const [prefix, node] of loaded) expect(node.prefix).toBe(prefix);
        },
      ),
      { numRuns: 60, seed: 1212 },
    );
  });

  it('walks no further than a key is long, whatever the rows say', async () => {
    const key = POOL[0];
    const bits = pathPrefixes(key, MAX_DEPTH).filter((_, i) => i % 2 === 1);
    // Every prefix of the key, down to all 256 bits, stored as an internal node: a map no cutter
    // writes, where a walk that followed the rows would never end.
    const chain = ['', ...bits].map((prefix) => ({ prefix, hash: digest(prefix), leaf: null }));
    await saveHeadMapNodes(db, chain);
    const loaded = await loadHeadMapPaths(db, [key]);
    expect([...loaded.keys()].sort()).toEqual(['', ...bits].sort());
  });
});
