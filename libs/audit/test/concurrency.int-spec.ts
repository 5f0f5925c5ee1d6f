import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';

describe('concurrent audited writes, sealed by several workers at once', () => {
  let f: FixtureApp;
  let extraWorkers: FixtureApp[];

  beforeAll(async () => {
    f = await startFixtureApp({ workerConcurrency: 8 });
    // Two more sealing workers on the same database and queue, each with its own pool and Redis
    // connections, as separate worker processes would have.
    extraWorkers = await Promise.all(
      [1, 2].map(() => startFixtureApp({ workerConcurrency: 8 }, { db: f.db, queuePrefix: f.queuePrefix })),
    );
  });
  afterAll(async () => {
    for (const w of extraWorkers) await w.close();
    await f.close();
  });

  it('200 concurrent updates of 200 entities produce 200 sealed events', async () => {
    const accounts = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        f.accounts.open({ name: `n${i}`, email: `n${i}@x.test`, tenantId: 't' }),
      ),
    );
    await Promise.all(accounts.map((a, i) => f.accounts.update(a.id, { name: `n${i}-updated` })));
    await f.sealed(400);

    const rows = await f.db.query<{ action: string; n: number }>(
      "select action, count(*)::int as n from audit.events where entity_type = 'Account' group by action order by action",
    );
    expect(rows).toEqual([
      { action: 'CREATE', n: 200 },
      { action: 'UPDATE', n: 200 },
    ]);
    const [{ bad }] = await f.db.query<{ bad: number }>(
      `select count(*)::int as bad from audit.events
       where action = 'UPDATE' and (chain_seq <> 2 or after->>'name' <> before->>'name' || '-updated')`,
    );
    expect(bad).toBe(0);
  });

  it('50 concurrent updates of ONE entity produce 50 events whose states link up in commit order', async () => {
    const account = await f.accounts.open({
      name: 'hot',
      email: 'hot@x.test',
      tenantId: 't',
      balance: '0.00',
    });
    // Each deposit reads the balance and adds one: a lost update would show as a repeated value.
    await Promise.all(Array.from({ length: 50 }, () => f.accounts.deposit(account.id, 1)));
    await f.sealed(400 + 51);

    const trail = await f.trail(account.id);
    expect(trail).toHaveLength(51);
    expect(trail.map((e) => e.chainSeq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    for (let i = 1; i < trail.length; i++) {
      expect(trail[i].before).toEqual(trail[i - 1].after);
    }
    expect(trail.slice(1).map((e) => e.changes)).toEqual(
      Array.from({ length: 50 }, (_, i) => [
        { field: 'balance', before: i.toFixed(2), after: (i + 1).toFixed(2) },
      ]),
    );
    const [row] = await f.db.query<{ balance: string }>('select balance from accounts where id = $1', [
      account.id,
    ]);
    expect(row.balance).toBe('50.00');
  });
});
