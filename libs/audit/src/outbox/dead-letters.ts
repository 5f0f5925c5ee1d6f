import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import type { PoisonEventError } from '../errors/poison-event.error';
import { AuditMetrics } from '../metrics/audit-metrics';
import { InjectAuditStore, outboxesOf } from '../storage/audit-store';
import { AuditQueueProducer } from './audit-queue.producer';
import type { DeadLetter } from './dead-letter';

interface DeadLetterRow {
  id: string;
  entity_type: string;
  entity_id: string;
  attempts: number;
  last_error: string;
  dead_lettered_at: Date;
  blocked: number;
}

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
   * Counts a failed attempt against the entity's oldest unsealed event (the one that failed: the
   * sealer seals one event at a time to find it). Returns true when that parked it.
   */
  async recordFailure(entityType: string, entityId: string, error: PoisonEventError): Promise<boolean> {
    const results = await Promise.all(
      this.outboxes.map((knex) =>
        knex.raw<{ rows: { id: string; attempts: number; parked: boolean }[] }>(
          `update audit.outbox set attempts = attempts + 1, last_error = ?,
             dead_lettered_at = case when attempts + 1 >= ? then now() end
           where id = (select id from audit.outbox where entity_type = ? and entity_id = ?
                       and dead_lettered_at is null order by seq limit 1)
           returning id, attempts, dead_lettered_at is not null as parked`,
          [error.message, this.options.deadLetter.maxAttempts, entityType, entityId],
        ),
      ),
    );
    const row = results.flatMap((r) => r.rows)[0];
    if (!row?.parked) return false;
    this.metrics.deadLettered.inc();
    this.logger.error(
      `AUDIT_DEAD_LETTER event ${row.id} (${entityType} ${entityId}) parked after ${row.attempts} attempts; ` +
        `later events of this entity wait behind it. ${error.message}`,
    );
    const [letter] = await this.list({ eventId: row.id });
    if (letter) this.options.deadLetter.onDeadLetter(letter);
    return true;
  }

  /** The parked events, oldest first. */
  async list(filter: { eventId?: string } = {}): Promise<DeadLetter[]> {
    const results = await Promise.all(
      this.outboxes.map((knex) =>
        knex.raw<{ rows: DeadLetterRow[] }>(
          `select d.id, d.entity_type, d.entity_id, d.attempts, d.last_error, d.dead_lettered_at,
             (select count(*)::int from audit.outbox o where o.entity_type = d.entity_type
                and o.entity_id = d.entity_id and o.seq > d.seq) as blocked
           from audit.outbox d where d.dead_lettered_at is not null ${filter.eventId ? 'and d.id = ?' : ''}
           order by d.seq`,
          filter.eventId ? [filter.eventId] : [],
        ),
      ),
    );
    return results
      .flatMap((result) => result.rows)
      .map((r) => ({
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
    const results = await Promise.all(
      this.outboxes.map((knex) =>
        knex.raw<{ rows: { entity_type: string; entity_id: string }[] }>(
          `update audit.outbox set dead_lettered_at = null, attempts = 0
           where id = ? and dead_lettered_at is not null returning entity_type, entity_id`,
          [eventId],
        ),
      ),
    );
    const row = results.flatMap((r) => r.rows)[0];
    if (!row) return false;
    this.logger.warn(`Dead-lettered event ${eventId} (${row.entity_type} ${row.entity_id}) queued again`);
    await this.producer.requeue([{ eventId, entityType: row.entity_type, entityId: row.entity_id }]);
    return true;
  }
}
