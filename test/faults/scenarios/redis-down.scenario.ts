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
    await sleep(2000);
    // Orchestrators probe during the outage: each probe answers within 2 s, health naming Redis.
    const during = await ctx.probe(2000);
    await sleep(4000);
    const okDuringOutage = ctx.ledger.count('ok') - okAtKill;
    await ctx.servers.redis.start();
    await sleep(2000);
    await writers.stop();

    expect({ failed: ctx.ledger.count('failed'), unanswered: ctx.ledger.count('unanswered') }).toEqual({
      failed: 0,
      unanswered: 0,
    });
    expect(okDuringOutage).toBeGreaterThan(0);
    expect({ health: during.health.status, metrics: during.metrics.status }).toEqual({
      health: 503,
      metrics: 200,
    });
    expect(during.health.body).toContain('Redis (the sealing queue) does not answer');
    expect(during.metrics.body).toMatch(/^audit_queue_up 0$/m);
    const after = await ctx.probe(2000);
    expect(after.metrics.status).toBe(200);
    expect({ app: app.alive(), worker: worker.alive() }).toEqual({ app: true, worker: true });
    return {
      note:
        `${okDuringOutage} writes committed during the 6 s outage; /health answered ${during.health.status} in ` +
        `${during.health.ms} ms and /metrics ${during.metrics.status} in ${during.metrics.ms} ms during it`,
    };
  },
};
