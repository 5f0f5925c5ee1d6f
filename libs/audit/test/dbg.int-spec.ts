import { startFixtureApp } from './fixtures/fixture-app';
it('dbg', async () => {
  const f = await startFixtureApp();
  try {
    await f.db.query(`insert into shop_products (id, name, stock, price, tenant_id)
               select gen_random_uuid(), 'bulk ' || i, 5, 1.25, 'bulk' from generate_series(1, 3000) i`);
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const rows = await f.db.query(
        `select count(*)::int n, max(attempts) a, max(last_error) e, count(dead_lettered_at)::int d from audit.outbox`,
      );
      const ev = await f.db.query(`select count(*)::int n from audit.events`);
      console.log(i, JSON.stringify(rows), JSON.stringify(ev));
    }
  } finally {
    await f.close();
  }
}, 120000);
