import { hash } from 'node:crypto';
import { InvalidHashError } from '../errors/invalid-hash.error';

// RFC 6962 / RFC 9162 §2.1 Merkle tree: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || l || r).
// Written here, over node:crypto, because no maintained npm package implements RFC 9162 proof
// verification; it is checked against the transparency-dev vectors in ../shared/vectors/merkle.

const HASH_SIZE = 32;
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** A tree size or leaf index: a non-negative integer as number or bigint. */
export type TreeIndex = number | bigint;

// One-shot hashing of the concatenation: cheaper than a Hash object per node (verifiers hash every leaf).
const sha256 = (...parts: Buffer[]) => hash('sha256', Buffer.concat(parts), 'buffer');
// Interior nodes are hashed over one reused buffer: a verifier hashes about 20 per batch statement.
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_SIZE, NODE_PREFIX);
// Leaves of the log are event hashes: a verifier hashes one per event, over one reused buffer too.
const LEAF_INPUT = Buffer.alloc(1 + HASH_SIZE, LEAF_PREFIX);

/** Leaf hash of an entry: SHA-256(0x00 || data). */
export function merkleLeafHash(data: Buffer): Buffer {
  if (data.length !== HASH_SIZE) return sha256(LEAF_PREFIX, data);
  data.copy(LEAF_INPUT, 1);
  return hash('sha256', LEAF_INPUT, 'buffer');
}

/** Interior node hash: SHA-256(0x01 || left || right). */
export function merkleNodeHash(left: Buffer, right: Buffer): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) return sha256(NODE_PREFIX, left, right);
  left.copy(NODE_INPUT, 1);
  right.copy(NODE_INPUT, 1 + HASH_SIZE);
  return hash('sha256', NODE_INPUT, 'buffer');
}

function assertHashes(hashes: Buffer[], what: string): void {
  for (const h of hashes) {
    if (!Buffer.isBuffer(h) || h.length !== HASH_SIZE) {
      throw new InvalidHashError(
        `${what} must be 32-byte SHA-256 digests (got ${Buffer.isBuffer(h) ? h.length : typeof h} bytes).`,
      );
    }
  }
}

/** The largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function treeHash(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0];
  const k = splitPoint(leaves.length);
  return merkleNodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

/** Merkle tree hash (root) of the given leaf hashes; the empty tree's root is SHA-256(""). */
export function merkleRoot(leafHashes: Buffer[]): Buffer {
  assertHashes(leafHashes, 'Leaf hashes');
  return treeHash(leafHashes);
}

/** Audit path of leaf `index` in the tree of `leafHashes` (RFC 6962 §2.1.1 PATH). */
export function inclusionProof(leafHashes: Buffer[], index: number): Buffer[] {
  assertHashes(leafHashes, 'Leaf hashes');
  if (!Number.isInteger(index) || index < 0 || index >= leafHashes.length) {
    throw new InvalidHashError(`Leaf index ${index} is outside a tree of ${leafHashes.length}.`);
  }
  const path = (m: number, leaves: Buffer[]): Buffer[] => {
    if (leaves.length <= 1) return [];
    const k = splitPoint(leaves.length);
    return m < k
      ? [...path(m, leaves.slice(0, k)), treeHash(leaves.slice(k))]
      : [...path(m - k, leaves.slice(k)), treeHash(leaves.slice(0, k))];
  };
  return path(index, leafHashes);
}

/**
 * The root and every leaf's audit path at once, in O(n log n) hashes where `inclusionProof` per
 * leaf costs O(n) each: a v2 statement proves every chain head a sealing transaction moved.
 */
export function inclusionProofs(leafHashes: Buffer[]): { root: Buffer; proofs: Buffer[][] } {
  assertHashes(leafHashes, 'Leaf hashes');
  const build = (leaves: Buffer[]): { root: Buffer; proofs: Buffer[][] } => {
    if (leaves.length === 0) return { root: sha256(), proofs: [] };
    if (leaves.length === 1) return { root: leaves[0], proofs: [[]] };
    const k = splitPoint(leaves.length);
    const left = build(leaves.slice(0, k));
    const right = build(leaves.slice(k));
    for (const p of left.proofs) p.push(right.root);
    for (const p of right.proofs) p.push(left.root);
    return { root: merkleNodeHash(left.root, right.root), proofs: [...left.proofs, ...right.proofs] };
  };
  return build(leafHashes);
}

/** Proof that the tree of the first `size1` leaves is a prefix of the tree of all (RFC 6962 §2.1.2). */
export function consistencyProof(leafHashes: Buffer[], size1: number): Buffer[] {
  assertHashes(leafHashes, 'Leaf hashes');
  if (!Number.isInteger(size1) || size1 < 0 || size1 > leafHashes.length) {
    throw new InvalidHashError(`Size ${size1} is outside a tree of ${leafHashes.length}.`);
  }
  if (size1 === 0) return [];
  const subproof = (m: number, leaves: Buffer[], complete: boolean): Buffer[] => {
    if (m === leaves.length) return complete ? [] : [treeHash(leaves)];
    const k = splitPoint(leaves.length);
    return m <= k
      ? [...subproof(m, leaves.slice(0, k), complete), treeHash(leaves.slice(k))]
      : [...subproof(m - k, leaves.slice(k), false), treeHash(leaves.slice(0, k))];
  };
  return subproof(size1, leafHashes, true);
}

function toIndex(value: TreeIndex): bigint | null {
  if (typeof value === 'bigint') return value >= 0n ? value : null;
  return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : null;
}

const isDigest = (h: unknown): h is Buffer => Buffer.isBuffer(h) && h.length === HASH_SIZE;

/** RFC 9162: on the tree's right edge a node may have no sibling; skip the levels where fn is a left child. */
function climbRightEdge(fn: bigint, sn: bigint): [bigint, bigint] {
  while ((fn & 1n) === 0n && fn !== 0n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  return [fn, sn];
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show that `leafHash` is leaf `leafIndex` of the tree of
 * `treeSize` leaves with root `root`? Malformed input (bad sizes, hashes not 32 bytes) is false.
 */
export function verifyInclusionProof(
  leafIndex: TreeIndex,
  treeSize: TreeIndex,
  leafHash: Buffer,
  proof: Buffer[],
  root: Buffer,
): boolean {
  const index = toIndex(leafIndex);
  const size = toIndex(treeSize);
  if (index === null || size === null || index >= size) return false;
  if (!isDigest(leafHash) || !isDigest(root) || !Array.isArray(proof) || !proof.every(isDigest)) return false;
  let fn = index;
  let sn = size - 1n;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = merkleNodeHash(p, r);
      [fn, sn] = climbRightEdge(fn, sn);
    } else {
      r = merkleNodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(root);
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `size1` leaves (root `root1`) is a prefix
 * of the tree of `size2` leaves (root `root2`)? Malformed input is false.
 */
export function verifyConsistencyProof(
  size1: TreeIndex,
  size2: TreeIndex,
  proof: Buffer[] | null,
  root1: Buffer,
  root2: Buffer,
): boolean {
  const first = toIndex(size1);
  const second = toIndex(size2);
  const nodes = proof ?? [];
  if (first === null || second === null || first > second) return false;
  if (!isDigest(root1) || !isDigest(root2) || !Array.isArray(nodes) || !nodes.every(isDigest)) return false;
  if (first === second) return nodes.length === 0 && root1.equals(root2);
  // Every tree extends the empty tree; there is nothing to prove.
  if (first === 0n) return nodes.length === 0;
  if (nodes.length === 0) return false;
  const path = (first & (first - 1n)) === 0n ? [root1, ...nodes] : nodes;
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = merkleNodeHash(c, fr);
      sr = merkleNodeHash(c, sr);
      [fn, sn] = climbRightEdge(fn, sn);
    } else {
      sr = merkleNodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && fr.equals(root1) && sr.equals(root2);
}
