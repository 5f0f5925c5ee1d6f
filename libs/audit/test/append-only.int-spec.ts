import { KeyRegistry } from '../src';
import { AuditEventEntity } from '../src/storage/audit-event.entity';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { sealedChain } from './fixtures/tamper';

/** Append-only at the database layer: even a superuser's plain statements are refused. */
describe('audit tables are append-only in PostgreSQL', () => {
  let f: FixtureApp;
  let id: string;
  beforeAll(async () => {
    f = await startFixtureApp();
    id = await sealedChain(f, 1);
    await f.db.query(
      `insert into audit.log_verifications (mode, tree_size, compact_range, checkpoint_note) values ('FULL', 0, '[]', 'n')`,
    );
  });
  afterAll(async () => f.close());

  const refused = (sql: string) => expect(f.db.query(sql)).rejects.toThrow(/append-only|refused/);

  it.each([
    ['events', `update audit.events set actor_id = 'mallory' where entity_id = '$ID'`],
    ['events', `delete from audit.events where entity_id = '$ID'`],
    ['batches', 'update audit.batches set note = note'],
    ['batches', 'delete from audit.batches'],
    ['checkpoints', 'update audit.checkpoints set note = note'],
    ['checkpoints', 'delete from audit.checkpoints'],
    ['log_verifications', 'delete from audit.log_verifications'],
  ])('refuses %s: %s', async (_table, sql) => {
    await refused(sql.replace('$ID', id));
  });

  it.each(['events', 'batches', 'checkpoints', 'log_verifications', 'signing_keys'])(
    'refuses TRUNCATE of audit.%s (which fires no DELETE trigger)',
    async (table) => {
      await refused(`truncate audit.${table} cascade`);
    },
  );

  it('still refuses with session_replication_role = replica (the triggers are ENABLE ALWAYS)', async () => {
    await f.db.query('set session_replication_role = replica');
    try {
      await refused(`update audit.events set actor_id = 'mallory' where entity_id = '${id}'`);
    } finally {
      await f.db.query('set session_replication_role = origin');
    }
  });

  it('refuses ORM-level updates and removals of sealed events loudly', async () => {
    const em = f.orm.em.fork();
    await expect(em.nativeUpdate(AuditEventEntity, { entityId: id }, { actorId: 'mallory' })).rejects.toThrow(
      /append-only/,
    );
    await expect(em.nativeDelete(AuditEventEntity, { entityId: id })).rejects.toThrow(/append-only/);
    const [{ n }] = await f.db.query<{ n: number }>(
      `select count(*)::int as n from audit.events where entity_id = $1 and actor_id <> 'mallory'`,
      [id],
    );
    expect(n).toBe(2);
  });

  it('lets signing keys only move forward in their lifecycle', async () => {
    const [key] = await f.db.query<{ key_id: string }>(
      `select key_id from audit.signing_keys where status = 'ACTIVE'`,
    );
    await expect(
      f.db.query(`update audit.signing_keys set verifier_key = 'x' where key_id = $1`, [key.key_id]),
    ).rejects.toThrow(/lifecycle/);
    await expect(
      f.db.query('delete from audit.signing_keys where key_id = $1', [key.key_id]),
    ).rejects.toThrow(/lifecycle/);
    // A real rotation (ACTIVE -> RETIRED with notAfter) passes; going back does not.
    await f.app.get(KeyRegistry).rotate();
    await expect(
      f.db.query(`update audit.signing_keys set status = 'ACTIVE', not_after = null where key_id = $1`, [
        key.key_id,
      ]),
    ).rejects.toThrow(/lifecycle/);
    const [row] = await f.db.query<{ status: string }>(
      'select status from audit.signing_keys where key_id = $1',
      [key.key_id],
    );
    expect(row.status).toBe('RETIRED');
  });
});
