import { waitFor } from '../../support/wait-for';
import type { FaultScenario } from '../support/fault-scenario';
import { sleep } from '../support/sleep';

const OUTAGE_MS = 3000;

/**
 * The private PostgreSQL restarted (fast shutdown: every session cut, open transactions rolled
 * back) while writers write and two workers seal what they commit. Writes during the outage may
 * fail and are then not committed; the app and the workers must reconnect by themselves, with
 * nothing restarted.
 */
export const postgresRestart: FaultScenario = {
  name: 'postgres-restart',
  timeoutMs: 300000,
  settleMs: 90000,
  async run(ctx) {
    const app = await ctx.startApp();
    const workers = await Promise.all([ctx.startWorker(), ctx.startWorker()]);
    const writers = await ctx.writers();
    writers.start(10);
    // Sealing keeps pace with the writers (a job seals all of an entity's pending events at
    // once): the restart cuts the sealing transactions in flight, whatever the backlog.
    await waitFor(async () => ctx.ledger.count('ok') >= 200, '200 committed writes', 60000, 100);
    const sealingFailures = () =>
      workers.reduce((n, w) => n + (w.output.all().match(/Sealing job \S+ failed/g) ?? []).length, 0);
    const failuresBefore = sealingFailures();
    await ctx.servers.pg.stop();
    // Orchestrators probe during the outage: each probe answers within 2 s, health down.
    const during = await ctx.probe(2000);
    await sleep(Math.max(0, OUTAGE_MS - during.health.ms));
    await ctx.servers.pg.start();
    const okAtRestart = ctx.ledger.count('ok');
    await waitFor(
      async () => ctx.ledger.count('ok') >= okAtRestart + 50,
      'the app to commit writes again after the restart',
      60000,
      100,
    );
    await writers.stop();

    const alive = { app: app.alive(), workers: workers.filter((w) => w.alive()).length };
    expect(alive).toEqual({ app: true, workers: 2 });
    expect({ health: during.health.status, metrics: during.metrics.status }).toEqual({
      health: 503,
      metrics: 200,
    });
    expect(during.metrics.body).toMatch(/^audit_store_up 0$/m);
    return {
      note:
        `${ctx.ledger.count('failed')} writes and ${sealingFailures() - failuresBefore} sealing attempts ` +
        `failed in the outage; app and both workers reconnected; during it /health answered ` +
        `${during.health.status} in ${during.health.ms} ms, /metrics ${during.metrics.status} in ${during.metrics.ms} ms`,
    };
  },
};
