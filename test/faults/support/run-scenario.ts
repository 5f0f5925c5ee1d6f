import { verifyOverApi } from './api-verification';
import { FaultContext, type FaultServers } from './fault-context';
import type { FaultMeasures, FaultReport } from './fault-report';
import type { FaultScenario } from './fault-scenario';
import { countLedger } from './ledger-count';
import { checkStore } from './store-checks';

const DEFAULT_SETTLE_MS = 60000;

/**
 * Runs a scenario in a fresh context, waits for sealing, counts, adds the row to the report and
 * asserts: every committed write sealed once, nothing sealed for a failed one, the outbox drained,
 * every store invariant and the app's own verification holding. Failures carry the processes' output.
 */
export async function runScenario(
  servers: FaultServers,
  scenario: FaultScenario,
  report: FaultReport,
): Promise<void> {
  const ctx = await FaultContext.create(scenario.name, servers);
  const started = Date.now();
  try {
    const result = await scenario.run(ctx).catch((error: Error) => error);
    const failure = result instanceof Error ? result : undefined;
    // After a failed run, whatever can still be counted goes in the row; the failure is the answer.
    const measured = await measure(ctx, scenario, failure === undefined).catch((error: Error) => {
      if (failure) return undefined;
      throw error;
    });
    report.add({
      scenario: scenario.name,
      ...measured?.row,
      seconds: (Date.now() - started) / 1000,
      ...(failure ? { note: `error: ${failure.message.split('\n')[0]}` } : result),
    });
    if (failure) throw failure;
    const { row, storeProblems, apiProblems } = measured!;
    expect({ ...row, storeProblems, apiProblems }).toEqual({
      ...row,
      sealed: row.committed,
      duplicates: 0,
      missing: 0,
      extra: 0,
      outboxLeft: 0,
      chainsOk: true,
      verified: true,
      storeProblems: [],
      apiProblems: [],
    });
    expect(row.committed).toBeGreaterThan(0);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${scenario.name}: ${message}\n\n${ctx.diagnostics()}`);
  } finally {
    // A scenario that failed mid-outage leaves the next one its servers up.
    await servers.pg.start();
    await servers.redis.start();
    await ctx.dispose();
  }
}

/** Waits for sealing (unless the run failed), then counts and verifies. */
async function measure(ctx: FaultContext, scenario: FaultScenario, settle: boolean) {
  if (settle) await ctx.settle(scenario.settleMs ?? DEFAULT_SETTLE_MS);
  const count = await countLedger(ctx.db, ctx.ledger);
  const [{ n: outboxLeft }] = await ctx.db.query<{ n: number }>(
    'select count(*)::int as n from audit.outbox',
  );
  const storeProblems = await checkStore(ctx.db);
  const apiProblems = settle ? await verifyOverApi(await liveClient(ctx), ctx.db, ctx.targets) : [];
  const row: FaultMeasures = {
    ...count,
    outboxLeft,
    chainsOk: storeProblems.length === 0,
    verified: settle && apiProblems.length === 0,
  };
  return { row, storeProblems, apiProblems };
}

/** The scenario's app, started again if the scenario left it dead (it killed it, say). */
async function liveClient(ctx: FaultContext) {
  if (!ctx.app?.alive()) await ctx.startApp();
  return ctx.client;
}
