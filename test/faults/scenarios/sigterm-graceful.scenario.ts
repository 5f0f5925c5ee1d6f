import { waitFor } from '../../support/wait-for';
import type { FaultScenario } from '../support/fault-scenario';
import { sleep } from '../support/sleep';
import { checkStore } from '../support/store-checks';

/**
 * The only worker SIGTERMed under writes: it finishes its in-flight jobs and exits cleanly (0, or
 * the signal Nest re-raises after its shutdown hooks), leaving no half-sealed batch; a worker
 * started afterwards seals what it left queued.
 */
export const sigtermGraceful: FaultScenario = {
  name: 'sigterm-graceful',
  timeoutMs: 240000,
  async run(ctx) {
    await ctx.startApp();
    const first = await ctx.startWorker();
    const writers = await ctx.writers();
    writers.start(10);
    await waitFor(
      async () => {
        const [{ n }] = await ctx.db.query<{ n: number }>(
          "select count(*)::int as n from audit.events where entity_type = 'User'",
        );
        return n >= 100;
      },
      'sealing under way (100 events)',
      60000,
      100,
    );
    const status = await first.signal('SIGTERM', 30000);
    expect([0, 'SIGTERM']).toContain(status);
    expect(first.output.all()).toContain('Sealing worker stopped: in-flight jobs finished');
    expect(await checkStore(ctx.db)).toEqual([]);
    // Its jobs were finished, not left active to stall until their lock lapses.
    expect(await ctx.queue().getActiveCount()).toBe(0);
    // Writes go on with no worker for a while: the next one has a backlog to take over.
    await sleep(2000);
    const [{ left }] = await ctx.db.query<{ left: number }>('select count(*)::int as left from audit.outbox');
    await ctx.startWorker();
    await sleep(2000);
    await writers.stop();
    expect({ failed: ctx.ledger.count('failed'), unanswered: ctx.ledger.count('unanswered') }).toEqual({
      failed: 0,
      unanswered: 0,
    });
    return { note: `worker exited with ${status}, ${left} outbox rows waiting when the next one started` };
  },
};
