import type { FaultScenario } from '../support/fault-scenario';
import { sleep } from '../support/sleep';

const LOAD_MS = 15000;
const KILL_EVERY_MS = 2000;

/**
 * Sealing workers SIGKILLed at random under continuous writes, each replaced at once: their
 * transactions are cut wherever they are, their jobs stall and run again once the lock lapses.
 */
export const workerSigkillUnderLoad: FaultScenario = {
  name: 'worker-sigkill-under-load',
  timeoutMs: 300000,
  settleMs: 90000,
  async run(ctx) {
    await ctx.startApp();
    await Promise.all([ctx.startWorker(), ctx.startWorker()]);
    const writers = await ctx.writers();
    writers.start(10);
    // A replacement is started at each kill and not waited for: kills keep their pace while
    // replacements boot, and one may be killed as soon as it is up.
    const replacements: Promise<unknown>[] = [];
    let kills = 0;
    for (const end = Date.now() + LOAD_MS; Date.now() < end;) {
      await sleep(KILL_EVERY_MS);
      const live = ctx.workers();
      if (live.length === 0) continue;
      const victim = live[Math.floor(Math.random() * live.length)];
      expect(await victim.signal('SIGKILL')).toBe('SIGKILL');
      kills++;
      replacements.push(ctx.startWorker());
    }
    await Promise.all(replacements);
    await writers.stop();
    expect({ failed: ctx.ledger.count('failed'), unanswered: ctx.ledger.count('unanswered') }).toEqual({
      failed: 0,
      unanswered: 0,
    });
    return { note: `${kills} workers SIGKILLed and replaced` };
  },
};
