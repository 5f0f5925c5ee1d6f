import { createHash } from 'node:crypto';
import {
  headLine,
  headMoved,
  movedHeadLeaf,
  movedHeads,
  movedLine,
  parseStatementClaim,
  type EntityHead,
} from './log-statements';
import { merkleLeafHash, merkleNodeHash } from './merkle';

const head = (n: number): EntityHead => ({
  key: createHash('sha256').update(`entity ${n}`).digest(),
  chainSeq: n + 1,
  hash: createHash('sha256').update(`event ${n}`).digest(),
});

describe('statement formats', () => {
  it('reads a v1 statement as its one head and a v2 one as its moved heads', () => {
    const h = head(1);
    expect(parseStatementClaim([headLine(h)])).toEqual({ format: 1, head: h });
    const { moved } = movedHeads([h, head(2)]);
    expect(parseStatementClaim([movedLine(moved)])).toEqual({ format: 2, moved });
  });

  it('hashes a moved head as the RFC 6962 leaf of its v1 head line', () => {
    const h = head(3);
    expect(movedHeadLeaf(h).equals(merkleLeafHash(Buffer.from(headLine(h))))).toBe(true);
    const { moved } = movedHeads([h, head(4)]);
    expect(moved.root.equals(merkleNodeHash(movedHeadLeaf(h), movedHeadLeaf(head(4))))).toBe(true);
  });

  it('refuses a malformed or ambiguous ending', () => {
    const { moved } = movedHeads([head(1)]);
    const line = movedLine(moved);
    for (const extensions of [
      [],
      [line, line],
      [line.replace('moved 1', 'moved 0')],
      [line.replace('moved 1', 'moved 01')],
      [line.replace(/=$/, '')],
      [line.slice(0, -2) + 'B='], // non-canonical base64 (trailing bits)
      ['audit/v2 moved 99999999999999999 ' + moved.root.toString('base64')],
      [headLine(head(1)).replace(' 2 ', ' 02 ')],
      ['audit/v3 moved 1 ' + moved.root.toString('base64')],
    ]) {
      expect(() => parseStatementClaim(extensions)).toThrow();
    }
  });

  it('proves each moved head, and nothing else, under the root', () => {
    const heads = Array.from({ length: 13 }, (_, i) => head(i));
    const { moved, proofs } = movedHeads(heads);
    heads.forEach((h, i) => {
      expect(headMoved(moved, h, i, proofs[i])).toBe(true);
      expect(headMoved(moved, { ...h, chainSeq: h.chainSeq + 1 }, i, proofs[i])).toBe(false);
      expect(headMoved(moved, h, (i + 1) % heads.length, proofs[i])).toBe(false);
      expect(headMoved({ ...moved, count: i }, h, i, proofs[i])).toBe(false);
    });
    expect(headMoved(moved, head(99), 0, proofs[0])).toBe(false);
    expect(headMoved(moved, heads[0], -1, proofs[0])).toBe(false);
    expect(headMoved(moved, heads[0], 0, [Buffer.alloc(5)])).toBe(false);
  });
});
