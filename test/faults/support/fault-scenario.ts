import type { FaultContext } from './fault-context';

/** What a scenario adds to its row. */
export interface ScenarioResult {
  writesPerSecond?: number;
  note?: string;
}

/**
 * A fault driven against real processes. `run` starts what it needs in its context, writes,
 * injects the fault and its recovery, and asserts what only it knows (writes that had to succeed,
 * exit codes); the runner then waits until everything committed is sealed and checks the rest.
 */
export interface FaultScenario {
  name: string;
  /** jest's limit for the whole scenario, settling and verification included. */
  timeoutMs: number;
  /** How long sealing may take once `run` returns. Default 60 s. */
  settleMs?: number;
  run(ctx: FaultContext): Promise<ScenarioResult | void>;
}
