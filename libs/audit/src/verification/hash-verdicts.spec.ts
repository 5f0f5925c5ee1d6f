import { eventHash, EVENT_HASH_ALG, EVENT_HASH_ALG_V1 } from '../crypto/event-hash';
import type { AuditEvent } from '../events/audit-event';
import {
  EVENT_COLUMNS,
  eventRowOfJson,
  isoTimestamp,
  recordedFields,
  toSealedEvent,
} from '../storage/sealed-event.mapper';
import { HashVerdict } from './chain-verifier';
import { hashVerdictsOf } from './hash-verdicts';

const PREV = Buffer.alloc(32, 7);

/** The row as `EVENT_JSON` writes it: a JSON array in EVENT_COLUMNS order. */
const text = (row: Record<string, unknown>) => JSON.stringify(EVENT_COLUMNS.map((c) => row[c]));

/** A row's members as `EVENT_JSON` writes them (numbers as numbers, hashes in hex), hashed with `alg`. */
function body(overrides: Record<string, unknown> = {}, alg = EVENT_HASH_ALG): Record<string, unknown> {
  const row = {
    id: 'e1',
    entity_type: 'User',
    entity_id: 'u1',
    chain_seq: 3,
    global_seq: 11,
    hash_alg: alg,
    prev_hash: PREV.toString('hex'),
    hash: '',
    tenant_id: 't1',
    action: 'UPDATE',
    actor_type: 'USER',
    actor_id: 'alice',
    actor_display: 'Alice',
    module: null,
    transaction_code: null,
    occurred_at: '2026-11-22T10:00:00.12+00:00',
    recorded_at: '2026-11-22T10:00:01+00:00',
    before: { role: 'user', tags: ['a'], n: 1.5 },
    after: { role: 'admin', tags: ['a'], n: 1.5 },
    changes: [{ field: 'role', before: 'user', after: 'admin' }],
    patch: [{ op: 'replace', path: '/role', value: 'admin' }],
    source: { ip: '10.0.0.1', userAgent: 'jest', requestId: null, sessionId: null },
    metadata: { reason: 'test' },
    batch_tree_size: 11,
    key_id: 'k1',
    key_set_id: 'default',
    operation_id: alg === EVENT_HASH_ALG ? 'op-1' : null,
    origin: alg === EVENT_HASH_ALG ? 'ASSERTED' : null,
    database_facts:
      alg === EVENT_HASH_ALG ? { transactionId: '42', role: 'app', time: '2026-11-22T10:00:00.120Z' } : null,
    ...overrides,
  };
  const fields: AuditEvent = recordedFields(eventRowOfJson(text({ ...row, hash: '' })));
  return { ...row, hash: eventHash(fields, row.chain_seq, PREV, alg).toString('hex') };
}

describe('eventRowOfJson', () => {
  it('reads a JSON row as the driver row it stands for: hashes as bytes, times as readers show them', () => {
    const row = eventRowOfJson(text(body()));
    expect(row.prev_hash.equals(PREV)).toBe(true);
    expect(row.hash).toHaveLength(32);
    const event = toSealedEvent(row);
    expect(event).toMatchObject({
      chainSeq: 3,
      globalSeq: 11,
      batchTreeSize: 11,
      prevHash: PREV.toString('hex'),
    });
    expect(event.occurredAt).toBe('2026-11-22T10:00:00.120Z');
    expect(event.recordedAt).toBe('2026-11-22T10:00:01.000Z');
  });

  it('maps jsonb columns of a shape the sealer never writes (tampering) without throwing', () => {
    const row = eventRowOfJson(text({ ...body(), changes: { role: 'admin' }, patch: [null], source: null }));
    expect(toSealedEvent(row)).toMatchObject({ changes: [], patch: [{}], source: { ip: null } });
    expect([...hashVerdictsOf([text({ ...body(), source: null })])]).toEqual([HashVerdict.MISMATCH]);
  });

  it.each(['2026-11-22T10:00:00.123456+00:00', '2026-11-22T10:00:00+00:00', '2026-11-22T11:00:00.5+01:00'])(
    'reads the JSON timestamp %s as Date does',
    (value) => expect(isoTimestamp(value)).toBe(new Date(value).toISOString()),
  );
});

describe('hashVerdictsOf', () => {
  it('finds honest rows of both hash versions matching', () => {
    expect([...hashVerdictsOf([text(body()), text(body({}, EVENT_HASH_ALG_V1))])]).toEqual([
      HashVerdict.MATCH,
      HashVerdict.MATCH,
    ]);
  });

  it.each<[string, (row: Record<string, unknown>) => Record<string, unknown>, HashVerdict]>([
    [
      'a changed snapshot value',
      (r) => ({ ...r, after: { role: 'root', tags: ['a'], n: 1.5 } }),
      HashVerdict.MISMATCH,
    ],
    [
      'a changed number',
      (r) => ({ ...r, before: { role: 'user', tags: ['a'], n: 1.25 } }),
      HashVerdict.MISMATCH,
    ],
    ['another actor', (r) => ({ ...r, actor_id: 'mallory' }), HashVerdict.MISMATCH],
    ['another chain position', (r) => ({ ...r, chain_seq: 4 }), HashVerdict.MISMATCH],
    ['another previous hash', (r) => ({ ...r, prev_hash: '00'.repeat(32) }), HashVerdict.MISMATCH],
    ['a time that is not one', (r) => ({ ...r, occurred_at: 'yesterday' }), HashVerdict.MISMATCH],
    ['changes that are not a list', (r) => ({ ...r, changes: { role: 'admin' } }), HashVerdict.MISMATCH],
    ['a hash that is not hex', (r) => ({ ...r, hash: 'zz' }), HashVerdict.MISMATCH],
    ['an unknown algorithm', (r) => ({ ...r, hash_alg: 'md5' }), HashVerdict.UNKNOWN_ALGORITHM],
  ])('finds %s', (_what, tamper, verdict) => {
    expect([...hashVerdictsOf([text(tamper(body()))])]).toEqual([verdict]);
  });

  it('finds an audit/v1 row holding a member only audit/v1.1 hashes', () => {
    const v1 = body({}, EVENT_HASH_ALG_V1);
    expect([...hashVerdictsOf([text({ ...v1, origin: 'ASSERTED' })])]).toEqual([
      HashVerdict.UNHASHED_MEMBERS,
    ]);
  });

  it('gives text that is no row a mismatch, never an exception', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect([...hashVerdictsOf(['', 'null', '[]', '{"id":1}', '{', '[1,2,3]', deep])]).toEqual(
      new Array(7).fill(HashVerdict.MISMATCH),
    );
  });
});
