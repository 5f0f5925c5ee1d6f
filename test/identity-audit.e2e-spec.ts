import request from 'supertest';
import type { SealedAuditEvent } from 'audit-ledger';
import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';

const USERS = '{ users { id username role tenantId } }';
const UPDATE =
  'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id role email } }';

describe('example app: the seed scenario over HTTP (GraphQL + REST), real PostgreSQL and Redis', () => {
  let e: ExampleApp;
  let aliceToken: string;
  let bobId: string;
  const server = () => e.app.getHttpServer();

  const trail = async (token: string, id = bobId) =>
    (await request(server()).get(`/users/${id}/audit`).set('authorization', `Bearer ${token}`).expect(200))
      .body as SealedAuditEvent[];

  const waitForTrail = (length: number) =>
    waitFor(async () => {
      const events = await trail(aliceToken);
      return events.length === length && events;
    }, `bob's trail to reach ${length} events`);

  beforeAll(async () => {
    // The test client names its requests (x-request-id) as a trusted proxy on loopback would.
    e = await startExampleApp({ TRUST_PROXY: 'loopback' });
    aliceToken = await e.login('alice');
    const { data } = await e.gql(USERS, {}, { token: aliceToken });
    bobId = data.users.find((u: { username: string }) => u.username === 'bob').id;
  });
  afterAll(async () => e.close());

  it('escalate-then-revert shows up in GET /users/:id/audit in order, with actor, IP, user agent and request id', async () => {
    const client = (requestId: string) => ({
      'x-request-id': requestId,
      'user-agent': 'e2e-client/1.0',
      'x-forwarded-for': '198.51.100.23',
    });

    const escalate = await e.gql(
      UPDATE,
      { id: bobId, input: { role: 'admin' } },
      { token: aliceToken, headers: client('e2e-escalate') },
    );
    expect(escalate.data.updateUser.role).toBe('admin');

    const bobToken = await e.login('bob');
    await request(server())
      .patch(`/users/${bobId}`)
      .set('authorization', `Bearer ${bobToken}`)
      .set(client('e2e-bob-edit'))
      .send({ email: 'bob@elsewhere.test' })
      .expect(200);

    const revert = await e.gql(
      UPDATE,
      { id: bobId, input: { role: 'user' } },
      { token: aliceToken, headers: client('e2e-revert') },
    );
    expect(revert.data.updateUser.role).toBe('user');

    const events = await waitForTrail(5);
    expect(events.map((x) => x.action)).toEqual(['CREATE', 'UPDATE', 'LOGIN_SUCCESS', 'UPDATE', 'UPDATE']);
    expect(events.map((x) => x.chainSeq)).toEqual([1, 2, 3, 4, 5]);
    expect([...events.map((x) => x.occurredAt)].sort()).toEqual(events.map((x) => x.occurredAt));

    const [created, escalated, login, edited, reverted] = events;
    expect(created.actor.type).toBe('SYSTEM');
    expect(created.after?.passwordHash).toBe('[MASKED]');

    const source = (requestId: string) => ({
      ip: '198.51.100.23',
      userAgent: 'e2e-client/1.0',
      requestId,
      sessionId: null,
    });
    expect(escalated).toMatchObject({
      actor: { type: 'USER', display: 'alice' },
      tenantId: 'acme',
      module: 'identity',
      transactionCode: 'USER_UPDATE',
      source: source('e2e-escalate'),
    });
    // A role change revokes the user's tokens (the database bumps credentialsVersion): on the record too.
    expect(escalated.changes.filter((c) => c.field !== 'updatedAt')).toEqual([
      { field: 'credentialsVersion', before: 0, after: 1 },
      { field: 'role', before: 'user', after: 'admin' },
    ]);
    expect(login).toMatchObject({ actor: { display: 'bob' }, metadata: { username: 'bob' } });
    expect(edited).toMatchObject({ actor: { id: bobId, display: 'bob' }, source: source('e2e-bob-edit') });
    expect(edited.changes.filter((c) => c.field !== 'updatedAt')).toEqual([
      { field: 'email', before: 'bob@example.test', after: 'bob@elsewhere.test' },
    ]);
    expect(reverted).toMatchObject({ actor: { display: 'alice' }, source: source('e2e-revert') });
    expect(reverted.changes.filter((c) => c.field !== 'updatedAt')).toEqual([
      { field: 'credentialsVersion', before: 1, after: 2 },
      { field: 'role', before: 'admin', after: 'user' },
    ]);
    // The chain replays: each event starts where the previous state change ended.
    expect(escalated.before).toEqual(created.after);
    expect(edited.before).toEqual(escalated.after);
    expect(reverted.before).toEqual(edited.after);
  });

  it('rejects mass assignment with 400 naming the field, and changes nothing', async () => {
    const [before] = await e.db.query('select * from users where id = $1', [bobId]);
    const eventsBefore = (await trail(aliceToken)).length;
    for (const [body, field] of [
      [{ passwordHash: 'x' }, 'passwordHash'],
      [{ id: '00000000-0000-7000-8000-000000000000' }, 'id'],
      [{ tenantId: 'globex' }, 'tenantId'],
      [{ isAdmin: true }, 'isAdmin'],
      [{ email: 'sneaky@x.test', role: 'admin', passwordHash: 'x' }, 'passwordHash'],
    ] as const) {
      const res = await request(server())
        .patch(`/users/${bobId}`)
        .set('authorization', `Bearer ${aliceToken}`)
        .send(body)
        .expect(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    }
    const [after] = await e.db.query('select * from users where id = $1', [bobId]);
    expect(after).toEqual(before);
    expect(await e.db.query("select 1 from audit.outbox where entity_type <> 'http.request'")).toHaveLength(
      0,
    );
    expect(await trail(aliceToken)).toHaveLength(eventsBefore);
  });

  it('keeps tenant admins inside their tenant, and requires authentication', async () => {
    const daveToken = await e.login('dave');
    const res = await e.gql(UPDATE, { id: bobId, input: { role: 'admin' } }, { token: daveToken });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    // Another tenant's user answers as a user that does not exist.
    await request(server())
      .get(`/users/${bobId}/audit`)
      .set('authorization', `Bearer ${daveToken}`)
      .expect(404);

    const anonymous = await e.gql(USERS);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await request(server()).get(`/users/${bobId}/audit`).expect(401);
    await request(server()).get(`/users/${bobId}/audit`).set('authorization', 'Bearer not-a-jwt').expect(401);

    const [row] = await e.db.query<{ role: string }>('select role from users where id = $1', [bobId]);
    expect(row.role).toBe('user');
    // The refused attempt is on bob's record, in bob's tenant, naming dave; nothing changed.
    const events = await waitForTrail(6);
    expect(events[5]).toMatchObject({
      action: 'UPDATE_FAILED',
      tenantId: 'acme',
      actor: { display: 'dave' },
      changes: [],
      metadata: { error: { name: 'ForbiddenException' } },
    });
  });

  it('audits a failed login with the attempted username, never the password', async () => {
    const length = (await trail(aliceToken)).length;
    const res = await e.gql('mutation { login(username: "bob", password: "wrong-Pa55word") { token } }');
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    const events = await waitForTrail(length + 1);
    expect(events[length]).toMatchObject({
      action: 'LOGIN_FAILURE',
      actor: { type: 'USER', id: 'anonymous' },
      metadata: { username: 'bob', reason: 'BAD_PASSWORD' },
    });
    expect(JSON.stringify(await e.db.query('select * from audit.events'))).not.toContain('wrong-Pa55word');
  });

  it('createUser and deleteUser over GraphQL are audited with the caller; the deleted user keeps its history', async () => {
    const create = `mutation($input: CreateUserInput!) { createUser(input: $input) { id username role tenantId } }`;
    const input = {
      username: 'frank',
      email: 'frank@x.test',
      password: 'frank-password',
      role: 'user',
      tenantId: 'acme',
    };
    const created = await e.gql(
      create,
      { input },
      { token: aliceToken, headers: { 'x-request-id': 'e2e-create' } },
    );
    expect(created.data.createUser).toMatchObject({ username: 'frank', role: 'user', tenantId: 'acme' });
    const frankId = created.data.createUser.id as string;

    const foreign = await e.gql(
      create,
      { input: { ...input, username: 'frank2', tenantId: 'globex' } },
      { token: aliceToken },
    );
    expect(foreign.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await e.db.query("select 1 from users where username = 'frank2'")).toHaveLength(0);

    const deleted = await e.gql(
      'mutation($id: ID!) { deleteUser(id: $id) }',
      { id: frankId },
      { token: aliceToken },
    );
    expect(deleted.data.deleteUser).toBe(true);

    const events = await waitFor(async () => {
      const t = await trail(aliceToken, frankId);
      return t.length === 2 && t;
    }, "frank's CREATE and DELETE");
    expect(events[0]).toMatchObject({
      action: 'CREATE',
      actor: { display: 'alice' },
      source: { requestId: 'e2e-create' },
      before: null,
      after: { username: 'frank', passwordHash: '[MASKED]' },
    });
    expect(events[1]).toMatchObject({
      action: 'DELETE',
      actor: { display: 'alice' },
      after: null,
      before: events[0].after,
    });
    expect(JSON.stringify(events)).not.toContain('frank-password');
  });

  // Last: it breaks bob's chain for good.
  it('reports a tampered trail as AUDIT_CHAIN_TAMPERED with the first bad position, never the data', async () => {
    await e.db.tamper(
      `update audit.events set after = jsonb_set(after, '{role}', '"user"') where entity_id = $1 and chain_seq = 2`,
      [bobId],
    );
    const res = await request(server())
      .get(`/users/${bobId}/audit`)
      .set('authorization', `Bearer ${aliceToken}`)
      .expect(500);
    expect(res.body).toMatchObject({ code: 'AUDIT_CHAIN_TAMPERED', chainSeq: 2, reason: 'HASH_MISMATCH' });
  });
});
