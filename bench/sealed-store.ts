import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MikroORM } from '@mikro-orm/postgresql';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import {
  AUDIT_ENTITIES,
  AUDIT_QUEUE,
  AuditMetrics,
  type AuditContextSnapshot,
  type AuditEvent,
  type JsonObject,
} from '../libs/audit/src';
import { resolveAuditOptions } from '../libs/audit/src/audit-options';
import { AuditEventFactory } from '../libs/audit/src/events/audit-event.factory';
import { AfterCommitPublisher } from '../libs/audit/src/outbox/after-commit.publisher';
import { AuditQueueProducer } from '../libs/audit/src/outbox/audit-queue.producer';
import { OutboxWriter } from '../libs/audit/src/outbox/outbox.writer';
import { PersonalDataProtector } from '../libs/audit/src/personal-data/personal-data.protector';
import { SubjectKeys } from '../libs/audit/src/personal-data/subject-keys';
import { auditOptions } from '../src/audit-options.factory';
import { loadAppConfig } from '../src/config/app-config';
import { mikroOrmOptions } from '../src/database/mikro-orm.options';
import { createBenchDatabase } from './bench-database';
import { startWorker, type BenchWorker } from './worker-process';

/** The entity type of every backlog event; `untilSealed` counts only these. */
export const BACKLOG_ENTITY_TYPE = 'BenchRecord';
const EVENTS_PER_TRANSACTION = 1000;
const POLL_MS = 100;
const SEAL_TIMEOUT_MS = 10 * 60_000;
const CONTEXT: AuditContextSnapshot = {
  actor: { type: 'USER', id: 'bench', display: 'bench' },
  tenantId: null,
  source: { ip: '10.0.0.1', userAgent: 'bench', requestId: null, sessionId: null },
};

/** A store `withSealedBacklog` built: its environment (for workers and the CLI) and the sealing time. */
export interface SealedBacklog {
  url: string;
  env: Record<string, string>;
  /** From resuming the queue until every backlog event was sealed. */
  seconds: number;
}

/** A backlog: `total` events over `entities` records; event i updates record `recordOf(i)` (default i % entities). */
export interface BacklogShape {
  total: number;
  entities: number;
  recordOf?: (i: number) => number;
}

/**
 * A database and a queue prefix of their own, `total` events over `entities` records committed
 * into a paused queue, then sealed by `workers` processes. Pausing keeps worker start-up (migration
 * check, key activation, Nest bootstrap) and the seeding out of `seconds`, and no process gets a
 * head start. `use` runs while the workers are still up; everything is dropped afterwards.
 */
export async function withSealedBacklog<T>(
  run: BacklogShape & { workers: number },
  use: (store: SealedBacklog) => Promise<T>,
): Promise<T> {
  const db = await createBenchDatabase();
  const dir = await mkdtemp(join(tmpdir(), `${db.name}-`));
  const { redisUrl } = loadAppConfig();
  const queue = new Queue(AUDIT_QUEUE, { connection: { url: redisUrl }, prefix: db.name });
  const client = new Client({ connectionString: db.url });
  const running: BenchWorker[] = [];
  try {
    await queue.pause();
    await seedBacklog(db.url, queue, run);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      AUDIT_QUEUE_PREFIX: db.name,
      AUDIT_KEY_DIR: join(dir, 'keys'),
      AUDIT_WITNESS_DIR: join(dir, 'witness'),
    };
    const started = await Promise.allSettled(Array.from({ length: run.workers }, () => startWorker(env)));
    for (const s of started) if (s.status === 'fulfilled') running.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    await client.connect();
    const start = process.hrtime.bigint();
    await queue.resume();
    await untilSealed(client, run.total, running);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return await use({ url: db.url, env, seconds });
  } finally {
    await Promise.all(running.map((w) => w.stop()));
    await client.end();
    await queue.obliterate({ force: true });
    await queue.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Migrates as the worker would (the library's migrations, then the app's), then writes the events
 * through the library's own write path (outbox writer, after-commit publisher, queue producer: the
 * app's rows, job ids and job options), 1,000 per transaction; event i updates record `recordOf(i)`.
 */
async function seedBacklog(
  url: string,
  queue: Queue,
  { total, entities, recordOf = (i) => i % entities }: BacklogShape,
): Promise<void> {
  const config = mikroOrmOptions(url);
  const orm = await MikroORM.init({
    ...config,
    entities: AUDIT_ENTITIES,
    migrations: { ...config.migrations, silent: true },
  });
  try {
    await orm.getMigrator().up();
    const options = resolveAuditOptions(auditOptions());
    const producer = new AuditQueueProducer(queue, options);
    const writer = new OutboxWriter(
      new AfterCommitPublisher(orm, orm, producer, new AuditMetrics()),
      new PersonalDataProtector(orm, new SubjectKeys(options), options),
    );
    const factory = new AuditEventFactory(options);
    const states: (JsonObject | null)[] = new Array<null>(entities).fill(null);
    for (let from = 0; from < total; from += EVENTS_PER_TRANSACTION) {
      const events: AuditEvent[] = [];
      for (let i = from; i < Math.min(total, from + EVENTS_PER_TRANSACTION); i++) {
        const record = recordOf(i);
        const before = states[record];
        const after = { id: `r${record}`, tenantId: `t${record % 3}`, email: `r${record}.${i}@example.test` };
        const action = before ? 'UPDATE' : 'CREATE';
        events.push(
          factory.forEntity(
            { action, entityType: BACKLOG_ENTITY_TYPE, entityId: `r${record}`, before, after },
            { ...CONTEXT, tenantId: `t${record % 3}` },
          ),
        );
        states[record] = after;
      }
      await orm.em.fork().transactional((em) => writer.write(em, events));
      // The publisher enqueues after commit without waiting for Redis; this waits for it.
      await producer.onApplicationShutdown();
    }
  } finally {
    await orm.close(true);
  }
  const jobs = Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
  if (jobs !== total) throw new Error(`${jobs} sealing jobs queued for ${total} events`);
}

/**
 * Polls until no backlog event is left in the outbox and all are sealed (no more: no drift events).
 * NOTE: only the backlog's own rows count. The KEY_ROTATED event of the first worker's key is
 * enqueued behind the backlog's jobs, and with one job per event a record's first job seals all its
 * pending events and its later ones find nothing: the outbox empties only once the queue drains.
 */
async function untilSealed(client: Client, total: number, workers: BenchWorker[]): Promise<void> {
  const deadline = Date.now() + SEAL_TIMEOUT_MS;
  for (;;) {
    const { rows } = await client.query<{ pending: number; sealed: number }>(
      `select (select count(*)::int from audit.outbox where entity_type = $1) as pending,
              (select count(*)::int from audit.events where entity_type = $1) as sealed`,
      [BACKLOG_ENTITY_TYPE],
    );
    const { pending, sealed } = rows[0];
    if (pending === 0 && sealed === total) return;
    const stopped = workers.find((w) => !w.running());
    if (pending === 0 || stopped || Date.now() > deadline) {
      throw new Error(
        `${sealed} of ${total} events sealed, ${pending} pending` +
          (stopped ? `; a worker exited:\n${stopped.output()}` : ''),
      );
    }
    await sleep(POLL_MS);
  }
}
