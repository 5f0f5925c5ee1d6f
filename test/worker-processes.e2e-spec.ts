import { AuditService } from 'audit-ledger';
import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';
import { killWorkerProcesses, startWorkerProcess, type WorkerProcess } from './support/worker-process';

const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';

describe('npm run worker: separate sealing processes (AUDIT_INPROCESS_WORKER=false in the app)', () => {
  let e: ExampleApp;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    e = await startExampleApp({ AUDIT_INPROCESS_WORKER: 'false' });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    killWorkerProcesses();
    await e.close();
  });

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
    expect(await e.count('outbox')).toBe(67);
    expect(await e.count('events')).toBe(0);

    workers = await Promise.all([startWorkerProcess(e.env), startWorkerProcess(e.env)]);
    await waitFor(
      async () => (await e.count('outbox')) === 0 && (await e.count('events')) === 67,
      '67 sealed events',
    );

    // A chain is linear when each event's before is the previous event's after; the personal fields
    // (email, username) are ciphertext under a fresh IV in each event, so the rest is compared.
    const chains = await e.db.query<{ entity_id: string; n: number; max: number; links: number }>(
      `select e.entity_id, count(*)::int as n, max(e.chain_seq)::int as max,
              count(*) filter (where prev.after is not null
                and prev.after - 'email' - 'username' <> e.before - 'email' - 'username')::int as links
       from audit.events e
       left join audit.events prev on prev.entity_type = e.entity_type and prev.entity_id = e.entity_id
        and prev.chain_seq = e.chain_seq - 1 and prev.action <> 'LOGIN_SUCCESS' and e.action <> 'LOGIN_SUCCESS'
       group by e.entity_id`,
    );
    for (const chain of chains) {
      expect(chain.max).toBe(chain.n);
      expect(chain.links).toBe(0);
    }
    expect(await Promise.all(workers.map((w) => w.stop()))).toEqual([0, 0]);
    for (const w of workers) expect(w.output()).toContain('Sealing worker stopped');
  });

  it('three worker processes against 50 concurrent writers on ONE entity keep its chain linear and gapless', async () => {
    const token = await e.login('alice');
    const { data } = await e.gql('{ users { id username } }', {}, { token });
    const hot = data.users.find((u: { username: string }) => u.username === 'carol').id as string;
    const sealedBefore = (await e.count('events')) + (await e.count('outbox'));
    workers = await Promise.all([1, 2, 3].map(() => startWorkerProcess(e.env)));
    // The writers commit while three processes seal: every job races for the same chain head.
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        e.gql(UPDATE, { id: hot, input: { email: `hot${i}@x.test` } }, { token }),
      ),
    );
    expect(results.every((r) => !r.errors)).toBe(true);
    await waitFor(
      async () => (await e.count('outbox')) === 0 && (await e.count('events')) === sealedBefore + 50,
      '50 more sealed events',
      60000,
    ).catch(async (error: Error) => {
      // Say what the store holds instead, for the record.
      const actions = await e.db.query('select action, count(*)::int as n from audit.events group by action');
      const tails = workers.map((w) => w.output().slice(-2000)).join('\n---\n');
      throw new Error(`${error.message}; events by action: ${JSON.stringify(actions)}; workers:\n${tails}`);
    });
    const chain = await e.db.query<{ chain_seq: number; prev_ok: boolean }>(
      `select e.chain_seq::int, e.prev_hash = coalesce(p.hash, decode(repeat('00', 32), 'hex')) as prev_ok
       from audit.events e left join audit.events p
         on p.entity_id = e.entity_id and p.chain_seq = e.chain_seq - 1
       where e.entity_id = $1 order by e.chain_seq`,
      [hot],
    );
    expect(chain.map((c) => c.chain_seq)).toEqual(chain.map((_, i) => i + 1));
    expect(chain.every((c) => c.prev_ok)).toBe(true);
    // Emails are personal data, encrypted in the store: read them through the library, which decrypts.
    const sealed = await e.app.get(AuditService).trail('User', hot);
    const emails = sealed
      .map((event) => event.after?.email as string | undefined)
      .filter((m) => /^hot\d+@x\.test$/.test(m ?? ''));
    expect(new Set(emails).size).toBe(50);
    const trail = await e.app.get(AuditService).verifyTrail('User', hot);
    expect(trail).toMatchObject({ valid: true, headSeq: chain.length });
  });
});
