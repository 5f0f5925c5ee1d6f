import { PoisonEventError } from '../errors/poison-event.error';
import { capturedChange, rowSnapshot, type CapturedRow, type EntityShape } from './captured-row';
import { FieldMasker } from './field-masker';

const SHAPE: EntityShape = {
  entityType: 'Account',
  props: [
    { name: 'id', kind: 'value', column: 'id' },
    { name: 'balance', kind: 'text', column: 'balance' },
    { name: 'visits', kind: 'text', column: 'visits' },
    { name: 'count', kind: 'value', column: 'count' },
    { name: 'closedAt', kind: 'date', column: 'closed_at' },
    {
      name: 'address',
      kind: 'embedded',
      members: [
        { name: 'street', kind: 'value', column: 'address_street' },
        { name: 'city', kind: 'value', column: 'address_city' },
      ],
    },
    { name: 'org', kind: 'reference', columns: ['org_id'] },
    { name: 'apiToken', kind: 'value', column: 'api_token' },
    { name: 'tenantId', kind: 'value', column: 'tenant_id' },
  ],
  relations: ['tags'],
  masker: new FieldMasker(/token/i, []),
  tenantField: 'tenantId',
};

const DATABASE = { transactionId: '42', role: 'psql_user', time: '2026-12-02T10:00:00.123+00:00' };
const row = (payload: unknown, entityId = 'a1'): CapturedRow => ({
  id: '01940000-0000-7000-8000-000000000001',
  entityType: 'Account',
  entityId,
  payloadText: typeof payload === 'string' ? payload : JSON.stringify(payload),
  database: DATABASE,
});

describe('rowSnapshot', () => {
  it('reads columns as the unit of work records properties: exact digits, UTC dates, embeddables, keys', () => {
    const text =
      '{"id":"a1","balance":10.50,"visits":9007199254740993,"count":3,"closed_at":"2026-12-02T11:00:00.5+01:00",' +
      '"address_street":"Main","address_city":null,"org_id":"o1","tenant_id":"acme","added_in_sql":1.0}';
    const change = capturedChange(
      row(`{"op":"INSERT","old":null,"new":${text},"ctx":null,"masked":["api_token"],"maskedChanged":[]}`),
      SHAPE,
    );
    const event = change(undefined)!;
    expect(event.after).toEqual({
      id: 'a1',
      balance: '10.50',
      visits: '9007199254740993',
      count: 3,
      closedAt: '2026-12-02T10:00:00.500Z',
      address: { city: null, street: 'Main' },
      org: 'o1',
      apiToken: '[MASKED]',
      tenantId: 'acme',
      added_in_sql: 1,
    });
  });

  it('gives absent columns as null and an all-null embeddable as null', () => {
    expect(rowSnapshot(SHAPE, {}, [])).toMatchObject({ id: null, address: null, org: null });
  });
});

describe('capturedChange', () => {
  const update = (ctx: unknown, entityId = 'a1') =>
    row(
      {
        op: 'UPDATE',
        old: { id: entityId, count: 1, tenant_id: 'acme' },
        new: { id: entityId, count: 2, tenant_id: 'acme' },
        ctx,
        masked: ['api_token'],
        maskedChanged: ['api_token'],
      },
      entityId,
    );
  const ctx = {
    operationId: 'op-1',
    actor: { type: 'USER', id: 'u1', display: 'alice' },
    tenantId: 'acme',
    source: { ip: '10.0.0.1', userAgent: null, requestId: 'r1', sessionId: null },
    action: 'RENAME',
    entityType: 'Account',
    entityId: 'a1',
    module: 'billing',
    transactionCode: 'T1',
    metadata: { why: 'test' },
  };

  it('without a context: the database role, origin DATABASE, the database time; masked changes say only that', () => {
    const event = capturedChange(update(null), SHAPE)({ tags: ['x'] })!;
    expect(event).toMatchObject({
      action: 'UPDATE',
      actor: { type: 'DATABASE', id: 'psql_user', display: null },
      origin: 'DATABASE',
      operationId: null,
      occurredAt: '2026-12-02T10:00:00.123Z',
      database: DATABASE,
      tenantId: 'acme',
    });
    expect(event.changes).toEqual([
      { field: 'apiToken', before: '[MASKED]', after: '[MASKED]' },
      { field: 'count', before: 1, after: 2 },
    ]);
    // The relation state the record had is carried into both snapshots.
    expect(event.before).toMatchObject({ tags: ['x'] });
    expect(event.after).toMatchObject({ tags: ['x'] });
  });

  it("the call's own record takes its action and metadata; another record of the operation its row's", () => {
    expect(capturedChange(update(ctx), SHAPE)(undefined)).toMatchObject({
      action: 'RENAME',
      origin: 'APP',
      operationId: 'op-1',
      metadata: { why: 'test' },
      actor: { id: 'u1' },
    });
    expect(capturedChange(update(ctx, 'a2'), SHAPE)(undefined)).toMatchObject({
      action: 'UPDATE',
      metadata: {},
      operationId: 'op-1',
      module: 'billing',
    });
  });

  it('a relation change is an event on the record, or nothing once it was deleted', () => {
    const relation = capturedChange(row({ op: 'RELATION', relation: 'tags', added: 'b', ctx: null }), SHAPE);
    expect(relation({ id: 'a1', tags: ['a'] })).toMatchObject({
      changes: [{ field: 'tags', before: ['a'], after: ['a', 'b'] }],
      metadata: { relation: { field: 'tags', added: ['b'], removed: [] } },
    });
    expect(relation(null)).toBeNull();
  });

  it.each([
    ['not JSON', '{'],
    ['an unknown operation', { op: 'MERGE', old: null, new: {}, ctx: null, masked: [], maskedChanged: [] }],
    [
      'an update without its old row',
      { op: 'UPDATE', old: null, new: {}, ctx: null, masked: [], maskedChanged: [] },
    ],
    [
      'a context claiming the DATABASE actor',
      {
        op: 'INSERT',
        old: null,
        new: {},
        ctx: { ...ctx, actor: { type: 'DATABASE', id: 'x' } },
        masked: [],
        maskedChanged: [],
      },
    ],
    ['an unknown relation', { op: 'RELATION', relation: 'nope', added: 'x', ctx: null }],
  ])('refuses %s as poison', (_what, payload) => {
    expect(() => capturedChange(row(payload), SHAPE)).toThrow(PoisonEventError);
  });
});
