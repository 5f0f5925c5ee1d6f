import { MikroORM } from '@mikro-orm/core';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AUDIT_QUEUE } from '../audit.constants';
import { ForwardCursors } from '../forwarding/forward-cursors';
import type { SealJob } from '../outbox/seal-job';
import { InjectAuditStore, outboxesOf } from '../storage/audit-store';

/**
 * Prometheus metrics of the audit pipeline, in a registry of their own (`registry`): expose it at
 * `/metrics`, or merge it into the app's (`Registry.merge`). One registry per module instance, so
 * several apps in one process never clash.
 */
@Injectable()
export class AuditMetrics {
  readonly registry = new Registry();
  /** Events committed (counted after their transaction commits). */
  readonly recorded = new Counter({
    name: 'audit_events_recorded_total',
    help: 'Audit events committed to the outbox',
    registers: [this.registry],
  });
  readonly sealed = new Counter({
    name: 'audit_events_sealed_total',
    help: 'Audit events sealed into the chains and the log',
    registers: [this.registry],
  });
  readonly sealingFailures = new Counter({
    name: 'audit_sealing_failures_total',
    help: 'Sealing job attempts that failed (retried, or parked as failed jobs)',
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'audit_events_dead_lettered_total',
    help: 'Events parked as dead letters after every attempt to seal them failed',
    registers: [this.registry],
  });
  readonly sealingLatency = new Histogram({
    name: 'audit_sealing_latency_seconds',
    help: 'Time from an event occurring to its being sealed',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  /** Events a forwarding sink acknowledged (a batch sent again after a failure counts again). */
  readonly forwarded = new Counter({
    name: 'audit_events_forwarded_total',
    help: 'Sealed events forwarded to a sink and acknowledged by it, by sink',
    labelNames: ['sink'],
    registers: [this.registry],
  });
  readonly forwardFailures = new Counter({
    name: 'audit_forward_failures_total',
    help: 'Batches a forwarding sink did not take (sent again after a backoff), by sink',
    labelNames: ['sink'],
    registers: [this.registry],
  });
  readonly verificationFailures = new Counter({
    name: 'audit_verification_failures_total',
    help: 'Trail verifications that found tampering, by first reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
}

/** The gauges of AuditMetrics, read from PostgreSQL and Redis at scrape time. */
@Injectable()
export class AuditGauges {
  constructor(
    metrics: AuditMetrics,
    orm: MikroORM,
    @InjectAuditStore() store: MikroORM,
    @InjectQueue(AUDIT_QUEUE) queue: Queue<SealJob>,
    cursors: ForwardCursors,
  ) {
    // Summed over every outbox (the app's, and a separate store's).
    const outboxGauge = (name: string, help: string, where: string) =>
      new Gauge({
        name,
        help,
        registers: [metrics.registry],
        async collect() {
          const counts = await Promise.all(
            outboxesOf(orm, store).map(async (knex) => {
              const rows = await knex.raw<{ rows: { n: number }[] }>(
                `select count(*)::int as n from audit.outbox where ${where}`,
              );
              return rows.rows[0].n;
            }),
          );
          this.set(counts.reduce((a, b) => a + b, 0));
        },
      });
    outboxGauge('audit_outbox_backlog', 'Committed events waiting to be sealed', 'true');
    outboxGauge(
      'audit_dead_letter_events',
      'Events parked as dead letters, waiting for an operator (alert when above 0)',
      'dead_lettered_at is not null',
    );
    new Gauge({
      name: 'audit_queue_jobs',
      help: 'Sealing jobs by state (failed: every attempt failed; the relay retries them)',
      labelNames: ['state'],
      registers: [metrics.registry],
      async collect() {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'audit_forward_lag_events',
      help: 'Sealed events a forwarding sink has not acknowledged yet (log size minus its cursor), by sink',
      labelNames: ['sink'],
      registers: [metrics.registry],
      async collect() {
        for (const [sink, lag] of await cursors.lag()) this.set({ sink }, lag);
      },
    });
  }
}
