import type { FaultScenario } from '../support/fault-scenario';
import { sleep } from '../support/sleep';

/**
 * Redis killed under writes: the business writes go on committing (the enqueue is after commit
 * and never awaited), the jobs of the outage are lost with the unpersisted Redis, and once it is
 * back the relay in the worker re-enqueues every outbox row older than its grace period.
 */
export const redisDown: FaultScenario = {
  name: 'redis-down',
  timeoutMs: 240000,
  settleMs: 90000,
  async run(ctx) {
    const app = await ctx.startApp();
    const worker = await ctx.startWorker();
    const writers = await ctx.writers();
    writers.start(8);
    await sleep(2000);
    await ctx.servers.redis.kill();
    const okAtKill = ctx.ledger.count('ok');
    await sleep(6000);
    const okDuringOutage = ctx.ledger.count('ok') - okAtKill;
    await ctx.servers.redis.start();
    await sleep(2000);
    await writers.stop();

    expect({ failed: ctx.ledger.count('failed'), unanswered: ctx.ledger.count('unanswered') }).toEqual({
      failed: 0,
      unanswered: 0,
    });
    expect(okDuringOutage).toBeGreaterThan(0);
    expect({ app: app.alive(), worker: worker.alive() }).toEqual({ app: true, worker: true });
    return { note: `${okDuringOutage} writes committed during the 6 s outage` };
  },
};
