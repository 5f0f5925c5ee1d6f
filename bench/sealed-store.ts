import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { AUDIT_QUEUE, type AuditEvent, type JsonObject } from 'audit-ledger';
import type { SealJob } from '#audit/outbox/seal-job';
import { loadAppConfig } from '../src/config/app-config';
import { createBenchDatabase, type BenchDatabase } from './bench-database';
import { BENCH_CONTEXT, openBenchWriter } from './bench-writer';
import { startWorker, type BenchWorker } from './worker-process';

/** The entity type of every backlog event; `untilSealed` counts only these. */
export const BACKLOG_ENTITY_TYPE = 'BenchRecord';
const EVENTS_PER_TRANSACTION = 1000;
// Seeding is not measured; concurrent streams only make it take less of the bench's time.
const SEED_STREAMS = 3;
const POLL_MS = 100;
// Jobs parsed and enqueued at a time: the backlog is never held as objects whole (SeededBacklog.jobs).
const ENQUEUE_CHUNK = 100;
const SEAL_TIMEOUT_MS = 10 * 60_000;

/** A store a backlog was sealed into: its environment (for workers and the CLI), the sealing time, the workers. */
export interface SealedBacklog {
  url: string;
  env: Record<string, string>;
  /** From resuming the queue until every backlog event was sealed. */
  seconds: number;
  /** Each worker process's peak resident memory (VmHWM) so far, MB. */
  workerPeakMb: number[];
}

/**
 * A backlog: `total` events over `entities` records; event i updates record `recordOf(i)`
 * (default i % entities) and occurred at `occurredAtOf(i)` (default: when it is committed).
 */
export interface BacklogShape {
  total: number;
  entities: number;
  recordOf?: (i: number) => number;
  occurredAtOf?: (i: number) => Date;
}

/**
 * A backlog committed once into a template database (outbox rows, nothing sealed) with the jobs
 * its transactions enqueued: every sealing run starts from a copy, so runs compare like with like
 * and seeding (slower than sealing) is paid once.
 */
export interface SeededBacklog {
  template: BenchDatabase;
  total: number;
  /**
   * Each job's data as JSON text. NOTE: not as objects: a million events' job entries held by
   * this process made every garbage collection of the reads the volume bench later times in it
   * slower (the verified 10,000-event trail: 260-340 ms with them, 185-210 ms without; a server
   * holds nothing of the kind). Text is one object per job for the collector.
   */
  jobs: string[];
}

export async function seedBacklog(shape: BacklogShape): Promise<SeededBacklog> {
  const template = await createBenchDatabase();
  const { redisUrl } = loadAppConfig();
  const queue = new Queue<SealJob>(AUDIT_QUEUE, { connection: { url: redisUrl }, prefix: template.name });
  try {
    await queue.pause();
    await commitBacklog(template.url, queue, shape);
    const jobs = (await queue.getJobs(['waiting'])).map((job) => job.data);
    const queued = jobs.reduce((n, job) => n + job.events.length, 0);
    if (queued !== shape.total) throw new Error(`${queued} events queued for sealing, of ${shape.total}`);
    return { template, total: shape.total, jobs: jobs.map((job) => JSON.stringify(job)) };
  } catch (error) {
    await template.drop();
    throw error;
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/**
 * A copy of the seeded backlog in a database and a queue prefix of its own, its jobs in a paused
 * queue, sealed by `workers` processes. Pausing keeps worker start-up (migration check, key
 * activation, Nest bootstrap) out of `seconds`, and no process gets a head start. `use` runs
 * while the workers are still up; everything but the template is dropped afterwards.
 */
export async function sealBacklog<T>(
  seeded: SeededBacklog,
  workers: number,
  use: (store: SealedBacklog) => Promise<T>,
  /** Sealed this once: its job texts are let go once enqueued, before `use`. */
  once = false,
): Promise<T> {
  const db = await createBenchDatabase(seeded.template);
  const dir = await mkdtemp(join(tmpdir(), `${db.name}-`));
  const { redisUrl } = loadAppConfig();
  const queue = new Queue<SealJob>(AUDIT_QUEUE, { connection: { url: redisUrl }, prefix: db.name });
  const client = new Client({ connectionString: db.url });
  const running: BenchWorker[] = [];
  try {
    await queue.pause();
    for (let i = 0; i < seeded.jobs.length; i += ENQUEUE_CHUNK) {
      const data = seeded.jobs.slice(i, i + ENQUEUE_CHUNK).map((text) => JSON.parse(text) as SealJob);
      await queue.addBulk(
        data.map((job) => ({ name: 'seal', data: job, opts: { jobId: job.events[0].eventId } })),
      );
    }
    // NOTE: the reads `use` times would otherwise run beside the job texts (85 MB for a million
    // events), which no server holds: 1,000 such texts kept in a fresh process made the verified
    // 10,000-event trail 45-57 ms slower (p50) over the same store.
    if (once) seeded.jobs = [];
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      AUDIT_QUEUE_PREFIX: db.name,
      AUDIT_KEY_DIR: join(dir, 'keys'),
      AUDIT_WITNESS_DIR: join(dir, 'witness'),
    };
    const started = await Promise.allSettled(Array.from({ length: workers }, () => startWorker(env)));
    for (const s of started) if (s.status === 'fulfilled') running.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    await client.connect();
    const start = process.hrtime.bigint();
    await queue.resume();
    await untilSealed(client, seeded.total, running);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return await use({ url: db.url, env, seconds, workerPeakMb: running.map((w) => w.peakMb()) });
  } finally {
    await Promise.all(running.map((w) => w.stop()));
    await client.end();
    await queue.obliterate({ force: true });
    await queue.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A backlog seeded and sealed once by `workers` processes (for scenarios that need a sealed store). */
export async function withSealedBacklog<T>(
  run: BacklogShape & { workers: number },
  use: (store: SealedBacklog) => Promise<T>,
): Promise<T> {
  const seeded = await seedBacklog(run);
  try {
    return await sealBacklog(seeded, run.workers, use, true);
  } finally {
    await seeded.template.drop();
  }
}

/**
 * Commits the backlog through the library's write path, 1,000 events per transaction, in
 * SEED_STREAMS concurrent streams that share no record (each record's events stay in order);
 * event i updates record `recordOf(i)`.
 */
async function commitBacklog(
  url: string,
  queue: Queue<SealJob>,
  { total, entities, recordOf = (i) => i % entities, occurredAtOf }: BacklogShape,
): Promise<void> {
  const { orm, writer, factory, close } = await openBenchWriter(url, queue);
  const states: (JsonObject | null)[] = new Array<null>(entities).fill(null);
  const stream = async (k: number): Promise<void> => {
    let events: AuditEvent[] = [];
    const commit = async () => {
      const batch = events;
      events = [];
      await orm.em.fork().transactional((em) => writer.write(em, batch));
    };
    for (let i = 0; i < total; i++) {
      const record = recordOf(i);
      if (record % SEED_STREAMS !== k) continue;
      const before = states[record];
      const after = { id: `r${record}`, tenantId: `t${record % 3}`, email: `r${record}.${i}@example.test` };
      const event = factory.forEntity(
        {
          action: before ? 'UPDATE' : 'CREATE',
          entityType: BACKLOG_ENTITY_TYPE,
          entityId: `r${record}`,
          before,
          after,
        },
        { ...BENCH_CONTEXT, tenantId: `t${record % 3}` },
      );
      events.push(occurredAtOf ? { ...event, occurredAt: occurredAtOf(i).toISOString() } : event);
      states[record] = after;
      if (events.length === EVENTS_PER_TRANSACTION) await commit();
    }
    if (events.length > 0) await commit();
  };
  try {
    await Promise.all(Array.from({ length: SEED_STREAMS }, (_, k) => stream(k)));
    if (occurredAtOf) {
      // NOTE: a sealer refuses an event dated further than maxEventClockSkewMs from the database's
      // clock when its outbox row was written (db_time): a backdated backlog is stamped as written
      // when it occurred, as if the app had run all along. (The bench connects as the superuser.)
      await orm.em
        .getConnection()
        .execute(
          `update audit.outbox set db_time = (payload ->> 'occurredAt')::timestamptz where entity_type = ?`,
          [BACKLOG_ENTITY_TYPE],
        );
    }
  } finally {
    // Also waits for the publisher's enqueues, which it does not await after commit.
    await close();
  }
}

/**
 * Polls until no backlog event is left in the outbox and all are sealed (no more: no drift events).
 * NOTE: only the backlog's own rows count: the workers add events of their own (KEY_ROTATED).
 */
async function untilSealed(client: Client, total: number, workers: BenchWorker[]): Promise<void> {
  const deadline = Date.now() + SEAL_TIMEOUT_MS;
  for (;;) {
    // NOTE: while the backlog drains, only whether a row is left (an index probe): counting every
    // outbox row and every sealed event each poll took PostgreSQL CPU from the sealers it measures
    // (sampling pg_stat_activity through a quick sealing run caught it in about 1 in 14 samples).
    const { rows } = await client.query<{ waiting: boolean }>(
      'select exists (select 1 from audit.outbox where entity_type = $1) as waiting',
      [BACKLOG_ENTITY_TYPE],
    );
    const stopped = workers.find((w) => !w.running());
    if (!rows[0].waiting) {
      const sealed = await client.query<{ n: number }>(
        'select count(*)::int as n from audit.events where entity_type = $1',
        [BACKLOG_ENTITY_TYPE],
      );
      if (sealed.rows[0].n === total) return;
      throw new Error(`${sealed.rows[0].n} of ${total} events sealed, none pending`);
    }
    if (stopped || Date.now() > deadline) {
      const counts = await client.query<{ pending: number; sealed: number }>(
        `select (select count(*)::int from audit.outbox where entity_type = $1) as pending,
                (select count(*)::int from audit.events where entity_type = $1) as sealed`,
        [BACKLOG_ENTITY_TYPE],
      );
      const { pending, sealed } = counts.rows[0];
      throw new Error(
        `${sealed} of ${total} events sealed, ${pending} pending` +
          (stopped ? `; a worker exited:\n${stopped.output()}` : ''),
      );
    }
    await sleep(POLL_MS);
  }
}
