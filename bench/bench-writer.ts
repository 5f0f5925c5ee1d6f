import { MikroORM } from '@mikro-orm/postgresql';
import type { Queue } from 'bullmq';
import { AUDIT_ENTITIES, AuditMetrics, type AuditContextSnapshot } from 'audit-ledger';
import { resolveAuditOptions } from '#audit/audit-options';
import { AuditEventFactory } from '#audit/events/audit-event.factory';
import { AfterCommitPublisher } from '#audit/outbox/after-commit.publisher';
import { AuditQueueProducer } from '#audit/outbox/audit-queue.producer';
import { OutboxWriter } from '#audit/outbox/outbox.writer';
import type { SealJob } from '#audit/outbox/seal-job';
import { PersonalDataProtector } from '#audit/personal-data/personal-data.protector';
import { SubjectKeys } from '#audit/personal-data/subject-keys.service';
import { auditOptions } from '../src/audit-options.factory';
import { mikroOrmOptions } from '../src/database/mikro-orm.options';

/** The actor and source of every bench event. */
export const BENCH_CONTEXT: AuditContextSnapshot = {
  actor: { type: 'USER', id: 'bench', display: 'bench' },
  tenantId: null,
  source: { ip: '10.0.0.1', userAgent: 'bench', requestId: null, sessionId: null },
};

/** The library's write path on a bench database, as the example app configures it. */
export interface BenchWriter {
  orm: MikroORM;
  writer: OutboxWriter;
  factory: AuditEventFactory;
  producer: AuditQueueProducer;
  close(): Promise<void>;
}

/**
 * Migrates `url` as the worker would (the library's migrations, then the app's) and builds the
 * library's own write path on it: outbox writer, after-commit publisher, queue producer (the app's
 * rows, job ids and job options) enqueuing on `queue`.
 */
export async function openBenchWriter(url: string, queue: Queue<SealJob>): Promise<BenchWriter> {
  const config = mikroOrmOptions(url);
  const orm = await MikroORM.init({
    ...config,
    entities: AUDIT_ENTITIES,
    entitiesTs: undefined,
    migrations: { ...config.migrations, silent: true },
  });
  await orm.migrator.up();
  const options = resolveAuditOptions(auditOptions());
  const producer = new AuditQueueProducer(queue, options);
  const writer = new OutboxWriter(
    new AfterCommitPublisher(orm, orm, producer, new AuditMetrics()),
    new PersonalDataProtector(orm, new SubjectKeys(options), options),
  );
  return {
    orm,
    writer,
    factory: new AuditEventFactory(options),
    producer,
    close: async () => {
      await producer.onApplicationShutdown();
      await orm.close(true);
    },
  };
}
