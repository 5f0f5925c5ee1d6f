import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { clearQueuePrefix, uniqueQueuePrefix } from '../../../test/support/test-redis';
import { waitFor } from '../../../test/support/wait-for';
import { getMikroORMToken } from '@mikro-orm/nestjs';
import type { MikroORM } from '@mikro-orm/core';
import { Checkpointer, LogVerifier, SIGNING_KEY_ENTITY } from '../src';
import { sqlOf } from '../src/storage/sql-session';
import { STORE_CONNECTION } from './fixtures/fixture.module';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';

/**
 * The sealed store in a database of its own (`storeConnection`), the outbox with the business
 * data: events still commit with the business change, and are sealed into the other database.
 */
describe('a separate audit database', () => {
  let appDb: TestDatabase;
  let storeDb: TestDatabase;
  let f: FixtureApp;
  const queuePrefix = uniqueQueuePrefix();

  const count = async (db: TestDatabase, sql: string, params: unknown[] = []) =>
    (await db.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params))[0].n;
  const chainLength = (id: string) => count(storeDb, 'audit.events where entity_id = $1', [id]);

  beforeAll(async () => {
    appDb = await createTestDatabase();
    storeDb = await createTestDatabase();
    f = await startFixtureApp({}, { db: appDb, queuePrefix, storeDatabaseUrl: storeDb.url });
  });
  afterAll(async () => {
    await f.close();
    await Promise.all([appDb.drop(), storeDb.drop(), clearQueuePrefix(queuePrefix)]);
  });

  it('tells the two databases apart (the sealer deletes the app’s outbox rows once the store committed)', () => {
    const store = f.app.get<MikroORM>(getMikroORMToken(STORE_CONNECTION));
    expect(sqlOf(f.orm).sameDatabase(sqlOf(store))).toBe(false);
    expect(sqlOf(store).sameDatabase(sqlOf(store))).toBe(true);
  });

  it('seals into the audit database only, and the store verifies there', async () => {
    const account = await f.accounts.open({ name: 'v0', email: 's@x.test', tenantId: 'acme' });
    await f.accounts.update(account.id, { name: 'v1' });
    await waitFor(
      async () => (await chainLength(account.id)) === 2,
      'two sealed events in the audit database',
    );

    expect(await count(appDb, 'audit.events')).toBe(0);
    expect(await count(appDb, 'audit.outbox')).toBe(0);
    // The key's own lifecycle event is written and sealed in the audit database.
    await waitFor(
      async () => (await count(storeDb, 'audit.events where entity_type = $1', [SIGNING_KEY_ENTITY])) > 0,
      'the key lifecycle event sealed',
    );
    await waitFor(async () => (await count(storeDb, 'audit.outbox')) === 0, 'the store outbox drained');

    expect((await f.trail(account.id)).map((e) => e.action)).toEqual(['CREATE', 'UPDATE']);
    expect((await f.audit.verifyTrail('Account', account.id)).valid).toBe(true);
    await f.app.get(Checkpointer).run('NOW');
    expect(await f.app.get(LogVerifier).verify('FULL')).toMatchObject({ valid: true });
  });

  it('a crash between the two commits leaves an outbox row that is deleted, not sealed again', async () => {
    const account = await f.accounts.open({ name: 'w0', email: 'w@x.test', tenantId: 'acme' });
    await waitFor(async () => (await chainLength(account.id)) === 1, 'a sealed event');
    const [sealed] = await f.trail(account.id);
    // What a worker that died after the store committed leaves behind: the sealed event's outbox row.
    await appDb.query(
      `insert into audit.outbox (id, entity_type, entity_id, payload) values ($1, 'Account', $2, $3)`,
      [sealed.id, account.id, sealed],
    );
    await waitFor(async () => (await count(appDb, 'audit.outbox')) === 0, 'the relay to clear the row');
    expect(await chainLength(account.id)).toBe(1);
    expect((await f.audit.verifyTrail('Account', account.id)).valid).toBe(true);
  });
});
