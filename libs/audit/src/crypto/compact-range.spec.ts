import { randomBytes } from 'node:crypto';
import { appendLeaf, rangeRoot, type CompactRange } from './compact-range';
import { merkleLeafHash, merkleRoot } from './merkle';

describe('compact range', () => {
  it('gives the same root as the full tree after every append, for sizes 0..130', () => {
    const leaves = Array.from({ length: 130 }, () => merkleLeafHash(randomBytes(8)));
    let range: CompactRange = [];
    expect(rangeRoot(range).equals(merkleRoot([]))).toBe(true);
    leaves.forEach((leaf, size) => {
      range = appendLeaf(range, size, leaf);
      expect(rangeRoot(range).equals(merkleRoot(leaves.slice(0, size + 1)))).toBe(true);
      // One stored hash per set bit of the size.
      expect(range).toHaveLength((size + 1).toString(2).replace(/0/g, '').length);
    });
  });

  it('does not change the range it is given', () => {
    const range = [merkleLeafHash(Buffer.from('a'))];
    appendLeaf(range, 1, merkleLeafHash(Buffer.from('b')));
    expect(range).toHaveLength(1);
  });
});
