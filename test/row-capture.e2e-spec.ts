import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';

const USERS = '{ users { id username tenantId active } }';
const CREATE = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }';
const DEACTIVATE = 'mutation($tenantId: String!) { deactivateTenantUsers(tenantId: $tenantId) }';
const EVENT = `id action entityType entityId tenantId module transactionCode operationId origin
  database { transactionId role time } actor { type id display } source { requestId }
  before after changes { field before after } integrity`;
const EVENTS = `query($filter: AuditEventFilter) {
  auditEvents(filter: $filter, first: 100, orderBy: OCCURRED_AT_ASC) { edges { node { ${EVENT} } } totalCount } }`;
const TRAIL = `query($id: ID!) { auditTrail(entityType: "User", entityId: $id, first: 100) {
  edges { node { ${EVENT} } } verification { valid checkedEvents failures { chainSeq reason } } } }`;

interface EventNode {
  id: string;
  action: string;
  entityId: string;
  tenantId: string | null;
  module: string | null;
  transactionCode: string | null;
  operationId: string | null;
  origin: string | null;
  database: { transactionId: string; role: string; time: string } | null;
  actor: { type: string; id: string; display: string | null };
  source: { requestId: string | null };
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  changes: { field: string; before: unknown; after: unknown }[];
  integrity: string;
}

/**
 * The example app's User is captured at the database (@AuditedEntity, Migration20261202000200UsersCapture):
 * a bulk statement is one operation with an event per row, a change made in psql is sealed as the
 * database role's, and the password hash never leaves the users table.
 */
describe('example app: users captured at the database (row capture), over HTTP', () => {
  let e: ExampleApp;
  const token: Record<string, string> = {};
  const ids: Record<string, string> = {};

  const ok = async <T = any>(who: string, query: string, variables: object = {}, requestId?: string) => {
    const res = await e.gql<T>(query, variables, {
      token: token[who],
      headers: requestId ? { 'x-request-id': requestId } : {},
    });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data as T;
  };
  const search = async (filter: object) =>
    (
      await ok<{ auditEvents: { edges: { node: EventNode }[]; totalCount: number } }>('grace', EVENTS, {
        filter,
      })
    ).auditEvents;
  const trail = async (id: string) =>
    (
      await ok<{
        auditTrail: {
          edges: { node: EventNode }[];
          verification: { valid: boolean; checkedEvents: number; failures: unknown[] };
        };
      }>('grace', TRAIL, { id })
    ).auditTrail;
  const outboxEmpty = () =>
    waitFor(
      async () => (await e.db.query<{ n: number }>('select count(*)::int as n from audit.outbox'))[0].n === 0,
      'an empty outbox',
    );
  beforeAll(async () => {
    // The test client names its requests (x-request-id) as a trusted proxy on loopback would.
    e = await startExampleApp({ TRUST_PROXY: 'loopback' });
    for (const name of ['alice', 'dave', 'grace']) token[name] = await e.login(name);
    // Two more acme users, created by alice through the app: one CREATE event each.
    for (const username of ['henry', 'ivy']) {
      const input = {
        username,
        email: `${username}@acme.test`,
        password: `${username}-password`,
        role: 'user',
        tenantId: 'acme',
      };
      ids[username] = (await ok('alice', CREATE, { input })).createUser.id;
    }
    for (const who of ['alice', 'dave']) {
      for (const u of (await ok(who, USERS)).users as { id: string; username: string }[])
        ids[u.username] = u.id;
    }
    await outboxEmpty();
  });
  afterAll(async () => e.close());

  it('a user created by the app is one CREATE event, captured with the caller (origin APP)', async () => {
    const events = (await trail(ids.henry)).edges.map((x) => x.node);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'CREATE',
      origin: 'APP',
      actor: { type: 'USER', id: ids.alice, display: 'alice' },
      module: 'identity',
      transactionCode: 'USER_CREATE',
      tenantId: 'acme',
      before: null,
      after: { username: 'henry', active: true, passwordHash: '[MASKED]' },
      database: { role: 'postgres' },
    });
    expect(events[0].operationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[0].integrity).toContain('::audit/v1.1::');
  });

  it('deactivateTenantUsers: one operation, one sealed DEACTIVATE event per user, found by its operationId', async () => {
    const acme = ['bob', 'carol', 'henry', 'ivy'].map((n) => ids[n]).sort();

    // dave administers globex only: refused, nothing changes.
    const refused = await e.gql(DEACTIVATE, { tenantId: 'acme' }, { token: token.dave });
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await e.db.query('select 1 from users where not active')).toHaveLength(0);

    const done = await ok('alice', DEACTIVATE, { tenantId: 'acme' }, 'e2e-bulk-deactivate');
    expect(done.deactivateTenantUsers).toBe(4);
    const rows = await e.db.query<{ username: string; active: boolean }>(
      'select username, active from users order by username',
    );
    expect(rows.filter((r) => !r.active).map((r) => r.username)).toEqual(['bob', 'carol', 'henry', 'ivy']);

    const sealed = await waitFor(async () => {
      const found = await search({ action: 'DEACTIVATE' });
      // NOTE: the page and the count are two reads: a commit between them can show 4 in one only.
      return found.totalCount === 4 && found.edges.length === 4 && found.edges.map((x) => x.node);
    }, 'four DEACTIVATE events');
    expect(sealed.map((x) => x.entityId).sort()).toEqual(acme);
    const operationId = sealed[0].operationId!;
    expect(operationId).toMatch(/^[0-9a-f-]{36}$/);
    for (const event of sealed) {
      expect(event).toMatchObject({
        action: 'DEACTIVATE',
        operationId,
        origin: 'APP',
        actor: { type: 'USER', id: ids.alice, display: 'alice' },
        source: { requestId: 'e2e-bulk-deactivate' },
        tenantId: 'acme',
        module: 'identity',
        transactionCode: 'USER_BULK_DEACTIVATE',
        database: { role: 'postgres', transactionId: sealed[0].database!.transactionId },
      });
      // Deactivation revokes the user's tokens: the database bumps credentialsVersion in the same row.
      expect(event.changes.filter((c) => c.field !== 'updatedAt')).toEqual([
        { field: 'active', before: true, after: false },
        { field: 'credentialsVersion', before: 0, after: 1 },
      ]);
    }

    // The operation's events, and only those.
    const operation = await search({ operationId });
    expect(operation.totalCount).toBe(4);
    expect(operation.edges.map((x) => x.node.id).sort()).toEqual(sealed.map((x) => x.id).sort());

    // Each user's trail holds exactly one of them, and still verifies.
    for (const id of acme) {
      const t = await trail(id);
      expect(t.edges.filter((x) => x.node.operationId === operationId)).toHaveLength(1);
      expect(t.verification).toMatchObject({ valid: true, failures: [] });
    }

    // A deactivated user can no longer log in; the refusal says why in its event.
    const login = await e.gql(
      'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      { u: 'henry', p: 'henry-password' },
    );
    expect(login.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await waitFor(
      async () => (await search({ action: 'LOGIN_FAILURE', entityId: ids.henry })).totalCount === 1,
      "henry's refused login",
    );
  });

  it('an UPDATE made in psql is sealed as the database role (origin DATABASE), and the trail verifies', async () => {
    const before = (await trail(ids.erin)).edges.length;
    const txid = await e.db.session(async (db) => {
      await db.query('begin');
      await db.query("update users set role = 'admin' where id = $1", [ids.erin]);
      const [{ id }] = (await db.query<{ id: string }>('select txid_current()::text as id')).rows;
      await db.query('commit');
      return id;
    });

    const t = await waitFor(async () => {
      const found = await trail(ids.erin);
      return found.edges.length === before + 1 && found;
    }, "erin's psql change to be sealed");
    const event = t.edges[t.edges.length - 1].node;
    expect(event).toMatchObject({
      action: 'UPDATE',
      origin: 'DATABASE',
      actor: { type: 'DATABASE', id: 'postgres', display: null },
      operationId: null,
      source: { requestId: null },
      tenantId: 'globex',
      module: null,
      database: { role: 'postgres', transactionId: txid },
      // Even a change made in psql revokes the user's tokens.
      changes: [
        { field: 'credentialsVersion', before: expect.any(Number), after: expect.any(Number) },
        { field: 'role', before: 'user', after: 'admin' },
      ],
    });
    expect(event.before).toEqual(t.edges[t.edges.length - 2].node.after);
    expect(t.verification).toEqual({ valid: true, checkedEvents: before + 1, failures: [] });

    const byActor = await search({ actorType: 'DATABASE' });
    expect(byActor.edges.map((x) => x.node.id)).toEqual([event.id]);
  });

  it('never lets the password hash into audit.outbox or audit.events, only the [MASKED] marker', async () => {
    const [{ password_hash: oldHash }] = await e.db.query<{ password_hash: string }>(
      'select password_hash from users where id = $1',
      [ids.bob],
    );
    // A password reset in psql: the outbox row the trigger writes, seen inside its own transaction.
    const newHash = 'scrypt$e2e-salt$e2e-new-hash-value';
    const pending = await e.db.session(async (db) => {
      await db.query('begin');
      await db.query('update users set password_hash = $1 where id = $2', [newHash, ids.bob]);
      const { rows } = await db.query<{ row: string; payload: Record<string, any> }>(
        "select o::text as row, payload from audit.outbox o where entity_type = 'User' and entity_id = $1",
        [ids.bob],
      );
      await db.query('commit');
      return rows;
    });
    expect(pending).toHaveLength(1);
    const { payload, row } = pending[0];
    expect(payload).toMatchObject({
      op: 'UPDATE',
      masked: ['password_hash'],
      maskedChanged: ['password_hash'],
    });
    expect(Object.keys(payload.old)).not.toContain('password_hash');
    expect(Object.keys(payload.new)).not.toContain('password_hash');
    for (const hash of [oldHash, newHash]) expect(row).not.toContain(hash);

    const t = await waitFor(async () => {
      const found = await trail(ids.bob);
      const last = found.edges[found.edges.length - 1].node;
      return last.origin === 'DATABASE' && found;
    }, "bob's password reset to be sealed");
    const reset = t.edges[t.edges.length - 1].node;
    expect(reset.changes).toEqual([
      { field: 'credentialsVersion', before: expect.any(Number), after: expect.any(Number) },
      { field: 'passwordHash', before: '[MASKED]', after: '[MASKED]' },
    ]);
    expect(t.verification.valid).toBe(true);
    await outboxEmpty();

    // Every User snapshot carries the marker, never a value.
    const [counts] = await e.db.query<{ snapshots: number; unmasked: number }>(
      `select count(*)::int as snapshots,
         count(*) filter (where (before ? 'passwordHash' and before->>'passwordHash' <> '[MASKED]')
           or (after ? 'passwordHash' and after->>'passwordHash' <> '[MASKED]')
           or (before is not null and not before ? 'passwordHash')
           or (after is not null and not after ? 'passwordHash'))::int as unmasked
       from audit.events where entity_type = 'User' and (before is not null or after is not null)`,
    );
    expect(counts.snapshots).toBeGreaterThan(10);
    expect(counts.unmasked).toBe(0);
    // No hash, past or present, anywhere in the ledger's rows.
    const hashes = [
      oldHash,
      ...(await e.db.query<{ h: string }>('select password_hash as h from users')).map((r) => r.h),
    ];
    for (const hash of hashes) {
      const [found] = await e.db.query<{ events: number; outbox: number }>(
        `select (select count(*)::int from audit.events x where position($1 in x::text) > 0) as events,
                (select count(*)::int from audit.outbox x where position($1 in x::text) > 0) as outbox`,
        [hash],
      );
      expect(found).toEqual({ events: 0, outbox: 0 });
    }
  });
});
