import { AuditService, Checkpointer, LogVerifier } from 'audit-ledger';
import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';
import { killWorkerProcesses, startWorkerProcess } from './support/worker-process';

const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';
const ROUNDS = 5;

/**
 * A worker SIGKILLed while it seals (no shutdown hook runs, its transaction is cut wherever it
 * is) must leave a store that verifies, and the next worker continues every chain: no event
 * lost, none sealed twice, no gap. Jobs of the killed worker stall and run again once their lock
 * lapses (AUDIT_JOB_LOCK_MS, short here).
 */
describe('SIGKILL of sealing worker processes mid-batch, repeatedly', () => {
  let e: ExampleApp;

  beforeAll(async () => {
    // Small sealing transactions (5 events), so a kill lands between and inside them with work left.
    e = await startExampleApp({
      AUDIT_INPROCESS_WORKER: 'false',
      AUDIT_JOB_LOCK_MS: '1000',
      AUDIT_SEAL_BATCH_EVENTS: '5',
    });
  });
  afterAll(async () => {
    killWorkerProcesses();
    await e.close();
  });

  it('leaves a verifying store; restarted workers continue every chain with no gap and no duplicate', async () => {
    const token = await e.login('alice');
    const { data } = await e.gql('{ users { id username } }', {}, { token });
    const ids = (data.users as { id: string; username: string }[])
      .filter((u) => u.username !== 'alice')
      .map((u) => u.id);
    let written = (await e.count('outbox')) + (await e.count('events'));
    const write = async (n: number) => {
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          e.gql(UPDATE, { id: ids[i % ids.length], input: { email: `w${written + i}@x.test` } }, { token }),
        ),
      );
      expect(results.every((r) => !r.errors)).toBe(true);
      written += n;
    };

    const leftAtKill: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await write(60);
      const before = await e.count('events');
      const worker = await startWorkerProcess(e.env);
      // Kill as soon as sealing is under way, so a batch is in flight.
      await waitFor(async () => (await e.count('events')) > before, 'sealing to start', 20000, 5);
      worker.child.kill('SIGKILL');
      await new Promise((resolve) => worker.child.once('exit', resolve));
      leftAtKill.push(await e.count('outbox'));
    }
    // Every worker died with work in hand, not after draining the outbox.
    expect(leftAtKill.every((left) => left > 0)).toBe(true);

    const survivor = await startWorkerProcess(e.env);
    try {
      await waitFor(
        async () => (await e.count('outbox')) === 0 && (await e.count('events')) === written,
        `${written} sealed events`,
        60000,
      );
    } finally {
      await survivor.stop();
    }

    const [dupes] = await e.db.query<{ n: number }>(
      'select count(*) - count(distinct id) as n from audit.events',
    );
    expect(Number(dupes.n)).toBe(0);
    const chains = await e.db.query<{ entity_id: string; n: number; max: number }>(
      'select entity_id, count(*)::int as n, max(chain_seq)::int as max from audit.events group by entity_id',
    );
    for (const c of chains) expect(c.max).toBe(c.n);
    const audit = e.app.get(AuditService);
    for (const id of ids) expect((await audit.verifyTrail('User', id)).valid).toBe(true);

    await e.app.get(Checkpointer).run('NOW');
    const log = await e.app.get(LogVerifier).verify('FULL');
    expect(log).toMatchObject({ valid: true, failures: [] });
    expect(log.treeSize).toBe(log.witnessedSize);
  }, 180000);
});
