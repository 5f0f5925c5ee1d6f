import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import type { PoisonEventError } from '../errors/poison-event.error';
import { AuditMetrics } from '../metrics/audit-metrics.service';
import { InjectAuditStore, outboxesOf } from '../storage/audit-store';
import { AuditQueueProducer } from './audit-queue.producer';
import type { DeadLetter } from './dead-letter';
import type { SealJobEvent } from './seal-job';
import {
  countSealingFailure,
  parkedEvents,
  unparkEvent,
  type FailureCount,
} from '../storage/dead-letter.store';
import type { SqlSession } from '../storage/sql-session';

export type { FailureCount } from '../storage/dead-letter.store';

/**
 * Poison events: outbox events the worker cannot seal (PoisonEventError). Each failed attempt is
 * counted on the outbox row; after `deadLetter.maxAttempts` the row is parked (dead-lettered),
 * with an error log, the `audit_events_dead_lettered_total` metric, the `onDeadLetter` hook and a
 * down health check. Nothing is dropped: the row stays in the outbox until it is sealed.
 *
 * Policy for the rest of the chain: BLOCK. The entity's later events stay in the outbox, in
 * order, until the poison event is sealed; a chain never skips an event it would have to insert
 * later out of order. Other entities are not affected. Fix the cause, then `retry(eventId)`.
 */
@Injectable()
export class AuditDeadLetters {
  private readonly logger = new Logger(AuditDeadLetters.name);

  constructor(
    private readonly orm: MikroORM,
    @InjectAuditStore() private readonly store: MikroORM,
    private readonly producer: AuditQueueProducer,
    private readonly metrics: AuditMetrics,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /** The app's outbox, and a separate store's (the library's own events wait there). */
  private get outboxes() {
    return outboxesOf(this.orm, this.store);
  }

  /**
   * @internal Counts a failed sealing attempt against the event that failed, on the connection
   * holding its outbox row, and parks it at `deadLetter.maxAttempts`. The sealer calls this while
   * it holds the entity's chain-head lock, so an entity's attempts are counted one at a time and
   * none is counted against an event parked meanwhile (nor against the event behind it). Returns
   * the count, or undefined when the event is parked already. Announce a park with
   * `announceParked` once the sealing transaction has committed.
   */
  async countFailure(
    outbox: SqlSession,
    eventId: string,
    error: PoisonEventError,
  ): Promise<FailureCount | undefined> {
    return countSealingFailure(outbox, eventId, error.message, this.options.deadLetter.maxAttempts);
  }

  /** @internal Raises the alerts for an event `countFailure` parked: log, metric, `onDeadLetter` hook. */
  async announceParked(entity: SealJobEvent, attempts: number, error: PoisonEventError): Promise<void> {
    this.metrics.deadLettered.inc();
    this.logger.error(
      `AUDIT_DEAD_LETTER event ${entity.eventId} (${entity.entityType} ${entity.entityId}) parked after ` +
        `${attempts} attempts; later events of this entity wait behind it. ${error.message}`,
    );
    const [letter] = await this.list({ eventId: entity.eventId });
    if (letter) this.options.deadLetter.onDeadLetter(letter);
  }

  /** The parked events, oldest first. */
  async list(filter: { eventId?: string } = {}): Promise<DeadLetter[]> {
    const results = await Promise.all(this.outboxes.map((db) => parkedEvents(db, filter.eventId)));
    return results.flat().map((r) => ({
      eventId: r.id,
      entityType: r.entity_type,
      entityId: r.entity_id,
      attempts: r.attempts,
      lastError: r.last_error,
      deadLetteredAt: new Date(r.dead_lettered_at),
      blockedEvents: r.blocked,
    }));
  }

  /**
   * Unparks an event once its cause is fixed and queues its entity for sealing again: it gets
   * `deadLetter.maxAttempts` fresh attempts. Returns false when no such event is parked.
   */
  async retry(eventId: string): Promise<boolean> {
    const results = await Promise.all(this.outboxes.map((db) => unparkEvent(db, eventId)));
    const row = results.find((r) => r !== undefined);
    if (!row) return false;
    this.logger.warn(`Dead-lettered event ${eventId} (${row.entity_type} ${row.entity_id}) queued again`);
    await this.producer.requeue([{ eventId, entityType: row.entity_type, entityId: row.entity_id }]);
    return true;
  }
}
