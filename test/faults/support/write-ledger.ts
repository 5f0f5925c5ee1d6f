/**
 * What a writer knows of a request: `ok` (2xx, no GraphQL error: committed), `failed` (an answer
 * saying it did not happen) or `unanswered` (no answer: it may or may not have committed).
 */
export type WriteOutcome = 'ok' | 'failed' | 'unanswered';

const SAMPLES = 10;

/** Every write request of a scenario by its x-request-id, with what its answer said. */
export class WriteLedger {
  private readonly outcomes = new Map<string, WriteOutcome>();
  private readonly samples: string[] = [];

  record(requestId: string, outcome: WriteOutcome, detail?: string): void {
    this.outcomes.set(requestId, outcome);
    if (outcome !== 'ok' && detail && this.samples.length < SAMPLES)
      this.samples.push(`${outcome}: ${detail}`);
  }

  ids(outcome?: WriteOutcome): string[] {
    return [...this.outcomes].filter(([, o]) => !outcome || o === outcome).map(([id]) => id);
  }

  count(outcome: WriteOutcome): number {
    return this.ids(outcome).length;
  }

  /** The first few answers other than ok, for failure messages. */
  failureSamples(): string[] {
    return [...this.samples];
  }
}
