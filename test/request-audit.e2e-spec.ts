import { randomUUID } from 'node:crypto';
import type { GraphqlClient } from './faults/support/graphql-client';
import { startExampleProcess, type ExampleProcess } from './support/example-process';
import type { TestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';

const PASSWORD = 'request-audit-e2e-password';

interface EntryRow {
  action: string;
  actor_display: string | null;
  source: { ip: string | null; userAgent: string | null; requestId: string | null };
  metadata: Record<string, unknown>;
}

/**
 * The example app as `npm start` runs it, with request-level audit on (src/audit-options.factory.ts):
 * every request is a JSON log line `http.request`; GraphQL operations and REST calls are sealed too,
 * /health and /metrics are not.
 */
describe('request-level audit in the example app', () => {
  let example: ExampleProcess;
  let db: TestDatabase;
  let client: GraphqlClient;
  let base: string;
  const run = randomUUID().slice(0, 8);
  const id = (name: string) => `${name}-${run}`;

  beforeAll(async () => {
    // The test client names its requests (x-request-id) as a trusted proxy on loopback would.
    example = await startExampleProcess(PASSWORD, { TRUST_PROXY: 'loopback' });
    ({ db, client, base } = example);
  });
  afterAll(async () => example?.stop());

  const login = async (username: string) => {
    const res = await client.request<{ login: { token: string } }>(
      'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      { u: username, p: PASSWORD },
    );
    return res.data!.login.token;
  };
  const sealed = (requestId: string) =>
    waitFor(async () => {
      const [row] = await db.query<EntryRow>(
        `select action, actor_display, source, metadata from audit.events
         where entity_type = 'http.request' and entity_id = $1`,
        [requestId],
      );
      return row;
    }, `the sealed entry of ${requestId}`);
  const entryLines = (requestId: string) =>
    example.records().filter((r) => r.msg === 'http.request' && r.requestId === requestId);
  const rest = (path: string, init: { method: string; token: string; requestId: string; body?: unknown }) =>
    fetch(base + path, {
      method: init.method,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${init.token}`,
        'x-request-id': init.requestId,
        'user-agent': 'request-audit-e2e/1.0',
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  it('records a GraphQL operation with its name and type, and a FORBIDDEN error as 403 (warn)', async () => {
    const alice = await login('alice');
    const list = await client.request(
      'query ListUsers { users { id } }',
      {},
      {
        token: alice,
        requestId: id('gql-list'),
      },
    );
    expect(list.errors).toBeUndefined();
    const ok = await sealed(id('gql-list'));
    expect(ok).toMatchObject({
      action: 'HTTP_REQUEST',
      actor_display: 'alice',
      source: { requestId: id('gql-list'), ip: '127.0.0.1' },
      metadata: {
        method: 'POST',
        path: '/graphql',
        statusCode: 200,
        outcome: 'success',
        operationName: 'ListUsers',
        operationType: 'query',
        graphqlErrorCodes: [],
      },
    });

    const bob = await login('bob');
    const denied = await client.request(
      'query BobVerifies { verifyAuditLog { valid } }',
      {},
      {
        token: bob,
        requestId: id('gql-denied'),
      },
    );
    expect(denied.status).toBe(200);
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await sealed(id('gql-denied'))).metadata).toMatchObject({
      statusCode: 403,
      outcome: 'failure',
      operationName: 'BobVerifies',
      graphqlErrorCodes: ['FORBIDDEN'],
    });

    // pino levels: 30 info, 40 warn. The line holds the entry's fields, not pino-http's `req`.
    const [okLine] = entryLines(id('gql-list'));
    expect(okLine).toMatchObject({
      level: 30,
      context: 'AuditRequest',
      ...ok.metadata,
      actor: { display: 'alice' },
    });
    expect(okLine).not.toHaveProperty('req');
    expect(entryLines(id('gql-denied'))).toEqual([
      expect.objectContaining({ level: 40, statusCode: 403, operationName: 'BobVerifies' }),
    ]);
  });

  it('records REST calls without their bodies; logs /health but does not seal it', async () => {
    const health = await fetch(`${base}/health`, { headers: { 'x-request-id': id('health') } });
    expect(health.status).toBe(200);
    const alice = await login('alice');
    const users = await client.request<{ users: { id: string; username: string }[] }>(
      '{ users { id username } }',
      {},
      {
        token: alice,
      },
    );
    const bob = users.data!.users.find((u) => u.username === 'bob')!;
    const edit = await rest(`/users/${bob.id}?token=query-secret`, {
      method: 'PATCH',
      token: alice,
      requestId: id('rest-edit'),
      body: { email: 'bob.body-secret@example.test' },
    });
    expect(edit.status).toBe(200);
    const invalid = await rest(`/users/${bob.id}`, {
      method: 'PATCH',
      token: alice,
      requestId: id('rest-invalid'),
      body: { email: 'bob.other@example.test', note: 'invalid-body-secret' },
    });
    expect(invalid.status).toBe(400);

    const entry = await sealed(id('rest-edit'));
    expect(entry).toMatchObject({
      actor_display: 'alice',
      source: { userAgent: 'request-audit-e2e/1.0' },
      metadata: { method: 'PATCH', path: `/users/${bob.id}`, statusCode: 200, outcome: 'success' },
    });
    expect((await sealed(id('rest-invalid'))).metadata).toMatchObject({
      statusCode: 400,
      outcome: 'failure',
    });
    expect(entryLines(id('rest-invalid'))).toEqual([expect.objectContaining({ level: 40, statusCode: 400 })]);

    // /health was answered before the sealed calls above were made.
    expect(entryLines(id('health'))).toEqual([
      expect.objectContaining({ level: 30, path: '/health', statusCode: 200 }),
    ]);
    expect(
      await db.query(
        "select 1 from audit.events where entity_type = 'http.request' and metadata->>'path' = '/health'",
      ),
    ).toEqual([]);
    expect(
      await db.query(
        "select 1 from audit.outbox where entity_type = 'http.request' and payload->'metadata'->>'path' = '/health'",
      ),
    ).toEqual([]);

    const entries = await db.query("select * from audit.events where entity_type = 'http.request'");
    const lines = example.records().filter((r) => r.msg === 'http.request');
    for (const secret of ['bob.body-secret', 'invalid-body-secret', 'query-secret', PASSWORD])
      expect(JSON.stringify([entries, lines])).not.toContain(secret);
  });
});
