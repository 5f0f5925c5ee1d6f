import { createHash, randomBytes, randomInt } from 'node:crypto';
import { InvalidHashError } from '../errors/invalid-hash.error';
import { InvalidHeadMapProofError } from '../errors/invalid-head-map-proof.error';
import {
  applyHeadUpdates,
  entityKey,
  headLeafHash,
  headMapProof,
  headMapRoot,
  MAX_DEPTH,
  verifyHeadMapProof,
  type HeadMapNode,
  type HeadMapProof,
  type HeadUpdate,
} from './head-map';
import { pathPrefixes } from './testdata/head-map-paths';
import { merkleNodeHash } from './merkle';

const EMPTY = Buffer.alloc(32);
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

/** A key from its leading bits, the rest zero. */
const keyFromBits = (bits: string) =>
  Buffer.from(
    Array.from({ length: 32 }, (_, i) => parseInt(bits.padEnd(256, '0').slice(i * 8, i * 8 + 8), 2)),
  );
/** `key` with bit `i` flipped (a copy). */
const flipBit = (key: Buffer, i: number) => {
  const copy = Buffer.from(key);
  copy[i >> 3] ^= 0x80 >> (i % 8);
  return copy;
};
const entry = (key: Buffer, chainSeq = randomInt(1_000_000)): HeadUpdate => ({
  key,
  chainSeq,
  headHash: randomBytes(32),
});
const leafOf = (e: HeadUpdate) => headLeafHash(e.key, e.chainSeq, e.headHash);

/** Loads from the simulated database only what pathPrefixes asks for. */
function loadView(db: Map<string, HeadMapNode>, keys: Buffer[]): Map<string, HeadMapNode> {
  const view = new Map<string, HeadMapNode>();
  for (const key of keys) {
    for (const prefix of pathPrefixes(key, MAX_DEPTH)) {
      const node = db.get(prefix);
      if (node) view.set(prefix, node);
    }
  }
  return view;
}

/** A database holding `entries`, written in one batch on an empty map. */
function buildDb(entries: HeadUpdate[]) {
  const { root, written } = applyHeadUpdates(new Map(), entries);
  return { root, db: new Map(written.map((n) => [n.prefix, n])) };
}

const expectRejected = (root: Buffer, key: Buffer, proof: HeadMapProof) =>
  expect(() => verifyHeadMapProof(root, key, proof)).toThrow(InvalidHeadMapProofError);

describe('entity heads map', () => {
  it('hashes keys and leaves as specified', () => {
    expect(entityKey('Order', '42').equals(sha256('["Order","42"]'))).toBe(true);
    const key = Buffer.alloc(32, 0x11);
    const head = Buffer.alloc(32, 0x22);
    const seq = Buffer.from('0000010000000005', 'hex');
    const expected = sha256(Buffer.concat([Buffer.from([0x02]), key, seq, head]));
    expect(headLeafHash(key, 2 ** 40 + 5, head).equals(expected)).toBe(true);
    expect(() => headLeafHash(key, -1, head)).toThrow(InvalidHashError);
    expect(() => headLeafHash(key, 1.5, head)).toThrow(InvalidHashError);
    expect(() => headLeafHash(key.subarray(1), 1, head)).toThrow(InvalidHashError);
  });

  it('has the zero root when empty, and proves any key absent', () => {
    expect(headMapRoot([]).equals(EMPTY)).toBe(true);
    expect(applyHeadUpdates(new Map(), [])).toEqual({ root: EMPTY, written: [] });
    const proof = headMapProof(new Map(), randomBytes(32));
    expect(proof).toEqual({ siblings: [], terminal: null });
    expect(verifyHeadMapProof(EMPTY, randomBytes(32), proof)).toBeNull();
  });

  it('stores a single key as a leaf at the root', () => {
    const e = entry(randomBytes(32));
    const { root, written } = applyHeadUpdates(new Map(), [e]);
    expect(root.equals(leafOf(e))).toBe(true);
    expect(headMapRoot([e]).equals(root)).toBe(true);
    expect(written).toEqual([{ prefix: '', hash: root, leaf: e }]);
  });

  it('splits two keys on their first bit', () => {
    const a = entry(keyFromBits('0'));
    const b = entry(keyFromBits('1'));
    const { root, written } = applyHeadUpdates(new Map(), [b, a]);
    expect(root.equals(merkleNodeHash(leafOf(a), leafOf(b)))).toBe(true);
    expect(headMapRoot([a, b]).equals(root)).toBe(true);
    expect(written.map((n) => n.prefix).sort()).toEqual(['', '0', '1']);
  });

  it('pushes a leaf down a chain of internal nodes when a key shares all but its last bit', () => {
    const a = entry(randomBytes(32));
    const b = entry(flipBit(a.key, 255));
    const [left, right] = (a.key[31] & 1) === 0 ? [a, b] : [b, a];
    let expected = merkleNodeHash(leafOf(left), leafOf(right));
    for (let d = 254; d >= 0; d--) {
      const bit = (a.key[d >> 3] >> (7 - (d % 8))) & 1;
      expected = bit === 0 ? merkleNodeHash(expected, EMPTY) : merkleNodeHash(EMPTY, expected);
    }
    const { root: first, db } = buildDb([a]);
    expect(first.equals(leafOf(a))).toBe(true);
    const { root, written } = applyHeadUpdates(loadView(db, [b.key]), [b]);
    expect(root.equals(expected)).toBe(true);
    expect(headMapRoot([a, b]).equals(expected)).toBe(true);
    // The old leaf's prefix '' is rewritten as an internal node; the leaves end at depth 256.
    expect(written.find((n) => n.prefix === '')?.leaf).toBeNull();
    expect(written.filter((n) => n.leaf !== null).map((n) => n.prefix.length)).toEqual([256, 256]);
    expect(written).toHaveLength(258);
    for (const n of written) db.set(n.prefix, n);
    const proof = headMapProof(loadView(db, [a.key]), a.key);
    expect(proof.siblings).toHaveLength(256);
    expect(verifyHeadMapProof(root, a.key, proof)).toEqual({ chainSeq: a.chainSeq, headHash: a.headHash });
  });

  it('keeps the last update of a key in a batch and modifies none of its inputs', () => {
    const key = randomBytes(32);
    const [older, newer] = [entry(key, 1), entry(Buffer.from(key), 2)];
    const { db } = buildDb([entry(randomBytes(32)), entry(randomBytes(32))]);
    const snapshot = new Map([...db].map(([p, n]) => [p, { ...n, hash: Buffer.from(n.hash) }]));
    const copies = [older, newer].map((e) => ({
      ...e,
      key: Buffer.from(e.key),
      headHash: Buffer.from(e.headHash),
    }));
    const view = loadView(db, [key]);
    const { root } = applyHeadUpdates(view, [older, newer]);
    expect(
      root.equals(headMapRoot([...[...db.values()].flatMap((n) => (n.leaf ? [n.leaf] : [])), newer])),
    ).toBe(true);
    expect(headMapRoot([older, newer]).equals(headMapRoot([newer]))).toBe(true);
    expect([older, newer]).toEqual(copies);
    expect(db).toEqual(snapshot);
  });

  it('matches the reference root and proves every key after each batch, from partial views', () => {
    const db = new Map<string, HeadMapNode>();
    const current = new Map<string, HeadUpdate>();
    const terminals = { inclusion: 0, otherKey: 0, empty: 0 };
    for (const size of [1, 1, 3, 20, 150, 250, 5, 75]) {
      const present = [...current.values()];
      const fresh = Array.from({ length: size }, (_, i) =>
        // Every fifth new key is a neighbour of a present one, so long shared prefixes occur.
        entry(
          i % 5 === 4 && present.length > 0
            ? flipBit(present[randomInt(present.length)].key, randomInt(8, 256))
            : randomBytes(32),
        ),
      );
      const changed = present.slice(0, 10).map((e) => entry(e.key, e.chainSeq + 1));
      const batch = [...fresh, ...changed, ...changed.slice(0, 2).map((e) => entry(e.key, e.chainSeq + 1))];
      for (const e of batch) current.set(e.key.toString('hex'), e);
      const view = loadView(
        db,
        batch.map((e) => e.key),
      );
      if (batch.length < 20 && db.size > 100) expect(view.size).toBeLessThan(db.size / 2);
      const result = applyHeadUpdates(view, batch);
      for (const n of result.written) db.set(n.prefix, n);
      const root = result.root;
      expect(root.equals(headMapRoot([...current.values()]))).toBe(true);
      // The stored nodes are exactly those of the map built from scratch: nothing stale is left.
      const fromScratch = buildDb([...current.values()]).db;
      expect(new Map([...db].map(([p, n]) => [p, n.hash.toString('hex')]))).toEqual(
        new Map([...fromScratch].map(([p, n]) => [p, n.hash.toString('hex')])),
      );
      for (const e of current.values()) {
        const proof = headMapProof(loadView(db, [e.key]), e.key);
        expect(verifyHeadMapProof(root, e.key, proof)).toEqual({
          chainSeq: e.chainSeq,
          headHash: e.headHash,
        });
        terminals.inclusion++;
      }
      const absent = [...current.values()].slice(0, 30).map((e) => flipBit(e.key, randomInt(256)));
      for (const key of [...absent, ...Array.from({ length: 30 }, () => randomBytes(32))]) {
        if (current.has(key.toString('hex'))) continue;
        const proof = headMapProof(loadView(db, [key]), key);
        expect(verifyHeadMapProof(root, key, proof)).toBeNull();
        terminals[proof.terminal === null ? 'empty' : 'otherKey']++;
      }
    }
    expect(current.size).toBeGreaterThanOrEqual(500);
    expect(terminals.otherKey).toBeGreaterThan(0);
    expect(terminals.empty).toBeGreaterThan(0);
  });

  describe('rejecting proofs', () => {
    const entries = Array.from({ length: 300 }, () => entry(randomBytes(32)));
    const { root, db } = buildDb(entries);
    const prove = (key: Buffer) => headMapProof(loadView(db, [key]), key);
    const target = entries.find((e) => prove(e.key).siblings.length >= 3)!;
    const good = prove(target.key);
    const withTerminal = (change: Partial<HeadUpdate>): HeadMapProof => ({
      siblings: good.siblings,
      terminal: { ...good.terminal!, ...change },
    });

    it('throws when a sibling, the value, the terminal key, the path length or the root is wrong', () => {
      expect(verifyHeadMapProof(root, target.key, good)).toEqual({
        chainSeq: target.chainSeq,
        headHash: target.headHash,
      });
      good.siblings.forEach((_, i) => {
        const siblings = good.siblings.map((s, j) => (j === i ? flipBit(s, randomInt(256)) : s));
        expectRejected(root, target.key, { ...good, siblings });
      });
      expectRejected(root, target.key, withTerminal({ chainSeq: target.chainSeq + 1 }));
      expectRejected(root, target.key, withTerminal({ headHash: flipBit(target.headHash, 0) }));
      expectRejected(root, target.key, withTerminal({ key: flipBit(target.key, 255) }));
      expectRejected(root, target.key, { ...good, siblings: good.siblings.slice(1) });
      expectRejected(root, target.key, { ...good, siblings: good.siblings.slice(0, -1) });
      expectRejected(root, target.key, { ...good, siblings: [...good.siblings, randomBytes(32)] });
      expectRejected(root, target.key, { ...good, siblings: [randomBytes(32), ...good.siblings] });
      expectRejected(flipBit(root, 7), target.key, good);
      // Another key off the terminal's path cannot use the proof, even as non-inclusion.
      expectRejected(root, flipBit(target.key, 0), good);
    });

    it('throws on malformed proofs', () => {
      expectRejected(root, target.key, { ...good, siblings: [...good.siblings.slice(1), randomBytes(31)] });
      expectRejected(root, target.key, {
        ...good,
        siblings: Array.from({ length: 257 }, () => randomBytes(32)),
      });
      for (const chainSeq of [-1, 1.5, NaN, 2 ** 53])
        expectRejected(root, target.key, withTerminal({ chainSeq }));
      expectRejected(root, target.key, withTerminal({ headHash: randomBytes(33) }));
      expectRejected(root.subarray(1), target.key, good);
    });

    it('never turns a non-inclusion proof into an inclusion proof', () => {
      const neighbour = flipBit(target.key, 255);
      const otherKeyProof = prove(neighbour);
      expect(otherKeyProof.terminal?.key.equals(target.key)).toBe(true);
      expect(verifyHeadMapProof(root, neighbour, otherKeyProof)).toBeNull();
      expectRejected(root, neighbour, {
        ...otherKeyProof,
        terminal: { ...otherKeyProof.terminal!, key: neighbour },
      });
      expectRejected(root, neighbour, { ...otherKeyProof, terminal: null });
      let absent = randomBytes(32);
      while (prove(absent).terminal !== null) absent = randomBytes(32);
      const emptyProof = prove(absent);
      expect(verifyHeadMapProof(root, absent, emptyProof)).toBeNull();
      for (const value of [target, entry(absent)]) {
        expectRejected(root, absent, { ...emptyProof, terminal: { ...value, key: absent } });
      }
    });

    it('refuses shapes no canonical tree has, even when they hash to the root', () => {
      const a = entry(keyFromBits('0'));
      expectRejected(merkleNodeHash(leafOf(a), EMPTY), a.key, { siblings: [EMPTY], terminal: a });
      const offPath = entry(keyFromBits('1'));
      const sibling = randomBytes(32);
      expectRejected(merkleNodeHash(leafOf(offPath), sibling), a.key, {
        siblings: [sibling],
        terminal: offPath,
      });
    });
  });

  it('refuses to update or prove from a view cut off above the end of the path', () => {
    const a = entry(keyFromBits('0'.repeat(100)));
    const b = entry(keyFromBits(`${'0'.repeat(99)}1`));
    const { db } = buildDb([a, b]);
    const shallow = new Map(
      pathPrefixes(a.key, 4).flatMap((p) => (db.has(p) ? [[p, db.get(p)!] as const] : [])),
    );
    expect(shallow.get('0000')?.leaf).toBeNull();
    expect(() => applyHeadUpdates(shallow, [entry(a.key)])).toThrow(/no child was loaded/);
    expect(() => headMapProof(shallow, a.key)).toThrow(/no child was loaded/);
    expect(headMapProof(loadView(db, [a.key]), a.key).terminal).toEqual(a);
  });

  it('rejects malformed updates', () => {
    expect(() => applyHeadUpdates(new Map(), [entry(randomBytes(31))])).toThrow(InvalidHashError);
    expect(() => applyHeadUpdates(new Map(), [entry(randomBytes(32), -1)])).toThrow(InvalidHashError);
    expect(() => headMapRoot([entry(randomBytes(16)), entry(randomBytes(16))])).toThrow(InvalidHashError);
  });
});
