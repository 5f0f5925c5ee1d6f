import { MikroORM, type EventSubscriber, type TransactionEventArgs } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '../events/audit-event';
import { AuditMetrics } from '../metrics/audit-metrics.service';
import { InjectAuditStore } from '../storage/audit-store';
import { AuditQueueProducer } from './audit-queue.producer';
import type { SealJobEvent } from './seal-job';

import { rootTransaction, trackTransaction } from './transaction-root';

type Transaction = object;

/**
 * Holds the events written in a transaction until its outermost transaction commits, then
 * enqueues them; a rollback discards them (their outbox rows are gone too).
 */
@Injectable()
export class AfterCommitPublisher implements EventSubscriber {
  private readonly pending = new WeakMap<Transaction, AuditEvent[]>();
  /** Transactions whose captured rows (ids unknown to the app) a sweep job should seal after commit. */
  private readonly sweeps = new WeakSet<Transaction>();

  constructor(
    orm: MikroORM,
    @InjectAuditStore() store: MikroORM,
    private readonly producer: AuditQueueProducer,
    private readonly metrics: AuditMetrics,
  ) {
    // NOTE: registered before any request or transaction forks the EntityManager; forks copy
    // subscribers. A separate store has its own outbox (key lifecycle events), hence both.
    for (const connection of new Set([orm, store])) connection.em.getEventManager().registerSubscriber(this);
  }

  /** Publishes `events` after `trx` (or its outermost transaction) commits; at once without one. */
  publishAfterCommit(trx: Transaction | undefined, events: AuditEvent[]): void {
    if (!trx) {
      this.metrics.recorded.inc(events.length);
      void this.producer.enqueueCommitted(events.map(toJob));
      return;
    }
    const root = rootTransaction(trx);
    const list = this.pending.get(root);
    if (list) list.push(...events);
    else this.pending.set(root, [...events]);
  }

  /** After `trx` commits, a job that seals whatever waits (the rows its capture trigger wrote). */
  sweepAfterCommit(trx: Transaction | undefined): void {
    if (trx) this.sweeps.add(rootTransaction(trx));
    else void this.producer.enqueueSweep();
  }

  /** Runs before any other subscriber of the library (they inject this one): files savepoints under their root. */
  async afterTransactionStart(args: TransactionEventArgs): Promise<void> {
    if (args.transaction) await trackTransaction(args.transaction);
  }

  afterTransactionCommit(args: TransactionEventArgs): void {
    if (args.transaction && this.sweeps.has(args.transaction)) {
      this.sweeps.delete(args.transaction);
      void this.producer.enqueueSweep();
    }
    const events = args.transaction && this.pending.get(args.transaction);
    if (!events) return;
    this.pending.delete(args.transaction);
    this.metrics.recorded.inc(events.length);
    // Not awaited: the business call must not wait on Redis; the relay covers a lost enqueue.
    void this.producer.enqueueCommitted(events.map(toJob));
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (args.transaction) this.sweeps.delete(args.transaction);
    if (args.transaction) this.pending.delete(args.transaction);
  }

  getSubscribedEntities(): [] {
    return [];
  }
}

const toJob = (e: AuditEvent): SealJobEvent => ({
  eventId: e.id,
  entityType: e.entityType,
  entityId: e.entityId,
});
