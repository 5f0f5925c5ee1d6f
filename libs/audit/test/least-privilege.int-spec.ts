import type { FixtureApp } from './fixtures/fixture-app';
import { forwardedAll, ndjsonDocuments, sequences } from './fixtures/forwarding';
import { startLeastPrivilegeStore, type LeastPrivilegeStore } from './fixtures/least-privilege';
import { waitFor } from '../../../test/support/wait-for';
import { waitForChain } from './fixtures/tamper';

/**
 * The app and the worker connected as least-privilege roles (auditRoleGrants): the write path
 * works end to end (forwarding included), and neither role can change, remove or forge sealed rows, nor switch the
 * append-only triggers off.
 */
describe('least-privilege database roles', () => {
  let store: LeastPrivilegeStore;
  let owner: FixtureApp;
  let app: FixtureApp;
  let roles: LeastPrivilegeStore['roles'];
  let forwardedTo: string;
  const as: LeastPrivilegeStore['as'] = (role, fn) => store.as(role, fn);

  beforeAll(async () => {
    store = await startLeastPrivilegeStore('lp', { eraser: true });
    ({ owner, app, roles, forwardedTo } = store);
  });
  afterAll(async () => store?.close());

  it('records, seals and verifies with the app and the worker on their own roles', async () => {
    const account = await app.accounts.open({ name: 'least', email: 'l@x.test', tenantId: 't' });
    await app.accounts.update(account.id, { name: 'least 2' });
    await waitForChain(owner, account.id, 2);
    const trail = await app.trail(account.id);
    expect(trail.map((e) => e.action)).toEqual(['CREATE', 'UPDATE']);
    expect(trail.every((e) => e.integrity !== null)).toBe(true);
    // The worker role also forwards: it locks and moves its cursor.
    const size = await forwardedAll(owner, 'siem');
    expect(sequences(await ndjsonDocuments(forwardedTo))).toEqual(
      Array.from({ length: size }, (_, i) => i + 1),
    );
  });

  it('lets the eraser role, and only it, destroy a subject key', async () => {
    await as(roles.app, (c) =>
      c.query(`insert into audit.subject_keys (subject_id, wrapped_key) values ('s1', '\\x00')`),
    );
    await as(roles.eraser!, (c) =>
      c.query(`update audit.subject_keys set wrapped_key = null, erased_at = now() where subject_id = 's1'`),
    );
    const [row] = await owner.db.query(`select wrapped_key from audit.subject_keys where subject_id = 's1'`);
    expect(row).toEqual({ wrapped_key: null });
  });

  describe('the forgery of issue #14, replayed as the app role', () => {
    const forged = (occurredAt: string, id: string, entityId: string) => ({
      id,
      occurredAt,
      actor: { type: 'USER', id: 'alice', display: 'alice' },
      action: 'UPDATE',
      entityType: 'Account',
      entityId,
      tenantId: 't',
      module: 'identity',
      transactionCode: null,
      before: { role: 'user' },
      after: { role: 'admin' },
      changes: [{ field: 'role', before: 'user', after: 'admin' }],
      patch: [{ op: 'replace', path: '/role', value: 'admin' }],
      source: { ip: '203.0.113.9', userAgent: 'made-up', requestId: null, sessionId: null },
      metadata: {},
      // What a forger would claim, and the sealer never takes from a payload.
      origin: 'APP',
      database: { transactionId: '1', role: 'postgres', time: occurredAt },
    });
    const insert = (payload: ReturnType<typeof forged>) =>
      as(roles.app, (c) =>
        c.query('insert into audit.outbox (id, entity_type, entity_id, payload) values ($1, $2, $3, $4)', [
          payload.id,
          'Account',
          payload.entityId,
          payload,
        ]),
      );

    it('cannot mark an outbox row captured, nor set the database stamps', async () => {
      for (const column of ['captured', 'db_txid', 'db_role', 'db_time']) {
        await expect(
          as(roles.app, (c) =>
            c.query(
              `insert into audit.outbox (id, entity_type, entity_id, payload, ${column})
               values (gen_random_uuid(), 'Account', 'x', '{}', default)`,
            ),
          ),
        ).rejects.toThrow(/permission denied/);
      }
    });

    it('a back-dated row change is refused as poison (retried, then parked) and never sealed', async () => {
      const id = '01940000-0000-7000-8000-00000000f001';
      await insert(forged('2025-01-01T00:00:00.000Z', id, 'bob-backdated'));
      await waitFor(async () => {
        const [row] = await owner.db.query<{ attempts: number; last_error: string | null }>(
          'select attempts, last_error from audit.outbox where id = $1',
          [id],
        );
        return row && row.attempts > 0 && row.last_error;
      }, 'a refused attempt');
      const [row] = await owner.db.query<{ last_error: string }>(
        'select last_error from audit.outbox where id = $1',
        [id],
      );
      expect(row.last_error).toMatch(/from the database's clock/);
      const sealed = await owner.db.query('select 1 from audit.events where id = $1', [id]);
      expect(sealed).toHaveLength(0);
    });

    it('a row change dated now is sealed as what it is: asserted by the app, stamped with its role', async () => {
      const id = '01940000-0000-7000-8000-00000000f002';
      await insert(forged(new Date().toISOString(), id, 'bob-now'));
      await waitForChain(owner, 'bob-now', 1);
      const [event] = await app.trail('bob-now');
      expect(event).toMatchObject({ id, origin: 'ASSERTED', database: { role: roles.app } });
      expect(event.database!.transactionId).not.toBe('1');
    });
  });

  it.each([
    ['app', `update audit.events set actor_id = 'mallory'`],
    ['app', `update audit.outbox set captured = true`],
    ['app', `delete from audit.outbox`],
    ['app', 'delete from audit.events'],
    ['app', 'truncate audit.events'],
    ['app', `insert into audit.events (id) values (gen_random_uuid())`],
    ['app', `update audit.chain_heads set last_seq = 0`],
    ['app', 'alter table audit.events disable trigger events_append_only'],
    ['worker', `update audit.events set actor_id = 'mallory'`],
    ['worker', 'delete from audit.batches'],
    ['worker', 'truncate audit.checkpoints'],
    ['worker', 'alter table audit.events disable trigger events_append_only'],
    ['app', 'update audit.subject_keys set wrapped_key = null, erased_at = now()'],
    ['app', 'delete from audit.subject_keys'],
    ['worker', 'update audit.subject_keys set wrapped_key = null, erased_at = now()'],
    ['worker', 'truncate audit.subject_keys'],
    ['eraser', 'delete from audit.subject_keys'],
    ['eraser', `update audit.events set actor_id = 'mallory'`],
    ['eraser', `update audit.subject_keys set created_at = now()`],
  ] as const)('the %s role cannot: %s', async (who, sql) => {
    await expect(as(roles[who]!, (c) => c.query(sql))).rejects.toThrow(/permission denied|must be owner/);
  });
});
