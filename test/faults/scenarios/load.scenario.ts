import type { FaultScenario } from '../support/fault-scenario';
import { sleep } from '../support/sleep';

const SECONDS = Number(process.env.FAULTS_LOAD_SECONDS ?? 60);
const WRITERS = 100;
const WORKERS = 3;

/** Sustained load, no fault: 100 concurrent writers and three workers for FAULTS_LOAD_SECONDS (60). */
export const load: FaultScenario = {
  name: 'load',
  settleMs: Math.max(120000, SECONDS * 3000),
  timeoutMs: SECONDS * 1000 + Math.max(120000, SECONDS * 3000) + 240000,
  async run(ctx) {
    await ctx.startApp();
    await Promise.all(Array.from({ length: WORKERS }, () => ctx.startWorker()));
    const writers = await ctx.writers(50);
    const before = ctx.ledger.count('ok');
    const started = Date.now();
    writers.start(WRITERS);
    await sleep(SECONDS * 1000);
    await writers.stop();
    const seconds = (Date.now() - started) / 1000;
    expect({ failed: ctx.ledger.count('failed'), unanswered: ctx.ledger.count('unanswered') }).toEqual({
      failed: 0,
      unanswered: 0,
    });
    return {
      writesPerSecond: (ctx.ledger.count('ok') - before) / seconds,
      note: `${WRITERS} writers, ${WORKERS} workers, ${SECONDS} s`,
    };
  },
};
