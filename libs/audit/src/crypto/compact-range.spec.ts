import { randomBytes } from 'node:crypto';
import { InvalidHashError } from '../errors/invalid-hash.error';
import {
  appendLeaf,
  appendLeafInPlace,
  consistencyProofFromRange,
  rangeRoot,
  type CompactRange,
} from './compact-range';
import { consistencyProof, merkleLeafHash, merkleRoot, verifyConsistencyProof } from './merkle';

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

  it('in place: updates the range it is given to what appendLeaf returns', () => {
    const leaves = Array.from({ length: 70 }, () => merkleLeafHash(randomBytes(8)));
    let copied: CompactRange = [];
    const range: CompactRange = [];
    leaves.forEach((leaf, size) => {
      copied = appendLeaf(copied, size, leaf);
      expect(appendLeafInPlace(range, size, leaf)).toBe(range);
      expect(range).toEqual(copied);
    });
  });
});

describe('consistency proof from a compact range', () => {
  const leaves = Array.from({ length: 40 }, () => merkleLeafHash(randomBytes(8)));
  const ranges = leaves.reduce<CompactRange[]>(
    (acc, leaf, size) => [...acc, appendLeaf(acc[size], size, leaf)],
    [[]],
  );

  it('equals the proof over all leaves and verifies, for every 1 <= m <= n <= 40', () => {
    for (let n = 1; n <= 40; n++) {
      const root2 = merkleRoot(leaves.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProofFromRange(m, ranges[m], leaves.slice(m, n));
        expect(proof).toEqual(consistencyProof(leaves.slice(0, n), m));
        expect(verifyConsistencyProof(m, n, proof, rangeRoot(ranges[m]), root2)).toBe(true);
      }
    }
  });

  it('is empty from the empty tree and to the same tree', () => {
    expect(consistencyProofFromRange(0, [], leaves.slice(0, 5))).toEqual([]);
    expect(consistencyProofFromRange(5, ranges[5], [])).toEqual([]);
  });

  it('rejects a range that does not fit the size, and leaves that are not hashes', () => {
    expect(() => consistencyProofFromRange(5, ranges[4], leaves.slice(5, 8))).toThrow(InvalidHashError);
    expect(() => consistencyProofFromRange(-1, [], [])).toThrow(InvalidHashError);
    expect(() => consistencyProofFromRange(3, ranges[3], [Buffer.alloc(31)])).toThrow(InvalidHashError);
  });
});
