import { MikroORM } from '@mikro-orm/core';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AUDIT_OPTIONS, AUDIT_QUEUE } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { within } from '../health/within';
import { ForwardCursors } from '../forwarding/forward-cursors.service';
import type { SealJob } from '../outbox/seal-job';
import { InjectAuditStore } from '../storage/audit-store';
import { outboxState } from '../storage/outbox-state.store';

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

/**
 * The gauges of AuditMetrics, read from PostgreSQL and Redis at scrape time. A source that does
 * not answer within `health.probeTimeoutMs` keeps its gauges at their last values and sets its
 * `audit_*_up` gauge to 0, so a scrape during an outage answers at once and says which figures
 * are stale.
 */
@Injectable()
export class AuditGauges {
  constructor(
    metrics: AuditMetrics,
    orm: MikroORM,
    @InjectAuditStore() store: MikroORM,
    @InjectQueue(AUDIT_QUEUE) queue: Queue<SealJob>,
    cursors: ForwardCursors,
    @Inject(AUDIT_OPTIONS) options: ResolvedAuditOptions,
  ) {
    const timeoutMs = options.health.probeTimeoutMs;
    // Each source read once per scrape (prom-client collects every gauge at once), each bounded:
    // a source that does not answer is null, and its gauges keep their last values.
    const read = async () => {
      const [outbox, lag, queueJobs] = await Promise.all([
        within(outboxState(orm, store), timeoutMs).catch(() => null),
        within(cursors.lag(), timeoutMs).catch(() => null),
        // NOTE: while ioredis reconnects it queues the command: only the timeout ends the wait.
        within(queue.getJobCounts('waiting', 'active', 'delayed', 'failed'), timeoutMs).catch(() => null),
      ]);
      return { outbox, lag, queueJobs };
    };
    let scrape: ReturnType<typeof read> | undefined;
    const sample = () =>
      (scrape ??= read().finally(() => {
        scrape = undefined;
      }));
    const gauge = (
      name: string,
      help: string,
      set: (g: Gauge, s: Awaited<ReturnType<typeof read>>) => void,
      labelNames: string[] = [],
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [metrics.registry],
        async collect() {
          set(this, await sample());
        },
      });
    gauge(
      'audit_store_up',
      'Whether PostgreSQL answered the last scrape (0: the outbox, dead-letter and forward-lag gauges show their last known values)',
      (g, s) => g.set(s.outbox && s.lag ? 1 : 0),
    );
    gauge(
      'audit_queue_up',
      'Whether Redis answered the last scrape (0: audit_queue_jobs shows its last known values)',
      (g, s) => g.set(s.queueJobs ? 1 : 0),
    );
    gauge('audit_outbox_backlog', 'Committed events waiting to be sealed', (g, s) => {
      if (s.outbox) g.set(s.outbox.backlog);
    });
    gauge(
      'audit_dead_letter_events',
      'Events parked as dead letters, waiting for an operator (alert when above 0)',
      (g, s) => {
        if (s.outbox) g.set(s.outbox.deadLetters);
      },
    );
    gauge(
      'audit_queue_jobs',
      'Sealing jobs by state (failed: every attempt failed; the relay retries them)',
      (g, s) => {
        for (const [state, n] of Object.entries(s.queueJobs ?? {})) g.set({ state }, n);
      },
      ['state'],
    );
    gauge(
      'audit_forward_lag_events',
      'Sealed events a forwarding sink has not acknowledged yet (log size minus its cursor), by sink',
      (g, s) => {
        for (const [sink, lag] of s.lag ?? []) g.set({ sink }, lag);
      },
      ['sink'],
    );
  }
}
