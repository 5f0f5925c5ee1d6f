import { createHash } from 'node:crypto';
import { InvalidHashError } from '../errors/invalid-hash.error';
import { merkleNodeHash, merkleRoot } from './merkle';

/**
 * The right edge of an append-only RFC 6962 tree: the roots of its perfect subtrees, largest
 * (leftmost) first, one per set bit of the tree size. Appending a leaf and computing the root
 * cost O(log n) hashes and O(log n) storage, so the sealer never re-reads old leaves.
 */
export type CompactRange = Buffer[];

/** The range after appending `leafHash` to a tree of `size` leaves whose range is `range`. */
export function appendLeaf(range: CompactRange, size: number, leafHash: Buffer): CompactRange {
  return appendLeafInPlace([...range], size, leafHash);
}

/**
 * `appendLeaf` that updates `range` itself and returns it: a replay that owns its range appends a
 * leaf per event without copying the range each time.
 */
export function appendLeafInPlace(range: CompactRange, size: number, leafHash: Buffer): CompactRange {
  let hash = leafHash;
  // Each trailing 1-bit of the size is a perfect subtree of the new leaf's height: merge it.
  for (let s = size; s % 2 === 1; s = Math.floor(s / 2)) hash = merkleNodeHash(range.pop()!, hash);
  range.push(hash);
  return range;
}

/** The Merkle tree hash of the tree the range describes (SHA-256("") when empty). */
export function rangeRoot(range: CompactRange): Buffer {
  if (range.length === 0) return createHash('sha256').digest();
  let root = range[range.length - 1];
  for (let i = range.length - 2; i >= 0; i--) root = merkleNodeHash(range[i], root);
  return root;
}

/** The [start, start + size) leaf spans of the perfect subtrees a compact range of `treeSize` holds, in order. */
function rangeSpans(treeSize: number): { start: number; size: number }[] {
  const spans: { start: number; size: number }[] = [];
  let size = 1;
  while (size * 2 <= treeSize) size *= 2;
  for (let start = 0; size >= 1; size /= 2) {
    if (treeSize - start >= size) {
      spans.push({ start, size });
      start += size;
    }
  }
  return spans;
}

/**
 * RFC 9162 §2.1.4.1 consistency proof from the tree of `size1` leaves, known only by its compact
 * range `range1`, to that tree extended by `newLeaves` (the leaf hashes size1..n−1). Equal to
 * merkle.consistencyProof(allLeaves, size1), but costs O((n − size1) + log n) hashes: every old
 * node of the proof is a subtree of `range1`, every other node is built from new leaves only, so
 * no old leaf is read again.
 * @throws InvalidHashError when `range1` is not the range of a tree of `size1` 32-byte hashes,
 * or a leaf hash is not 32 bytes.
 */
export function consistencyProofFromRange(
  size1: number,
  range1: CompactRange,
  newLeaves: Buffer[],
): Buffer[] {
  const spans = Number.isSafeInteger(size1) && size1 >= 0 ? rangeSpans(size1) : null;
  if (
    !spans ||
    range1.length !== spans.length ||
    range1.some((h) => !Buffer.isBuffer(h) || h.length !== 32)
  ) {
    throw new InvalidHashError(
      `The compact range is not one of a tree of ${size1} leaves (one 32-byte hash per set bit).`,
    );
  }
  const size2 = size1 + newLeaves.length;
  // Every tree extends the empty tree, and a tree extends itself: nothing to prove.
  if (size1 === 0 || size1 === size2) return [];
  const oldNode = (start: number, size: number): Buffer => {
    const i = spans.findIndex((s) => s.start === start && s.size === size);
    // NOTE: unreachable, kept as the proof's assertion: SUBPROOF only takes an old node
    // [start, start + k) where k is a set bit of size1 and start is the sum of size1's higher
    // bits, which is exactly the range's node for bit k.
    if (i < 0)
      throw new InvalidHashError(`Leaves ${start}..${start + size - 1} are not a subtree of the range.`);
    return range1[i];
  };
  const newNode = (start: number, end: number) => merkleRoot(newLeaves.slice(start - size1, end - size1));

  // RFC 9162 SUBPROOF(m, D[start:start+n], complete), unrolled: nodes come out outermost first.
  const nodes: Buffer[] = [];
  let [start, m, n, complete] = [0, size1, size2, true];
  let k = 1;
  while (k * 2 < n) k *= 2;
  while (m !== n) {
    while (k >= n) k /= 2; // the largest power of two below n
    if (m <= k) {
      nodes.push(newNode(start + k, start + n));
      n = k;
    } else {
      nodes.push(oldNode(start, k));
      [start, m, n, complete] = [start + k, m - k, n - k, false];
    }
  }
  if (!complete) nodes.push(oldNode(start, n));
  return nodes.reverse();
}
