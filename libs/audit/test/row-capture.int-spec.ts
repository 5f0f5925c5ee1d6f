import { Client } from 'pg';
import { waitFor } from '../../../test/support/wait-for';
import {
  AuditContextService,
  AuditQueryService,
  auditCaptureSql,
  AuditableMisconfiguredError,
  CapturedTables,
  LogVerifier,
  SIGNING_KEY_ENTITY,
  type SealedAuditEvent,
} from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { Product, Tag } from './fixtures/shop.entities';
import { ShopService } from './fixtures/shop.service';

/**
 * Row capture (docs/capture.md): every committed change of a captured table becomes exactly one
 * sealed event, whatever wrote it, with the application's context when it came through the app.
 */
describe('row capture', () => {
  // Sealing 20,000 events of the bulk case takes a while on two shared cores.
  jest.setTimeout(300_000);
  let f: FixtureApp;
  let shop: ShopService;
  const USER = { type: 'USER' as const, id: 'u-alice', display: 'alice' };
  const asAlice = <T>(fn: () => Promise<T>) =>
    f.app.get(AuditContextService).run(
      {
        actor: USER,
        tenantId: 'acme',
        source: { ip: '10.1.2.3', userAgent: 'jest', requestId: 'req-1', sessionId: null },
      },
      fn,
    );

  /** Waits until the outbox is empty: everything committed so far is sealed. */
  const drained = () =>
    waitFor(
      async () => {
        const [{ n }] = await f.db.query<{ n: number }>('select count(*)::int as n from audit.outbox');
        return n === 0;
      },
      'an empty outbox',
      120_000,
    );

  /** Waits until the outbox is empty, then returns every sealed event but the key lifecycle's. */
  const settled = async (): Promise<SealedAuditEvent[]> => {
    await drained();
    const rows = await f.db.query<{ entity_type: string; entity_id: string }>(
      'select distinct entity_type, entity_id from audit.events where entity_type <> $1 and tenant_id is distinct from $2',
      [SIGNING_KEY_ENTITY, 'bulk'],
    );
    const all: SealedAuditEvent[] = [];
    for (const r of rows) all.push(...(await f.audit.trail(r.entity_type, r.entity_id)));
    return all.sort((a, b) => a.globalSeq - b.globalSeq);
  };

  const products = async (n: number, tenantId = 'acme', stock = 10): Promise<Product[]> => {
    const em = f.orm.em.fork();
    const made = Array.from({ length: n }, (_, i) =>
      em.create(Product, {
        name: `p${i}`,
        stock,
        price: '9.50',
        tenantId,
        supplierToken: `tok-${i}`,
        costNote: 'secret',
      }),
    );
    await em.flush();
    return made;
  };

  beforeAll(async () => {
    f = await startFixtureApp();
    shop = f.app.get(ShopService);
    await f.orm.em.fork().insertMany(Tag, [{ name: 'gift' }, { name: 'rush' }]);
  });
  afterAll(() => f?.close());

  it('records the order and the stock it took as one operation, with the caller context', async () => {
    const [a, b] = await products(2);
    await settled();
    const order = await asAlice(() =>
      shop.placeOrder({
        tenantId: 'acme',
        customerEmail: 'c@x.test',
        lines: [
          { productId: a.id, quantity: 2 },
          { productId: b.id, quantity: 3 },
        ],
        tags: ['gift'],
      }),
    );
    const events = await settled();
    const mine = events.filter((e) => e.actor.id === 'u-alice');
    const orderEvents = mine.filter((e) => e.entityType === 'ShopOrder' && e.entityId === order.id);
    const stock = mine.filter((e) => e.entityType === 'Product');
    expect(orderEvents[0]).toMatchObject({
      action: 'PLACE_ORDER',
      origin: 'APP',
      module: 'sales',
      transactionCode: 'ORDER_PLACE',
      metadata: { lines: 2 },
      before: null,
    });
    expect(stock.map((e) => [e.entityId, e.action, e.changes])).toEqual(
      expect.arrayContaining([
        [a.id, 'UPDATE', [{ field: 'stock', before: 10, after: 8 }]],
        [b.id, 'UPDATE', [{ field: 'stock', before: 10, after: 7 }]],
      ]),
    );
    const operationIds = new Set(mine.map((e) => e.operationId));
    expect(operationIds.size).toBe(1);
    expect([...operationIds][0]).toMatch(/^[0-9a-f-]{36}$/);
    for (const e of mine) {
      expect(e.source).toMatchObject({ ip: '10.1.2.3', requestId: 'req-1' });
      expect(e.database).toMatchObject({ role: 'postgres' });
      expect(e.hashAlg).toBe('audit/v1.1');
    }
    // The order's trail shows its lines and tags as relations, with the same operation.
    const trail = orderEvents.map((e) => e.metadata.relation ?? e.action);
    expect(trail).toEqual([
      'PLACE_ORDER',
      ...mine
        .filter((e) => e.entityType === 'ShopOrder' && e.metadata.relation)
        .map((e) => e.metadata.relation),
    ]);
    // The customer's email is personal data (declared on the entity): never sealed in clear.
    const [{ clear }] = await f.db.query<{ clear: number }>(
      `select count(*)::int as clear from audit.events where entity_id = $1 and after::text like '%c@x.test%'`,
      [order.id],
    );
    expect(clear).toBe(0);
    expect(orderEvents[0].after).toMatchObject({ customerEmail: 'c@x.test' });
    const last = orderEvents[orderEvents.length - 1];
    expect(last.after).toMatchObject({ tags: ['gift'], lines: expect.any(Array) });
    expect((last.after!.lines as string[]).length).toBe(2);
  });

  /** An SQL client of its own, as psql or another service would connect: no application context. */
  const outside = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: f.db.url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  const trailOf = (type: string, id: string) => f.audit.trail(type, id);

  it('gives each of 10,000 rows of one native bulk update its own sealed event, in one transaction', async () => {
    await outside((c) =>
      c.query(`insert into shop_products (id, name, stock, price, tenant_id)
               select gen_random_uuid(), 'bulk ' || i, 5, 1.25, 'bulk' from generate_series(1, 10000) i`),
    );
    await drained();
    const changed = await asAlice(() => shop.deactivateTenant('bulk'));
    expect(changed).toBe(10000);
    await drained();
    const [summary] = await f.db.query<{
      n: number;
      operations: number;
      transactions: number;
      actors: string;
    }>(
      `select count(*)::int as n, count(distinct operation_id)::int as operations,
              count(distinct database_facts ->> 'transactionId')::int as transactions,
              string_agg(distinct actor_id, ',') as actors
       from audit.events where action = 'DEACTIVATE' and tenant_id = 'bulk'`,
    );
    expect(summary).toEqual({ n: 10000, operations: 1, transactions: 1, actors: 'u-alice' });
    const [{ bad }] = await f.db.query<{ bad: number }>(
      `select count(*)::int as bad from audit.events where action = 'DEACTIVATE' and tenant_id = 'bulk'
         and not (changes = '[{"field": "active", "after": false, "before": true}]'::jsonb)`,
    );
    expect(bad).toBe(0);
    const report = await f.app.get(LogVerifier).verify('FULL');
    expect(report.failures).toEqual([]);
    expect(report.valid).toBe(true);
  });

  it('records raw SQL through the app connection and a QueryBuilder delete of children on the parent', async () => {
    const [p] = await products(1, 'raw');
    const order = await asAlice(() =>
      shop.placeOrder({
        tenantId: 'raw',
        customerEmail: 'r@x.test',
        lines: [{ productId: p.id, quantity: 1 }],
      }),
    );
    await settled();
    await asAlice(() => shop.restock('raw', 7));
    await asAlice(() => shop.clearLines(order.id));
    await settled();
    const productTrail = await trailOf('Product', p.id);
    expect(productTrail.at(-1)).toMatchObject({
      action: 'RESTOCK',
      origin: 'APP',
      actor: USER,
      changes: [{ field: 'stock', before: 9, after: 16 }],
    });
    const orderTrail = await trailOf('ShopOrder', order.id);
    const cleared = orderTrail.at(-1)!;
    expect(cleared).toMatchObject({
      action: 'CLEAR_LINES',
      metadata: { relation: { field: 'lines', added: [] } },
    });
    expect((cleared.metadata.relation as { removed: string[] }).removed).toHaveLength(1);
    expect(cleared.after).toMatchObject({ lines: [] });
    const lineId = (cleared.metadata.relation as { removed: string[] }).removed[0];
    const lineTrail = await trailOf('OrderLine', lineId);
    expect(lineTrail.map((e) => e.action)).toEqual(['CREATE', 'DELETE']);
    expect(lineTrail[1].operationId).toBe(cleared.operationId);
    // The parent's state at any time includes its relations.
    const query = f.app.get(AuditQueryService);
    const placed = orderTrail.find((e) => (e.metadata.relation as { field?: string })?.field === 'lines')!;
    const between = new Date(Date.parse(placed.occurredAt) + 1);
    expect(await query.entityAt({ tenantId: null }, 'ShopOrder', order.id, between)).toMatchObject({
      lines: [lineId],
      status: 'PLACED',
    });
    expect(await query.entityAt({ tenantId: null }, 'ShopOrder', order.id, new Date())).toMatchObject({
      lines: [],
    });
  });

  it('records many-to-many adds and removes on the owner, in its entityAt', async () => {
    const order = await asAlice(() =>
      shop.placeOrder({ tenantId: 'tags', customerEmail: 't@x.test', lines: [] }),
    );
    await asAlice(() => shop.tag(order.id, 'rush'));
    await asAlice(() => shop.tag(order.id, 'gift'));
    await asAlice(() => shop.untag(order.id, 'rush'));
    await settled();
    const trail = await trailOf('ShopOrder', order.id);
    expect(trail.map((e) => [e.action, e.metadata.relation ?? null])).toEqual([
      ['PLACE_ORDER', null],
      ['TAG', { field: 'tags', added: ['rush'], removed: [] }],
      ['TAG', { field: 'tags', added: ['gift'], removed: [] }],
      ['UNTAG', { field: 'tags', added: [], removed: ['rush'] }],
    ]);
    expect(trail[3].changes).toEqual([{ field: 'tags', before: ['gift', 'rush'], after: ['gift'] }]);
    const query = f.app.get(AuditQueryService);
    const afterSecond = new Date(Date.parse(trail[2].occurredAt));
    const state = await query.entityAt({ tenantId: null }, 'ShopOrder', order.id, afterSecond);
    expect(state?.tags).toEqual(['gift', 'rush']);
    expect((await f.audit.verifyTrail('ShopOrder', order.id)).valid).toBe(true);
  });

  it('records a change from outside the app as the database role, with the database time and transaction', async () => {
    const [p] = await products(1, 'outside');
    await settled();
    const txid = await outside(async (c) => {
      await c.query('begin');
      await c.query('update shop_products set stock = 99 where id = $1', [p.id]);
      const [{ id }] = (await c.query<{ id: string }>('select txid_current()::text as id')).rows;
      await c.query('commit');
      return id;
    });
    await settled();
    const last = (await trailOf('Product', p.id)).at(-1)!;
    expect(last).toMatchObject({
      action: 'UPDATE',
      origin: 'DATABASE',
      actor: { type: 'DATABASE', id: 'postgres', display: null },
      operationId: null,
      source: { ip: null, requestId: null },
      database: { transactionId: txid, role: 'postgres' },
      changes: [{ field: 'stock', before: 10, after: 99 }],
    });
    expect(last.occurredAt).toBe(last.database!.time);
  });

  it('gives a plain unit-of-work change and a native statement outside audited calls the current context', async () => {
    const [p] = await products(1, 'plain');
    await asAlice(() => shop.renamePlain(p.id, 'renamed'));
    await asAlice(() => shop.setStockInTransaction(p.id, 3));
    await settled();
    const trail = await trailOf('Product', p.id);
    expect(trail.map((e) => [e.action, e.origin, e.actor.id, e.source.requestId])).toEqual([
      ['CREATE', 'APP', 'system', null],
      ['UPDATE', 'APP', 'u-alice', 'req-1'],
      ['UPDATE', 'APP', 'u-alice', 'req-1'],
    ]);
    expect(new Set(trail.map((e) => e.operationId)).size).toBe(3);
  });

  it('leaves no event of a rolled-back call', async () => {
    const [p] = await products(1, 'rollback');
    await settled();
    await expect(asAlice(() => shop.adjustThenFail(p.id, 1))).rejects.toThrow('deliberate');
    await settled();
    expect((await trailOf('Product', p.id)).map((e) => e.action)).toEqual(['CREATE']);
    const [{ stock }] = await f.db.query<{ stock: number }>('select stock from shop_products where id = $1', [
      p.id,
    ]);
    expect(stock).toBe(10);
  });

  it('never lets a masked column reach the outbox or the ledger, by any path', async () => {
    const [p] = await products(1, 'masked');
    await asAlice(() => shop.restock('masked', 1));
    const pending = await outside(async (c) => {
      await c.query('begin');
      await c.query(
        `update shop_products set supplier_token = 'tok-outside', cost_note = 'note-outside' where id = $1`,
        [p.id],
      );
      const rows = await c.query<{ payload: string }>(
        `select payload::text as payload from audit.outbox where entity_id = $1 order by seq desc limit 1`,
        [p.id],
      );
      await c.query('commit');
      return rows.rows[0].payload;
    });
    expect(pending).not.toMatch(/tok-|note-outside|secret/);
    expect(JSON.parse(pending)).toMatchObject({ maskedChanged: ['cost_note', 'supplier_token'] });
    await settled();
    const [{ leaks }] = await f.db.query<{ leaks: number }>(
      `select count(*)::int as leaks from audit.events
       where entity_type = 'Product' and (before::text || after::text || changes::text || patch::text) ~ '(tok-|secret|note-outside)'`,
    );
    expect(leaks).toBe(0);
    const last = (await trailOf('Product', p.id)).at(-1)!;
    expect(last.changes).toEqual([
      { field: 'costNote', before: '[MASKED]', after: '[MASKED]' },
      { field: 'supplierToken', before: '[MASKED]', after: '[MASKED]' },
    ]);
    expect(last.after).toMatchObject({ costNote: '[MASKED]', supplierToken: '[MASKED]' });
  });

  it('keeps before = previous after on the same 20 rows under concurrent unit-of-work, native and outside writers', async () => {
    const rows = await products(20, 'race', 1000);
    await settled();
    const rounds = 6;
    const writers = rows.flatMap((p) =>
      Array.from({ length: rounds }, (_, i) => {
        if (i % 3 === 0) return () => asAlice(() => shop.renamePlain(p.id, `n${i}-${Math.random()}`));
        if (i % 3 === 1)
          return () =>
            f.orm.em
              .fork()
              .transactional((em) =>
                em
                  .getConnection()
                  .execute(
                    `update shop_products set stock = stock + 1 where id = ?`,
                    [p.id],
                    'run',
                    em.getTransactionContext(),
                  ),
              );
        return () =>
          outside((c) => c.query('update shop_products set stock = stock - 2 where id = $1', [p.id]));
      }),
    );
    await Promise.all(writers.map((w) => w()));
    await settled();
    for (const p of rows) {
      const trail = await trailOf('Product', p.id);
      expect(trail).toHaveLength(1 + rounds);
      expect(trail.some((e) => e.action === 'DRIFT_DETECTED')).toBe(false);
      for (let i = 1; i < trail.length; i++) expect(trail[i].before).toEqual(trail[i - 1].after);
      const [row] = await f.db.query<{ stock: number; name: string }>(
        'select stock, name from shop_products where id = $1',
        [p.id],
      );
      expect(trail.at(-1)!.after).toMatchObject({ stock: row.stock, name: row.name });
      expect((await f.audit.verifyTrail('Product', p.id)).valid).toBe(true);
    }
  });

  it('refuses to start while a column the entity masks is copied by the capture trigger', async () => {
    const tables = f.app.get(CapturedTables);
    const apply = (sql: string[]) =>
      outside(async (c) => {
        for (const s of sql) await c.query(s);
      });
    await apply(
      auditCaptureSql({
        entityType: 'Product',
        table: 'shop_products',
        key: ['id'],
        masked: ['supplier_token'],
      }),
    );
    try {
      await expect(tables.refresh()).rejects.toThrow(AuditableMisconfiguredError);
      await expect(tables.refresh()).rejects.toThrow(/cost_note must be masked/);
    } finally {
      await apply(
        auditCaptureSql({
          entityType: 'Product',
          table: 'shop_products',
          key: ['id'],
          masked: ['cost_note', 'supplier_token'],
        }),
      );
    }
    // A column added in SQL whose name says it is secret must be masked before the app runs again.
    await apply(['alter table shop_products add column vendor_secret text null']);
    try {
      await expect(tables.refresh()).rejects.toThrow(/vendor_secret must be masked/);
    } finally {
      await apply(['alter table shop_products drop column vendor_secret']);
    }
    await expect(tables.refresh()).resolves.toBeUndefined();
  });
});
