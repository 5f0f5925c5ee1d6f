import fc from 'fast-check';
import { hashedEventText } from '../crypto/event-hash';
import type { AuditEvent } from '../events/audit-event';
import {
  hashedFieldsOf,
  isoTimestamp,
  recordedFields,
  storedLinkOf,
  toSealedEvent,
  type EventRow,
  type HexEventRow,
} from './sealed-event.mapper';

describe('isoTimestamp', () => {
  it.each([
    '2026-11-22 10:00:00+00',
    '2026-11-22 10:00:00.1+00',
    '2026-11-22 10:00:00.12+00',
    '2026-11-22 10:00:00.123+00',
    '2026-11-22 10:00:00.123456+00',
    '2026-11-22 10:00:00.999999+00',
    '2026-11-22 10:00:00.123+05:30',
    '2026-11-22T10:00:00.123Z',
    '0999-01-01 00:00:00+00',
  ])('reads %s as Date does', (text) => {
    expect(isoTimestamp(text)).toBe(new Date(text).toISOString());
  });

  it('takes a Date', () => {
    expect(isoTimestamp(new Date(1795370990298))).toBe('2026-11-22T18:09:50.298Z');
  });

  it.each(['infinity', '-infinity', '0044-03-15 12:00:00+00 BC'])(
    'shows %s, a time no Date holds (only tampering stores one), as stored instead of throwing',
    (text) => {
      expect(isoTimestamp(text)).toBe(text);
    },
  );
});

const row: EventRow = {
  id: 'e1',
  entity_type: 'User',
  entity_id: 'u1',
  chain_seq: '2',
  global_seq: '7',
  hash_alg: 'audit/v1',
  prev_hash: Buffer.alloc(32, 1),
  hash: Buffer.alloc(32, 2),
  tenant_id: null,
  action: 'UPDATE',
  actor_type: 'USER',
  actor_id: 'alice',
  actor_display: null,
  module: null,
  transaction_code: null,
  occurred_at: '2026-11-22 10:00:00.123+00',
  recorded_at: '2026-11-22 10:00:01.5+00',
  before: { role: 'user', b: { z: 1, a: [{ y: 1, x: 2 }] } },
  after: JSON.parse('{"role":"admin","__proto__":{"polluted":true}}') as EventRow['after'],
  changes: [],
  patch: [],
  source: {},
  metadata: {},
  batch_tree_size: '7',
  key_set_id: 'default',
  key_id: 'k1',
  operation_id: null,
  origin: null,
  database_facts: null,
};

describe('toSealedEvent', () => {
  it('sorts object members at every depth and keeps "__proto__" as a member', () => {
    const event = toSealedEvent(row);
    expect(JSON.stringify(event.before)).toBe('{"b":{"a":[{"x":2,"y":1}],"z":1},"role":"user"}');
    expect(JSON.stringify(event.after)).toBe('{"__proto__":{"polluted":true},"role":"admin"}');
    expect(Object.getPrototypeOf(event.after)).toBe(Object.prototype);
    expect(event.occurredAt).toBe('2026-11-22T10:00:00.123Z');
    expect(event.recordedAt).toBe('2026-11-22T10:00:01.500Z');
  });

  it('sorts nested members under digit-first names too (kept where JavaScript puts them)', () => {
    const event = toSealedEvent({ ...row, before: { '10': 1, '9': 2, b: { z: 1, a: 2 } } });
    expect(JSON.stringify(event.before)).toBe('{"9":2,"10":1,"b":{"a":2,"z":1}}');
  });

  it('maps jsonb columns of a shape the sealer never writes (tampering) without throwing', () => {
    const tampered = {
      ...row,
      changes: { role: 'admin' },
      patch: [null],
      source: null,
    } as unknown as EventRow;
    expect(toSealedEvent(tampered)).toMatchObject({
      changes: [],
      patch: [{ op: undefined, path: undefined }],
      source: { ip: null, userAgent: null, requestId: null, sessionId: null },
    });
  });

  it('maps a row whose hashes are hex text (the trail read) as the same row with bytea', () => {
    const hex: HexEventRow = {
      ...row,
      prev_hash: row.prev_hash.toString('hex'),
      hash: row.hash.toString('hex'),
    };
    expect(toSealedEvent(hex)).toEqual(toSealedEvent(row));
    expect(storedLinkOf(hex)).toEqual(storedLinkOf(row));
    expect(toSealedEvent(hex).prevHash).toBe('01'.repeat(32));
  });

  it('maps the audit/v1.1 members, null on an audit/v1 row', () => {
    expect(toSealedEvent(row)).toMatchObject({ operationId: null, origin: null, database: null });
    expect(recordedFields(row)).toMatchObject({ operationId: null, origin: null, database: null });
    const v11: EventRow = {
      ...row,
      hash_alg: 'audit/v1.1',
      operation_id: '01936b2e-0000-7000-8000-0000000000aa',
      origin: 'APP',
      // As jsonb returns it: members in its own (length, then byte) order.
      database_facts: JSON.parse(
        '{"role":"app","time":"2026-11-22T10:00:00.004Z","transactionId":"8812"}',
      ) as EventRow['database_facts'],
    };
    const event = toSealedEvent(v11);
    expect(event).toMatchObject({
      operationId: '01936b2e-0000-7000-8000-0000000000aa',
      origin: 'APP',
      database: { transactionId: '8812', role: 'app', time: '2026-11-22T10:00:00.004Z' },
    });
    expect(Object.keys(event.database!)).toEqual(['transactionId', 'role', 'time']);
    expect(recordedFields(v11)).toMatchObject({
      operationId: v11.operation_id,
      origin: 'APP',
      database: v11.database_facts,
    });
  });
});

describe('hashedFieldsOf', () => {
  const base = { ...row, hash_alg: 'audit/v1.1', tenant_id: 't1' };
  // The text the event hash covers, or that it cannot be hashed (the verifier's mismatch).
  const textOf = (fields: AuditEvent) => {
    try {
      return hashedEventText(fields, 2, Buffer.alloc(32, 1), 'audit/v1.1');
    } catch {
      return 'throws';
    }
  };

  it('hashes to the same text as the stored fields, whatever any jsonb column holds (fast-check, 400 runs, seed 1205)', () => {
    // Honest shapes and tampered ones alike: a reader hashing its mapped copy must reach the
    // verdict the stored row gives, or an edit the mapping smooths over would pass.
    const json = fc.jsonValue({ maxDepth: 3 });
    const change = fc.record({ field: fc.string(), before: json, after: json });
    const op = fc.record({ op: fc.constantFrom('add', 'replace'), path: fc.string(), value: json });
    const list = <T>(entry: fc.Arbitrary<T>) => fc.oneof(fc.array(entry, { maxLength: 3 }), json);
    fc.assert(
      fc.property(
        fc.record({
          before: json,
          after: json,
          changes: list(fc.oneof(change, json)),
          patch: list(fc.oneof(op, json)),
          source: json,
          metadata: json,
          database_facts: json,
        }),
        (columns) => {
          const row = { ...base, ...columns } as unknown as EventRow;
          expect(textOf(hashedFieldsOf(row, toSealedEvent(row)))).toBe(textOf(recordedFields(row)));
        },
      ),
      { numRuns: 400, seed: 1205 },
    );
  });

  it.each([
    ['changes that is no list', { changes: {} }],
    ['a change that is no object', { changes: [null] }],
    ['patch that is no list', { patch: {} }],
    ['a patch operation that is a list', { patch: [['add']] }],
  ])('hashes the stored fields when the mapping changed %s', (_what, columns) => {
    const row = {
      ...base,
      before: null,
      after: null,
      changes: [],
      patch: [],
      source: {},
      metadata: {},
      database_facts: null,
      ...columns,
    } as unknown as EventRow;
    const event = toSealedEvent(row);
    expect(hashedFieldsOf(row, event)).not.toBe(event);
    expect(textOf(hashedFieldsOf(row, event))).toBe(textOf(recordedFields(row)));
  });
});
