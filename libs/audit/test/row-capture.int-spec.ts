import { MikroORM } from '@mikro-orm/core';
import { Client } from 'pg';
import { waitFor } from '../../../test/support/wait-for';
import { AuditContextService, CapturedTables, SIGNING_KEY_ENTITY, type SealedAuditEvent } from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { OrderLine, Product, ShopOrder, Tag } from './fixtures/shop.entities';
import { ShopService } from './fixtures/shop.service';

/**
 * Row capture (docs/capture.md): every committed change of a captured table becomes exactly one
 * sealed event, whatever wrote it, with the application's context when it came through the app.
 */
describe('row capture', () => {
  let f: FixtureApp;
  let shop: ShopService;
  const USER = { type: 'USER' as const, id: 'u-alice', display: 'alice' };
  const asAlice = <T>(fn: () => Promise<T>) =>
    f.app
      .get(AuditContextService)
      .run(
        {
          actor: USER,
          tenantId: 'acme',
          source: { ip: '10.1.2.3', userAgent: 'jest', requestId: 'req-1', sessionId: null },
        },
        fn,
      );

  /** Waits until the outbox is empty, then returns every sealed event but the key lifecycle's. */
  const settled = async (): Promise<SealedAuditEvent[]> => {
    await waitFor(async () => {
      const [{ n }] = await f.db.query<{ n: number }>('select count(*)::int as n from audit.outbox');
      return n === 0;
    }, 'an empty outbox');
    const rows = await f.db.query<{ entity_type: string; entity_id: string }>(
      'select distinct entity_type, entity_id from audit.events where entity_type <> $1',
      [SIGNING_KEY_ENTITY],
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
    const last = orderEvents[orderEvents.length - 1];
    expect(last.after).toMatchObject({ tags: ['gift'], lines: expect.any(Array) });
    expect((last.after!.lines as string[]).length).toBe(2);
  });
});
