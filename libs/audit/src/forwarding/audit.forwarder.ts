import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { SinkDeliveryFailedError } from '../errors/sink-delivery-failed.error';
import type { SealedAuditEvent } from '../events/audit-event';
import { toEcsDocument } from '../export/ecs-document';
import { AuditMetrics } from '../metrics/audit-metrics.service';
import { PeriodicPass } from '../sealing/periodic-pass';
import { InjectAuditStore } from '../storage/audit-store';
import { findEventRows } from '../storage/event-rows.store';
import { toSealedEvent } from '../storage/sealed-event.mapper';
import type { AuditEventSink } from './audit-event-sink';
import { ForwardCursors } from './forward-cursors.service';
import { retryDelay } from './retry-policy';
import { sqlOf } from '../storage/sql-session';
import { lockForwardCursor, moveForwardCursor } from '../storage/forward-cursor.store';

/** One sink's loop and its backoff state in this process. */
interface Lane {
  sink: AuditEventSink;
  pass: PeriodicPass<Lane>;
  /** Failed attempts in a row. */
  failures: number;
  /** No attempt before this time (ms since the epoch). */
  retryAt: number;
}

/**
 * Forwards sealed events to the configured sinks, each in `global_seq` order, at least once.
 * One batch is one transaction on the store: lock the sink's cursor row (`for update skip
 * locked`: a worker that finds it locked leaves the sink to the one holding it), read the next
 * events after it, `send` them, move the cursor to the last one, commit. So at most one worker
 * sends to a sink at a time, batches never interleave, and the cursor moves only once the sink
 * took the batch: a crash or a failed send loses nothing and repeats at most that batch.
 * Each sink runs its own loop (a slow or failing sink holds up no other): every
 * `forwarding.intervalMs`, and at once when this process sealed something. A failed batch is
 * sent again after a backoff (`retryDelay`); events are never skipped, except a range of
 * `global_seq` no longer in the store (archived), which is logged as a gap.
 */
@Injectable()
export class AuditForwarder {
  private readonly logger = new Logger(AuditForwarder.name);
  private readonly lanes: Lane[];
  private stopping = false;

  constructor(
    @InjectAuditStore() private readonly store: MikroORM,
    private readonly cursors: ForwardCursors,
    private readonly metrics: AuditMetrics,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {
    this.lanes = options.forwarding.sinks.map((sink) => ({
      sink,
      failures: 0,
      retryAt: 0,
      pass: new PeriodicPass<Lane>(`Forwarding to sink ${sink.name}`, this.logger, (lane) =>
        this.drain(lane),
      ),
    }));
  }

  /** Creates the cursors of new sinks and starts every sink's loop (worker processes). */
  async start(): Promise<void> {
    if (this.lanes.length === 0) return;
    this.stopping = false;
    for (const { sink } of this.lanes) await this.cursors.ensure(sink.name);
    for (const lane of this.lanes) lane.pass.start(this.options.forwarding.intervalMs, lane);
    this.trigger();
  }

  /** Wakes every sink's loop (after this process sealed events); a loop running already carries on. */
  trigger(): void {
    for (const lane of this.lanes) lane.pass.trigger(lane);
  }

  /** Stops the loops (a batch in flight is finished or failed first), then closes the sinks. */
  async stop(): Promise<void> {
    if (this.lanes.length === 0) return;
    this.stopping = true;
    await Promise.all(this.lanes.map((lane) => lane.pass.stop()));
    for (const { sink } of this.lanes) {
      await sink.close?.().catch((error: unknown) => {
        this.logger.warn(`Closing sink ${sink.name} failed: ${(error as Error).message}`);
      });
    }
  }

  /** Sends batches until the sink is caught up, a send fails, or another worker holds the sink. */
  private async drain(lane: Lane): Promise<void> {
    if (Date.now() < lane.retryAt) {
      // NOTE: a pass recreates a deleted cursor row (forwardBatch); one in backoff must too, or
      // archival would see no sink waiting until the next attempt.
      await this.cursors.ensure(lane.sink.name).catch(() => undefined);
      return;
    }
    while (!this.stopping) {
      let sent: number | null;
      try {
        sent = await this.forwardBatch(lane.sink);
      } catch (error) {
        this.failed(lane, error);
        return;
      }
      if (lane.failures > 0) {
        this.logger.log(`Sink ${lane.sink.name} took its batch after ${lane.failures} failed attempt(s)`);
        lane.failures = 0;
      }
      if (sent === null || sent < this.options.forwarding.batchSize) return;
    }
  }

  /**
   * One batch under the sink's cursor lock; returns how many events the sink took, or null when
   * another worker holds the sink now.
   */
  private async forwardBatch(sink: AuditEventSink): Promise<number | null> {
    const db = sqlOf(this.store);
    const sent = await db.transaction(async (trx) => {
      const after = await lockForwardCursor(trx, sink.name);
      if (after === null) {
        // Locked by another worker, or the row was deleted to start the sink again.
        await this.cursors.ensure(sink.name, trx);
        return null;
      }
      const rows = await findEventRows(
        this.store.em.fork() as EntityManager,
        { globalSeq: { $gt: String(after) } },
        { orderBy: { globalSeq: 'asc' }, limit: this.options.forwarding.batchSize },
      );
      if (rows.length === 0) return 0;
      const events = rows.map(toSealedEvent);
      this.reportGaps(sink.name, after, events);
      await sink.send(events.map(toEcsDocument));
      await moveForwardCursor(trx, sink.name, events[events.length - 1].globalSeq);
      return events.length;
    });
    if (sent) this.metrics.forwarded.inc({ sink: sink.name }, sent);
    return sent;
  }

  /**
   * `global_seq` has no gaps as sealed (sealing commits in log order), so a missing range was
   * removed from the store since: archived. It cannot be forwarded from here; say so and go on.
   */
  private reportGaps(sink: string, after: number, events: SealedAuditEvent[]): void {
    let expected = after + 1;
    for (const { globalSeq } of events) {
      if (globalSeq !== expected) {
        this.logger.warn(
          `AUDIT_FORWARD_GAP: events ${expected}…${globalSeq - 1} are no longer in audit.events ` +
            `(archived?): sink ${sink} goes on from ${globalSeq} without them`,
        );
      }
      expected = globalSeq + 1;
    }
  }

  private failed(lane: Lane, error: unknown): void {
    lane.failures++;
    const delay = retryDelay(error, lane.failures, this.options.forwarding.retry);
    lane.retryAt = Date.now() + delay;
    this.metrics.forwardFailures.inc({ sink: lane.sink.name });
    const message = (error as Error).message ?? String(error);
    if (error instanceof SinkDeliveryFailedError && !error.retryable) {
      this.logger.error(
        `AUDIT_FORWARD_REJECTED: sink ${lane.sink.name} refused a batch (${message}); nothing is skipped: ` +
          `retrying every ${delay} ms until its configuration or the receiver is fixed`,
      );
    } else {
      this.logger.warn(
        `Forwarding to sink ${lane.sink.name} failed (attempt ${lane.failures}): ${message}; retrying in ${delay} ms`,
      );
    }
  }
}
