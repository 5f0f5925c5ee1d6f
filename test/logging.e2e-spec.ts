import { randomUUID } from 'node:crypto';
import { freePort } from './faults/support/free-port';
import { GraphqlClient } from './faults/support/graphql-client';
import { killAllServices, startService, type NodeService } from './faults/support/node-service';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { clearQueuePrefix, TEST_REDIS_URL, uniqueQueuePrefix } from './support/test-redis';
import { waitFor } from './support/wait-for';

const PASSWORD = 'logging-e2e-password';

/**
 * The example app as `npm start` runs it logs JSON lines (pino): the request id of each line is
 * the one its audit events record, and no credential or payload value reaches the log.
 */
describe('structured logs', () => {
  let db: TestDatabase;
  let app: NodeService;
  let client: GraphqlClient;
  const prefix = uniqueQueuePrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    client = new GraphqlClient(`http://127.0.0.1:${port}`);
    app = await startService('app', 'app', {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      PORT: String(port),
      AUDIT_QUEUE_PREFIX: prefix,
      DEMO_PASSWORD: PASSWORD,
      JWT_SECRET: 'logging-secret',
      AUDIT_KEY_DIR: db.keyDir,
      AUDIT_WITNESS_DIR: db.witnessDir,
      LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    await app?.signal('SIGTERM').catch(() => killAllServices());
    await db.drop();
    await clearQueuePrefix(prefix);
  });

  it('correlates log lines with audit events by request id, and redacts credentials', async () => {
    const login = await client.request<{ login: { token: string } }>(
      'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      { u: 'alice', p: PASSWORD },
    );
    const token = login.data!.login.token;
    const users = await client.request<{ users: { id: string; username: string }[] }>(
      '{ users { id username } }',
      {},
      { token },
    );
    const bob = users.data!.users.find((u) => u.username === 'bob')!;
    const requestId = `logging-${randomUUID()}`;
    const update = await client.request(
      'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }',
      { id: bob.id, input: { email: 'bob.secret-address@example.test' } },
      { token, requestId },
    );
    expect(update.errors).toBeUndefined();
    await waitFor(
      async () =>
        (
          await db.query("select 1 from audit.events where request_id = $1 and entity_type = 'User'", [
            requestId,
          ])
        ).length === 1,
      'the update sealed',
    );

    const lines = app.output
      .all()
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('Audit Ledger example listening'));
    const records = lines.map((l) => JSON.parse(l) as { req?: { id?: string } });
    const request = records.find((r) => r.req?.id === requestId);
    expect(request).toMatchObject({
      res: { statusCode: 200 },
      req: { headers: { authorization: '[REDACTED]' } },
    });
    const output = app.output.all();
    for (const secret of [token, PASSWORD, 'bob.secret-address']) expect(output).not.toContain(secret);
  });
});
