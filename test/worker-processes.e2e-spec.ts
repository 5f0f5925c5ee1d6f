import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process';

const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';

describe('npm run worker: separate sealing processes (AUDIT_INPROCESS_WORKER=false in the app)', () => {
  let e: ExampleApp;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    e = await startExampleApp({ AUDIT_INPROCESS_WORKER: 'false' });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await e.close();
  });

  const count = async (table: string) =>
    (await e.db.query<{ n: number }>(`select count(*)::int as n from audit.${table}`))[0].n;

  it('the app only commits to the outbox; two worker processes seal everything once, chains gapless', async () => {
    const token = await e.login('alice');
    const { data } = await e.gql('{ users { id username } }', {}, { token });
    const targets = data.users
      .filter((u: { username: string }) => u.username !== 'alice')
      .map((u: { id: string }) => u.id);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        e.gql(UPDATE, { id: targets[i % targets.length], input: { email: `u${i}@x.test` } }, { token }),
      ),
    );
    // 6 seeded users + 1 login + 60 updates, all waiting in the outbox: nothing seals in the app.
    expect(await count('outbox')).toBe(67);
    expect(await count('events')).toBe(0);

    workers = await Promise.all([startWorkerProcess(e.env), startWorkerProcess(e.env)]);
    await waitFor(
      async () => (await count('outbox')) === 0 && (await count('events')) === 67,
      '67 sealed events',
    );

    const chains = await e.db.query<{ entity_id: string; n: number; max: number; links: number }>(
      `select e.entity_id, count(*)::int as n, max(e.chain_seq)::int as max,
              count(*) filter (where prev.after is not null and prev.after <> e.before)::int as links
       from audit.events e
       left join audit.events prev on prev.entity_type = e.entity_type and prev.entity_id = e.entity_id
        and prev.chain_seq = e.chain_seq - 1 and prev.action <> 'LOGIN_SUCCESS' and e.action <> 'LOGIN_SUCCESS'
       group by e.entity_id`,
    );
    for (const chain of chains) {
      expect(chain.max).toBe(chain.n);
      expect(chain.links).toBe(0);
    }
    expect(await Promise.all(workers.map((w) => w.stop()))).toEqual(['SIGTERM', 'SIGTERM']);
    for (const w of workers) expect(w.output()).toContain('Sealing worker stopped');
  });
});
