import { freePort } from '../support/free-port';
import type { FaultScenario } from '../support/fault-scenario';

/**
 * The app dies between commit and enqueue: it runs against a Redis port nothing listens on, so no
 * job is ever enqueued, and is SIGKILLed once its writes are answered. A worker started afterwards
 * (with the real Redis, whose queue is empty) can only learn of the events from the outbox relay.
 */
export const appSigkillBeforeEnqueue: FaultScenario = {
  name: 'app-sigkill-before-enqueue',
  timeoutMs: 240000,
  async run(ctx) {
    const app = await ctx.startApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const writers = await ctx.writers(8);
    await writers.burst(100, 8);
    expect({ failed: ctx.ledger.count('failed'), unanswered: ctx.ledger.count('unanswered') }).toEqual({
      failed: 0,
      unanswered: 0,
    });
    expect(await app.signal('SIGKILL')).toBe('SIGKILL');

    const [{ outbox, events }] = await ctx.db.query<{ outbox: number; events: number }>(
      'select (select count(*)::int from audit.outbox) as outbox, (select count(*)::int from audit.events) as events',
    );
    // Nothing sealed yet; every committed write waits in the outbox.
    expect({ events, enough: outbox >= ctx.ledger.count('ok') }).toEqual({ events: 0, enough: true });
    await ctx.startWorker();
    return { note: `${outbox} outbox rows left by the killed app` };
  },
};
