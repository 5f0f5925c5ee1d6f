import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Checkpoint } from '../crypto/checkpoint';
import { headLine, movedHeads, movedLine, type EntityHead } from '../crypto/log-statements';
import {
  checkBatchStatement,
  movedPlace,
  PendingRoots,
  proofNodes,
  type BatchEnd,
  type BatchVerdict,
} from './batch-statement';

const sha = (s: string) => createHash('sha256').update(s).digest();
const head = (n: number): EntityHead => ({
  key: sha(`entity ${n}`),
  chainSeq: n + 1,
  hash: sha(`event ${n}`),
});
const ROOT = sha('root');

const statement = (size: number, extension: string): Checkpoint => ({
  origin: 'audit-ledger/log',
  size,
  root: ROOT,
  time: new Date('2026-12-03T00:00:00.000Z'),
  extensions: [extension],
});
const opened = (checkpoint: Checkpoint, keyId = 'k1') => ({ checkpoint, keyId });
const end = (h: EntityHead, treeSize: number, moved: BatchEnd['moved'] = null, keyId = 'k1'): BatchEnd => ({
  keyId,
  treeSize,
  head: { key: h.key, chainSeq: h.chainSeq, hash: h.hash },
  moved,
});
const reason = (v: BatchVerdict) => (v.ok ? 'OK' : v.reason);

describe('checkBatchStatement, format v1 (a statement per batch)', () => {
  const h = head(1);
  const v1 = statement(10, headLine(h));

  it('accepts the statement of the batch ending at its size, and hands back its tree', () => {
    expect(checkBatchStatement(opened(v1), end(h, 10))).toEqual({
      ok: true,
      format: 1,
      size: 10,
      root: ROOT,
    });
  });

  it('matches a batch whose event the verifier lacks (a filtered bundle) on the leaf hash alone', () => {
    const anonymous: BatchEnd = { ...end(h, 10), head: { key: null, chainSeq: null, hash: h.hash } };
    expect(reason(checkBatchStatement(opened(v1), anonymous))).toBe('OK');
    expect(
      reason(checkBatchStatement(opened(v1), { ...anonymous, head: { ...anonymous.head, hash: sha('x') } })),
    ).toBe('HEAD_MISMATCH');
  });

  it('names each way the statement and the batch disagree', () => {
    expect(reason(checkBatchStatement(opened(v1), end(h, 11)))).toBe('SIZE_MISMATCH');
    expect(reason(checkBatchStatement(opened(v1, 'k2'), end(h, 10)))).toBe('KEY_MISMATCH');
    expect(reason(checkBatchStatement(opened(v1), end({ ...h, chainSeq: h.chainSeq - 1 }, 10)))).toBe(
      'TRUNCATED',
    );
    expect(reason(checkBatchStatement(opened(v1), end({ ...h, chainSeq: h.chainSeq + 1 }, 10)))).toBe(
      'HEAD_MISMATCH',
    );
    expect(reason(checkBatchStatement(opened(v1), end({ ...h, hash: sha('other') }, 10)))).toBe(
      'HEAD_MISMATCH',
    );
    expect(reason(checkBatchStatement(opened(v1), end(head(2), 10)))).toBe('HEAD_MISMATCH');
    expect(reason(checkBatchStatement(opened(statement(10, 'heads x')), end(h, 10)))).toBe('MALFORMED');
  });

  it('refuses a v1 statement once the log has moved to v2 (no downgrade)', () => {
    expect(reason(checkBatchStatement(opened(v1), end(h, 10), 2))).toBe('DOWNGRADE');
  });
});

describe('checkBatchStatement, format v2 (a statement per sealing transaction)', () => {
  const heads = [head(1), head(2), head(3)];
  const { moved, proofs } = movedHeads(heads);
  const v2 = statement(30, movedLine(moved));
  const place = (i: number) => ({ index: i, proof: proofs[i] });

  it("accepts every head the transaction moved, at or before the statement's size", () => {
    heads.forEach((h, i) => {
      const verdict = checkBatchStatement(opened(v2), end(h, 10 * (i + 1), place(i)), 2);
      expect(verdict).toEqual({ ok: true, format: 2, size: 30, root: ROOT });
    });
  });

  it('refuses a head not at its index, another head, a missing proof, a batch after the statement', () => {
    expect(reason(checkBatchStatement(opened(v2), end(heads[0], 10, place(1))))).toBe('HEAD_MISMATCH');
    expect(reason(checkBatchStatement(opened(v2), end(head(9), 10, place(0))))).toBe('HEAD_MISMATCH');
    expect(reason(checkBatchStatement(opened(v2), end({ ...heads[0], chainSeq: 1 }, 10, place(0))))).toBe(
      'HEAD_MISMATCH',
    );
    expect(reason(checkBatchStatement(opened(v2), end(heads[0], 10, null)))).toBe('HEAD_MISMATCH');
    expect(reason(checkBatchStatement(opened(v2), end(heads[2], 31, place(2))))).toBe('SIZE_MISMATCH');
    expect(reason(checkBatchStatement(opened(v2, 'k2'), end(heads[0], 10, place(0))))).toBe('KEY_MISMATCH');
    const anonymous: BatchEnd = {
      ...end(heads[0], 10, place(0)),
      head: { key: null, chainSeq: null, hash: heads[0].hash },
    };
    expect(reason(checkBatchStatement(opened(v2), anonymous))).toBe('HEAD_MISMATCH');
  });

  it('gives a verdict, never an exception, for any statement ending and any stored place', () => {
    const bytes = fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b));
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constant(movedLine(moved)), fc.constant(headLine(heads[0]))),
        fc.integer({ min: -5, max: 40 }),
        fc.oneof(fc.constant(null), fc.integer({ min: -3, max: 5 })),
        fc.array(bytes, { maxLength: 4 }),
        fc.oneof(fc.constant(1 as const), fc.constant(2 as const)),
        (extension, treeSize, index, proof, min) => {
          const place = index === null ? null : { index, proof };
          const verdict = checkBatchStatement(
            opened(statement(30, extension)),
            end(heads[0], treeSize, place),
            min,
          );
          expect(typeof verdict.ok).toBe('boolean');
        },
      ),
      { seed: 1812, numRuns: 500 },
    );
  });
});

describe('stored v2 places', () => {
  it('splits a stored path into 32-byte nodes and refuses anything else', () => {
    const path = Buffer.concat([sha('a'), sha('b')]);
    expect(proofNodes(path)?.map((n) => n.toString('hex'))).toEqual([
      sha('a').toString('hex'),
      sha('b').toString('hex'),
    ]);
    expect(proofNodes(Buffer.alloc(0))).toEqual([]);
    expect(proofNodes(Buffer.alloc(33))).toBeNull();
    expect(proofNodes(null)).toBeNull();
  });

  it('takes an index only when it is a non-negative safe integer with a path', () => {
    expect(movedPlace(0, [])).toEqual({ index: 0, proof: [] });
    for (const index of [-1, 1.5, '0', null, undefined, Number.MAX_SAFE_INTEGER + 1])
      expect(movedPlace(index, [])).toBeNull();
    expect(movedPlace(0, null)).toBeNull();
  });
});

describe('PendingRoots', () => {
  it('holds a root until the tree reaches its size, then compares it once', () => {
    const roots = new PendingRoots();
    expect(roots.expect(5, sha('r5'))).toBe(true);
    expect(roots.expect(5, sha('r5'))).toBe(true); // a transaction's later batches, same statement
    expect(roots.settle(4, () => sha('r4'))).toBeNull();
    expect(roots.settle(5, () => sha('r5'))).toBe(true);
    expect(roots.settle(5, () => sha('r5'))).toBeNull();
    expect(roots.expect(7, sha('r7'))).toBe(true);
    expect(roots.settle(7, () => sha('other'))).toBe(false);
  });

  it('calls two roots for one size a fork, and reports sizes never reached', () => {
    const roots = new PendingRoots();
    expect(roots.expect(9, sha('a'))).toBe(true);
    expect(roots.expect(9, sha('b'))).toBe(false);
    roots.expect(3, sha('c'));
    expect(roots.unsettled()).toEqual([3, 9]);
  });
});
