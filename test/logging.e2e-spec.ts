import { randomUUID } from 'node:crypto';
import { startExampleProcess, type ExampleProcess } from './support/example-process';
import { waitFor } from './support/wait-for';

const PASSWORD = 'logging-e2e-password';

/**
 * The example app as `npm start` runs it logs JSON lines (pino): the request id of each line is
 * the one its audit events record, and no credential or payload value reaches the log.
 */
describe('structured logs', () => {
  let example: ExampleProcess;

  beforeAll(async () => {
    // The test client names its requests (x-request-id) as a trusted proxy on loopback would.
    example = await startExampleProcess(PASSWORD, { TRUST_PROXY: 'loopback' });
  });
  afterAll(async () => example?.stop());

  it('correlates log lines with audit events by request id, and redacts credentials', async () => {
    const { client, db, app } = example;
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

    const request = example.records().find((r) => (r.req as { id?: string } | undefined)?.id === requestId);
    expect(request).toMatchObject({
      res: { statusCode: 200 },
      req: { headers: { authorization: '[REDACTED]' } },
    });
    const output = app.output.all();
    for (const secret of [token, PASSWORD, 'bob.secret-address']) expect(output).not.toContain(secret);
  });
});
