import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { AuditQueueProducer } from '../outbox/audit-queue.producer';
import { InjectAuditStore, outboxesOf } from '../storage/audit-store';
import { PeriodicPass } from './periodic-pass';
import { type SqlSession } from '../storage/sql-session';

/**
 * Re-enqueues outbox rows still unsealed after a grace period: covers an enqueue lost to a Redis
 * outage or a crash between commit and enqueue. Jobs keep the event id as job id, so a row whose
 * job is still queued is not queued twice.
 */
@Injectable()
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly schedule = new PeriodicPass<void>('Outbox relay pass', this.logger, () =>
    this.relayOnce(),
  );

  constructor(
    private readonly orm: MikroORM,
    @InjectAuditStore() private readonly store: MikroORM,
    private readonly producer: AuditQueueProducer,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  start(): void {
    this.schedule.start(this.options.relay.intervalMs, undefined);
  }

  stop(): Promise<void> {
    return this.schedule.stop();
  }

  /** One pass; returns how many rows were re-enqueued. */
  async relayOnce(graceMs = this.options.relay.graceMs): Promise<number> {
    let relayed = 0;
    for (const outbox of outboxesOf(this.orm, this.store)) relayed += await this.relayFrom(outbox, graceMs);
    return relayed;
  }

  private async relayFrom(db: SqlSession, graceMs: number): Promise<number> {
    const result = await db.raw<{ rows: { id: string; entity_type: string; entity_id: string }[] }>(
      // Entities blocked by a dead letter wait for its retry (AuditDeadLetters), not for the relay.
      `select id, entity_type, entity_id from audit.outbox o
       where created_at < now() - make_interval(secs => ?)
         and not exists (select 1 from audit.outbox d where d.entity_type = o.entity_type
                         and d.entity_id = o.entity_id and d.dead_lettered_at is not null)
       order by seq limit ?`,
      [graceMs / 1000, this.options.relay.batchSize],
    );
    if (result.rows.length === 0) return 0;
    // One sweep seals the backlog in batches (rows captured outside the app have no job at all);
    // the per-event jobs after it find their events sealed, or count a poison event's attempts.
    await this.producer.enqueueSweep();
    await this.producer.requeue(
      result.rows.map((r) => ({ eventId: r.id, entityType: r.entity_type, entityId: r.entity_id })),
    );
    return result.rows.length;
  }
}
