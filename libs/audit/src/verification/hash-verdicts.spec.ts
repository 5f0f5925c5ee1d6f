import fc from 'fast-check';
import { eventHash, EVENT_HASH_ALG, EVENT_HASH_ALG_V1 } from '../crypto/event-hash';
import { recordedFields, storedLinkOf, type EventRow } from '../storage/sealed-event.mapper';
import type { LogRow } from '../storage/verification.store';
import { HashVerdict, hashVerdict } from './chain-verifier';
import { hashBodyOf, hashVerdictsOf } from './hash-verdicts';

const PREV = Buffer.alloc(32, 7);
const JSONB = ['before', 'after', 'changes', 'patch', 'source', 'metadata', 'database_facts'] as const;

/** The row with its jsonb columns parsed: what the verifier hashed before bodies existed. */
const parsed = (row: LogRow) =>
  ({
    ...row,
    ...Object.fromEntries(JSONB.map((c) => [c, row[c] === null ? null : (JSON.parse(row[c]) as unknown)])),
  }) as unknown as EventRow;

/** A log row as the driver returns it (jsonb as PostgreSQL's text of it), hashed with `alg`. */
function logRow(overrides: Partial<Record<keyof LogRow, unknown>> = {}, alg = EVENT_HASH_ALG): LogRow {
  const v11 = alg === EVENT_HASH_ALG;
  const row = {
    id: 'e1',
    entity_type: 'User',
    entity_id: 'u1',
    chain_seq: '3',
    global_seq: '11',
    hash_alg: alg,
    prev_hash: PREV,
    hash: Buffer.alloc(32),
    tenant_id: 't1',
    action: 'UPDATE',
    actor_type: 'USER',
    actor_id: 'alice',
    actor_display: 'Alice',
    module: null,
    transaction_code: null,
    occurred_at: '2026-11-22 10:00:00.12+00',
    // As jsonb writes it: its own member order, a space after each separator.
    before: '{"n": 1.5, "role": "user", "tags": ["a"]}',
    after: '{"n": 1.5, "role": "admin", "tags": ["a"]}',
    changes: '[{"after": "admin", "field": "role", "before": "user"}]',
    patch: '[{"op": "replace", "path": "/role", "value": "admin"}]',
    source: '{"ip": "10.0.0.1", "userAgent": "jest", "requestId": null, "sessionId": null}',
    metadata: '{"reason": "test"}',
    batch_tree_size: '11',
    key_id: 'k1',
    operation_id: v11 ? '01936b2e-0000-7000-8000-000000000001' : null,
    origin: v11 ? 'ASSERTED' : null,
    database_facts: v11 ? '{"role": "app", "time": "2026-11-22T10:00:00.120Z", "transactionId": "42"}' : null,
    batch_note: null,
    batch_head_index: null,
    batch_head_proof: null,
  } as LogRow;
  row.hash = eventHash(recordedFields(parsed(row)), 3, PREV, alg);
  return { ...row, ...overrides } as LogRow;
}

const verdicts = (...rows: LogRow[]) => [...hashVerdictsOf(rows.map(hashBodyOf))];

describe('hashVerdictsOf (over hashBodyOf)', () => {
  it('finds honest rows of both hash versions matching', () => {
    expect(verdicts(logRow(), logRow({}, EVENT_HASH_ALG_V1))).toEqual([HashVerdict.MATCH, HashVerdict.MATCH]);
  });

  it.each<[string, Partial<Record<keyof LogRow, unknown>>, HashVerdict]>([
    [
      'a changed snapshot value',
      { after: '{"n": 1.5, "role": "root", "tags": ["a"]}' },
      HashVerdict.MISMATCH,
    ],
    ['a changed number', { before: '{"n": 1.25, "role": "user", "tags": ["a"]}' }, HashVerdict.MISMATCH],
    ['another actor', { actor_id: 'mallory' }, HashVerdict.MISMATCH],
    ['another chain position', { chain_seq: '4' }, HashVerdict.MISMATCH],
    ['another previous hash', { prev_hash: Buffer.alloc(32) }, HashVerdict.MISMATCH],
    ['a time that is not one', { occurred_at: 'yesterday' }, HashVerdict.MISMATCH],
    ['changes that are not a list', { changes: '{"role": "admin"}' }, HashVerdict.MISMATCH],
    ['a source that is null', { source: 'null' }, HashVerdict.MISMATCH],
    ['an unknown algorithm', { hash_alg: 'md5' }, HashVerdict.UNKNOWN_ALGORITHM],
  ])('finds %s', (_what, tamper, verdict) => {
    expect(verdicts(logRow(tamper))).toEqual([verdict]);
  });

  it('finds an audit/v1 row holding a member only audit/v1.1 hashes', () => {
    expect(verdicts(logRow({ origin: 'ASSERTED' }, EVENT_HASH_ALG_V1))).toEqual([
      HashVerdict.UNHASHED_MEMBERS,
    ]);
  });

  it('gives text that is no body a mismatch, never an exception', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect([...hashVerdictsOf(['', 'null', '[]', '{"id":1}', '{', '[1,2,3]', deep])]).toEqual(
      new Array(7).fill(HashVerdict.MISMATCH),
    );
  });

  it('reaches the verdict hashing the parsed row reaches, whatever its columns hold (fast-check, 300 runs, seed 1207)', () => {
    // Any string in any text column (quotes, controls, lone surrogates), any JSON in any jsonb
    // column: a body must stay one array of the row's members, or a crafted value could shift
    // the others and pass.
    const text = fc.option(fc.string({ unit: 'binary', maxLength: 12 }), { nil: null });
    const json = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(
        fc.record({ actor_id: text, actor_display: text, tenant_id: text, module: text, entity_id: text }),
        fc.record({ before: json, after: json, changes: json, patch: json, source: json, metadata: json }),
        fc.boolean(),
        (scalars, jsonb, honest) => {
          const row = honest ? logRow() : logRow({ ...scalars, ...jsonb });
          const expected = hashVerdict(recordedFields(parsed(row)), storedLinkOf(row));
          expect(verdicts(row)).toEqual([expected]);
        },
      ),
      { numRuns: 300, seed: 1207 },
    );
  });
});

describe('hashVerdict over a link of hex hashes (the trail read checks its mapped events so)', () => {
  const hexLink = (row: LogRow) => ({
    chainSeq: Number(row.chain_seq),
    hashAlg: row.hash_alg,
    prevHash: row.prev_hash.toString('hex'),
    hash: row.hash.toString('hex'),
  });

  it.each<[string, LogRow, HashVerdict]>([
    ['an honest audit/v1.1 row', logRow(), HashVerdict.MATCH],
    ['an honest audit/v1 row', logRow({}, EVENT_HASH_ALG_V1), HashVerdict.MATCH],
    ['a changed actor', logRow({ actor_id: 'mallory' }), HashVerdict.MISMATCH],
    ['another previous hash', logRow({ prev_hash: Buffer.alloc(32, 8) }), HashVerdict.MISMATCH],
    ['a flipped hash byte', logRow({ hash: Buffer.alloc(32, 1) }), HashVerdict.MISMATCH],
    ['an unknown algorithm', logRow({ hash_alg: 'audit/v9' }), HashVerdict.UNKNOWN_ALGORITHM],
    [
      'an audit/v1 row with a v1.1 member',
      logRow({ origin: 'ASSERTED' }, EVENT_HASH_ALG_V1),
      HashVerdict.UNHASHED_MEMBERS,
    ],
  ])('reaches the verdict of its bytes on %s', (_what, row, verdict) => {
    const fields = recordedFields(parsed(row));
    expect(hashVerdict(fields, hexLink(row))).toBe(verdict);
    expect(hashVerdict(fields, storedLinkOf(row))).toBe(verdict);
  });
});
