import type { Logger } from '@nestjs/common';

/**
 * A background pass run on a schedule and on demand, never twice at once in one process (a
 * request while one runs is dropped: the running pass or the next tick covers it). Failures are
 * logged, never thrown: a timer has no caller to throw to.
 */
export class PeriodicPass<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly what: string,
    private readonly logger: Logger,
    private readonly pass: (arg: T) => Promise<unknown>,
  ) {}

  start(intervalMs: number, arg: T): void {
    this.timer = setInterval(() => this.trigger(arg), intervalMs);
    this.timer.unref();
  }

  trigger(arg: T): void {
    this.running ??= this.pass(arg)
      .then(() => undefined)
      .catch((error: unknown) => this.logger.error(`${this.what} failed: ${(error as Error).message}`))
      .finally(() => (this.running = undefined));
  }

  /** Stops the schedule and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
