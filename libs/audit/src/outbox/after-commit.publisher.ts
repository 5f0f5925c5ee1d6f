import { MikroORM, type EventSubscriber, type TransactionEventArgs } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '../events/audit-event';
import { AuditMetrics } from '../metrics/audit-metrics';
import { InjectAuditStore } from '../storage/audit-store';
import { AuditQueueProducer } from './audit-queue.producer';
import type { SealJobEvent } from './seal-job';

type Transaction = object;

// MikroORM's knex connection links a savepoint to its parent under this symbol; no public API
// exposes the root transaction, and the commit hooks fire only for the root.
const PARENT_DESCRIPTION = 'parentTransaction';

function rootTransaction(trx: Transaction): Transaction {
  let current = trx as Record<symbol, Transaction>;
  for (;;) {
    const parent = Object.getOwnPropertySymbols(current).find((s) => s.description === PARENT_DESCRIPTION);
    if (!parent) return current;
    current = current[parent] as Record<symbol, Transaction>;
  }
}

/**
 * Holds the events written in a transaction until its outermost transaction commits, then
 * enqueues them; a rollback discards them (their outbox rows are gone too).
 */
@Injectable()
export class AfterCommitPublisher implements EventSubscriber {
  private readonly pending = new WeakMap<Transaction, AuditEvent[]>();

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

  afterTransactionCommit(args: TransactionEventArgs): void {
    const events = args.transaction && this.pending.get(args.transaction);
    if (!events) return;
    this.pending.delete(args.transaction);
    this.metrics.recorded.inc(events.length);
    // Not awaited: the business call must not wait on Redis; the relay covers a lost enqueue.
    void this.producer.enqueueCommitted(events.map(toJob));
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
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
