import { vectorFiles } from '../../../../test/support/vectors';
import { InvalidHashError } from '../errors/invalid-hash.error';
import {
  consistencyProof,
  inclusionProof,
  inclusionProofs,
  merkleLeafHash,
  merkleRoot,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './merkle';

const b64 = (s: string) => Buffer.from(s, 'base64');
const REFERENCE_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => merkleLeafHash(Buffer.from(hex, 'hex')));
const REFERENCE_ROOT = '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328';

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}
interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

const inclusion = vectorFiles('merkle/inclusion').map(
  ([name, text]) => [name, JSON.parse(text) as InclusionVector] as const,
);
const consistency = vectorFiles('merkle/consistency').map(
  ([name, text]) => [name, JSON.parse(text) as ConsistencyVector] as const,
);

describe('RFC 6962 Merkle tree', () => {
  it('computes the reference tree root and the empty root', () => {
    expect(merkleRoot(REFERENCE_LEAVES).toString('hex')).toBe(REFERENCE_ROOT);
    expect(merkleRoot([]).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('refuses leaf hashes that are not 32 bytes', () => {
    expect(() => merkleRoot([Buffer.alloc(31)])).toThrow(InvalidHashError);
  });

  it('has the published vectors, including tampered ones', () => {
    expect(inclusion.length).toBeGreaterThan(50);
    expect(consistency.length).toBeGreaterThan(40);
    expect(inclusion.some(([, v]) => v.wantErr)).toBe(true);
  });

  it.each(inclusion)('inclusion %s', (_name, v) => {
    const args = [v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root)] as const;
    expect(verifyInclusionProof(...args)).toBe(!v.wantErr);
    expect(
      verifyInclusionProof(
        BigInt(v.leafIdx),
        BigInt(v.treeSize),
        ...(args.slice(2) as [Buffer, Buffer[], Buffer]),
      ),
    ).toBe(!v.wantErr);
  });

  it.each(consistency)('consistency %s', (_name, v) => {
    expect(
      verifyConsistencyProof(v.size1, v.size2, (v.proof ?? []).map(b64), b64(v.root1), b64(v.root2)),
    ).toBe(!v.wantErr);
  });

  it('generates inclusion proofs for every leaf of every prefix of the reference tree that verify', () => {
    for (let size = 1; size <= REFERENCE_LEAVES.length; size++) {
      const leaves = REFERENCE_LEAVES.slice(0, size);
      const root = merkleRoot(leaves);
      for (let i = 0; i < size; i++) {
        const proof = inclusionProof(leaves, i);
        expect(verifyInclusionProof(i, size, leaves[i], proof, root)).toBe(true);
        expect(
          verifyInclusionProof(i, size, leaves[(i + 1) % size === i ? i : (i + 1) % size], proof, root),
        ).toBe(size === 1);
      }
    }
  });

  it('computes every audit path at once exactly as inclusionProof does, for trees of 1 to 70 leaves', () => {
    const leaves = Array.from({ length: 70 }, (_, i) => merkleLeafHash(Buffer.from([i])));
    for (let size = 1; size <= leaves.length; size++) {
      const prefix = leaves.slice(0, size);
      const all = inclusionProofs(prefix);
      expect(all.root.equals(merkleRoot(prefix))).toBe(true);
      expect(all.proofs.map((p) => p.map((h) => h.toString('hex')))).toEqual(
        prefix.map((_, i) => inclusionProof(prefix, i).map((h) => h.toString('hex'))),
      );
    }
    expect(inclusionProofs([])).toEqual({ root: merkleRoot([]), proofs: [] });
  });

  it('generates consistency proofs between every pair of prefixes that verify, and fail across forks', () => {
    for (let size2 = 1; size2 <= REFERENCE_LEAVES.length; size2++) {
      const root2 = merkleRoot(REFERENCE_LEAVES.slice(0, size2));
      for (let size1 = 1; size1 <= size2; size1++) {
        const root1 = merkleRoot(REFERENCE_LEAVES.slice(0, size1));
        const proof = consistencyProof(REFERENCE_LEAVES.slice(0, size2), size1);
        expect(verifyConsistencyProof(size1, size2, proof, root1, root2)).toBe(true);
        const forked = merkleRoot([merkleLeafHash(Buffer.from('fork')), ...REFERENCE_LEAVES.slice(1, size1)]);
        expect(verifyConsistencyProof(size1, size2, proof, forked, root2)).toBe(false);
      }
    }
  });

  it('matches the published happy-path proofs exactly', () => {
    for (const [, v] of inclusion.filter(([, x]) => !x.wantErr && x.treeSize === 8)) {
      expect(inclusionProof(REFERENCE_LEAVES, v.leafIdx).map((p) => p.toString('base64'))).toEqual(
        v.proof ?? [],
      );
    }
    for (const [, v] of consistency.filter(([, x]) => !x.wantErr && x.size2 === 8 && x.size1 > 0)) {
      expect(consistencyProof(REFERENCE_LEAVES, v.size1).map((p) => p.toString('base64'))).toEqual(
        v.proof ?? [],
      );
    }
  });
});
