import { MikroORM } from '@mikro-orm/core';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { AUDIT_OPTIONS, AUDIT_QUEUE } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import type { SealJob } from '../outbox/seal-job';
import { InjectAuditStore } from '../storage/audit-store';
import { outboxState } from '../storage/outbox-state.store';
import { within } from './within';
import { sqlOf } from '../storage/sql-session';
import { checkpointAgeMs } from '../storage/status.store';

/**
 * A terminus health indicator for the audit pipeline: down, with the reasons, when an event has
 * waited in the outbox too long (sealing stalled: Redis down, no worker), when an event is parked as
 * a dead letter, when a sealing job failed every attempt, when no checkpoint was cut for too long, or when
 * PostgreSQL or Redis does not answer within `health.probeTimeoutMs`. The details carry the figures
 * either way (null for a probe that did not answer).
 */
@Injectable()
export class AuditHealthIndicator {
  constructor(
    private readonly orm: MikroORM,
    @InjectAuditStore() private readonly store: MikroORM,
    @InjectQueue(AUDIT_QUEUE) private readonly queue: Queue<SealJob>,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly health: HealthIndicatorService,
  ) {}

  async check<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const timeoutMs = this.options.health.probeTimeoutMs;
    // Every probe is bounded: a dependency that does not answer is down, and the check still answers.
    const [outbox, checkpoint, queue] = await Promise.all([
      within(outboxState(this.orm, this.store), timeoutMs).catch(() => null),
      // Wrapped: no answer (null) differs from no checkpoint yet ({ ageMs: null }).
      within(
        checkpointAgeMs(sqlOf(this.store)).then((ageMs) => ({ ageMs })),
        timeoutMs,
      ).catch(() => null),
      this.queueCounts(timeoutMs),
    ]);
    const { maxOutboxAgeMs, maxCheckpointAgeMs } = this.options.health;
    const problems: string[] = [];
    if (outbox === null) problems.push(`PostgreSQL (the outbox) does not answer within ${timeoutMs} ms`);
    const oldestUnsealedMs = outbox?.oldestMs ?? null;
    if (oldestUnsealedMs !== null && oldestUnsealedMs > maxOutboxAgeMs) {
      problems.push(`the oldest unsealed event has waited ${Math.round(oldestUnsealedMs / 1000)} s`);
    }
    const deadLetters = outbox?.deadLetters ?? null;
    if (deadLetters) {
      problems.push(`${deadLetters} event(s) could not be sealed and are parked as dead letters`);
    }
    if (queue === null) problems.push(`Redis (the sealing queue) does not answer within ${timeoutMs} ms`);
    else if (queue.failed > 0) problems.push(`${queue.failed} sealing job(s) failed every attempt`);
    const lastCheckpointAgeMs = checkpoint?.ageMs ?? null;
    if (checkpoint === null) {
      problems.push(`PostgreSQL (the audit store) does not answer within ${timeoutMs} ms`);
    } else if (lastCheckpointAgeMs === null || lastCheckpointAgeMs > maxCheckpointAgeMs) {
      problems.push(
        lastCheckpointAgeMs === null
          ? 'no checkpoint yet'
          : `the last checkpoint is ${Math.round(lastCheckpointAgeMs / 1000)} s old`,
      );
    }
    const details = {
      outboxBacklog: outbox?.backlog ?? null,
      deadLetters,
      oldestUnsealedMs,
      lastCheckpointAgeMs,
      queue,
      problems,
    };
    const indicator = this.health.check(key);
    return problems.length ? indicator.down(details) : indicator.up(details);
  }

  private async queueCounts(timeoutMs: number) {
    try {
      // NOTE: while ioredis reconnects it queues the command instead of failing it: only the
      // timeout ends the wait.
      const counts = await within(
        this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
        timeoutMs,
      );
      return {
        waiting: counts.waiting,
        active: counts.active,
        delayed: counts.delayed,
        failed: counts.failed,
      };
    } catch {
      return null;
    }
  }
}
