import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { AUDIT_ENTITIES, AUDIT_MIGRATIONS } from '../src';
import { PartitionUpkeep } from '../src/sealing/partition-upkeep.service';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { sealedChain } from './fixtures/tamper';

const month = (offset = 0) => {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + offset);
  return `events_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

/** `audit.events` partitioned by month of sealing: contiguous stretches of the log, append-only each. */
describe('monthly partitions of audit.events', () => {
  let f: FixtureApp;
  beforeAll(async () => {
    f = await startFixtureApp();
    await Promise.all([sealedChain(f, 2), sealedChain(f, 2)]);
  });
  afterAll(async () => f.close());

  it('seals into this month’s partition, with recorded_at never going back along the log', async () => {
    const rows = await f.db.query<{ part: string; ordered: boolean }>(
      `select tableoid::regclass::text as part,
         recorded_at >= coalesce(lag(recorded_at) over (order by global_seq), recorded_at) as ordered
       from audit.events`,
    );
    expect(new Set(rows.map((r) => r.part))).toEqual(new Set([`audit.${month()}`]));
    expect(rows.every((r) => r.ordered)).toBe(true);
  });

  it('keeps the coming months ready: the worker recreates a missing one', async () => {
    const partitions = async () =>
      (
        await f.db.query<{ name: string }>(
          `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
           where i.inhparent = 'audit.events'::regclass`,
        )
      ).map((r) => r.name);
    expect(await partitions()).toEqual(
      expect.arrayContaining([month(), month(1), month(2), month(3), 'events_default']),
    );
    await f.db.query(`drop table audit.${month(3)}`);
    expect(await f.app.get(PartitionUpkeep).ensure()).toBe(1);
    expect(await partitions()).toContain(month(3));
  });

  it('refuses UPDATE, DELETE and TRUNCATE on a partition itself, in replica mode too', async () => {
    for (const role of ['origin', 'replica']) {
      await f.db.query(`set session_replication_role = ${role}`);
      for (const sql of [
        `update audit.${month()} set actor_id = 'mallory'`,
        `delete from audit.${month()}`,
        `truncate audit.${month()}`,
        'truncate audit.events_default',
      ]) {
        await expect(f.db.query(sql)).rejects.toThrow(/append-only/);
      }
    }
    await f.db.query('set session_replication_role = origin');
  });
});

describe('the partitioning migration on a store with events', () => {
  let db: TestDatabase;
  let orm: MikroORM;
  beforeAll(async () => {
    db = await createTestDatabase();
    orm = await MikroORM.init({
      driver: PostgreSqlDriver,
      clientUrl: db.url,
      entities: AUDIT_ENTITIES,
      extensions: [Migrator],
      migrations: { migrationsList: AUDIT_MIGRATIONS, silent: true, snapshot: false },
    });
  });
  afterAll(async () => {
    await orm.close();
    await db.drop();
  });

  it('moves every existing row into the partition of its month', async () => {
    await orm.migrator.up({ to: 'Migration20261122210000DeadLetters' });
    await db.query(
      `insert into audit.events (id, entity_type, entity_id, chain_seq, global_seq, hash_alg, prev_hash, hash,
         action, actor_type, actor_id, occurred_at, recorded_at, changes, patch, changed_fields, source, metadata)
       select gen_random_uuid(), 'T', 'x', g, g, 'audit/v1', decode(repeat('00', 32), 'hex'), decode(repeat('11', 32), 'hex'),
         'UPDATE', 'USER', 'u', now(), now() - make_interval(months => 3 - g), '[]', '[]', '{}', '{}', '{}'
       from generate_series(1, 3) g`,
    );
    await orm.migrator.up();
    const rows = await db.query<{ part: string; global_seq: string }>(
      'select tableoid::regclass::text as part, global_seq from audit.events order by global_seq',
    );
    expect(rows).toEqual([
      { part: `audit.${month(-2)}`, global_seq: '1' },
      { part: `audit.${month(-1)}`, global_seq: '2' },
      { part: `audit.${month()}`, global_seq: '3' },
    ]);
    await expect(db.query(`delete from audit.${month(-2)}`)).rejects.toThrow(/append-only/);
  });
});
