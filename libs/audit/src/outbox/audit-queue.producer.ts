import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { AUDIT_OPTIONS, AUDIT_QUEUE } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { SEAL_JOB_EVENTS, type SealJob, type SealJobEvent } from './seal-job';

const SHUTDOWN_WAIT_MS = 5000;
/** At most one warning a minute while Redis is unreachable (ioredis retries every few hundred ms). */
const CONNECTION_WARNING_EVERY_MS = 60_000;
/**
 * Commits within this window share one sealing job. A job seals whatever is waiting, in batches,
 * so one per commit only adds BullMQ work (measured: about 0.4 ms of CPU per commit, the largest
 * cost @Auditable adds after the outbox insert); the window adds at most this to sealing latency.
 */
const COALESCE_MS = 5;

/**
 * Puts committed events on the sealing queue: one job for the events committed within
 * COALESCE_MS (up to SEAL_JOB_EVENTS events each). Job id = its first event's id, so enqueuing
 * twice is harmless. A failed enqueue is only logged: the events are safe in the outbox and the
 * relay re-enqueues them (as it does those of a process that dies within the window).
 */
@Injectable()
export class AuditQueueProducer implements OnApplicationShutdown {
  private readonly logger = new Logger(AuditQueueProducer.name);
  private readonly inFlight = new Set<Promise<void>>();
  private buffered: SealJobEvent[] = [];
  private sweepBuffered = false;
  private flush?: { timer: NodeJS.Timeout; done: Promise<void>; run: () => void };

  private lastConnectionWarning = 0;

  constructor(
    @InjectQueue(AUDIT_QUEUE) private readonly queue: Queue<SealJob>,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {
    // NOTE: without a listener BullMQ prints each connection error's stack to stderr, once per
    // reconnect attempt. One warning line a minute says it all: the events wait in the outbox.
    queue.on('error', (error: Error & { code?: string }) => {
      const now = Date.now();
      if (now - this.lastConnectionWarning < CONNECTION_WARNING_EVERY_MS) return;
      this.lastConnectionWarning = now;
      this.logger.warn(
        `Redis (the sealing queue) does not answer (${error.code ?? error.name}): committed events wait in the outbox and are sealed once it is back`,
      );
    });
  }

  /** Queues committed events; resolves once the job holding them is added (or failed to be). */
  enqueueCommitted(events: SealJobEvent[]): Promise<void> {
    this.buffered.push(...events);
    return this.schedule();
  }

  /** Queues one sweep job (coalesced like committed events): rows the database captured wait. */
  enqueueSweep(): Promise<void> {
    this.sweepBuffered = true;
    return this.schedule();
  }

  private schedule(): Promise<void> {
    if (this.flush) return this.flush.done;
    let run!: () => void;
    const done = new Promise<void>((resolve) => {
      run = () => {
        clearTimeout(timer);
        this.flush = undefined;
        const waiting = this.buffered;
        this.buffered = [];
        const jobs: SealJob[] = [];
        for (let i = 0; i < waiting.length; i += SEAL_JOB_EVENTS)
          jobs.push({ events: waiting.slice(i, i + SEAL_JOB_EVENTS) });
        if (this.sweepBuffered) jobs.push({ events: [], sweep: true });
        this.sweepBuffered = false;
        resolve(this.enqueue(jobs));
      };
    });
    const timer = setTimeout(run, COALESCE_MS);
    this.flush = { timer, done, run };
    return done;
  }

  private enqueue(jobs: SealJob[]): Promise<void> {
    const pending = this.queue
      .addBulk(
        jobs.map((data) => ({
          name: 'seal',
          data,
          opts: {
            jobId: data.events[0]?.eventId ?? `sweep-${uuidv7()}`,
            attempts: this.options.jobAttempts,
            backoff: { type: 'exponential', delay: this.options.jobBackoffMs },
            removeOnComplete: { count: 1000 },
            removeOnFail: { count: 10000 },
          },
        })),
      )
      .then(
        () => undefined,
        (error: unknown) =>
          this.logger.warn(
            `Could not enqueue ${jobs.reduce((n, j) => n + j.events.length, 0)} audit event(s)` +
              `${jobs.some((j) => j.sweep) ? ' and a sweep' : ''}; ` +
              `the outbox relay will retry: ${String(error)}`,
          ),
      )
      .finally(() => this.inFlight.delete(pending));
    this.inFlight.add(pending);
    return pending;
  }

  /**
   * Re-enqueues events still in the outbox (the relay, a dead letter's retry), one job each, with
   * the event's id: a job that already failed for good (attempts or stalls exhausted, e.g. workers
   * killed mid-job) is retried, since its id would make a plain add a no-op; a job that completed
   * without sealing its event (its entity was blocked by a dead letter) is replaced; a missing job
   * is added. An event whose transaction's job (named after another event) still waits gets a job
   * of its own too: harmless, the first of the two to run finds it sealed.
   */
  async requeue(events: SealJobEvent[]): Promise<void> {
    const missing: SealJob[] = [];
    for (const event of events) {
      const job = await this.queue.getJob(event.eventId);
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed') await job!.retry('failed');
      else if (state === 'completed') await job!.remove();
      if (state === 'completed' || state === 'missing') missing.push({ events: [event] });
    }
    if (missing.length > 0) await this.enqueue(missing);
  }

  /** Waits for pending enqueues, at most 5 s: with Redis down they would never end, and the relay covers them. */
  async onApplicationShutdown(): Promise<void> {
    this.flush?.run();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS)));
    await Promise.race([Promise.all(this.inFlight), limit]);
    clearTimeout(timer);
  }
}
