import { createHash } from 'node:crypto';
import { merkleNodeHash } from './merkle';

/**
 * The right edge of an append-only RFC 6962 tree: the roots of its perfect subtrees, largest
 * (leftmost) first, one per set bit of the tree size. Appending a leaf and computing the root
 * cost O(log n) hashes and O(log n) storage, so the sealer never re-reads old leaves.
 */
export type CompactRange = Buffer[];

/** The range after appending `leafHash` to a tree of `size` leaves whose range is `range`. */
export function appendLeaf(range: CompactRange, size: number, leafHash: Buffer): CompactRange {
  const next = [...range];
  let hash = leafHash;
  // Each trailing 1-bit of the size is a perfect subtree of the new leaf's height: merge it.
  for (let s = size; s % 2 === 1; s = Math.floor(s / 2)) hash = merkleNodeHash(next.pop()!, hash);
  next.push(hash);
  return next;
}

/** The Merkle tree hash of the tree the range describes (SHA-256("") when empty). */
export function rangeRoot(range: CompactRange): Buffer {
  if (range.length === 0) return createHash('sha256').digest();
  let root = range[range.length - 1];
  for (let i = range.length - 2; i >= 0; i--) root = merkleNodeHash(range[i], root);
  return root;
}
