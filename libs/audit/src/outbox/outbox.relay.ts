import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { AuditQueueProducer } from './audit-queue.producer';
import { InjectAuditStore, outboxesOf } from '../storage/audit-store';
import { PeriodicPass } from '../sealing/periodic-pass';
import { relayableRows } from '../storage/outbox.store';
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
    const rows = await relayableRows(db, graceMs, this.options.relay.batchSize);
    if (rows.length === 0) return 0;
    // One sweep seals the backlog in batches (rows captured outside the app have no job at all);
    // the per-event jobs after it find their events sealed, or count a poison event's attempts.
    await this.producer.enqueueSweep();
    await this.producer.requeue(
      rows.map((r) => ({ eventId: r.id, entityType: r.entity_type, entityId: r.entity_id })),
    );
    return rows.length;
  }
}
