import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Client } from 'pg';
import { AUDIT_QUEUE, type JsonObject } from 'audit-ledger';
import type { SealJob } from '#audit/outbox/seal-job';
import { loadAppConfig } from '../src/config/app-config';
import { createBenchDatabase } from './bench-database';
import { BENCH_CONTEXT, openBenchWriter } from './bench-writer';
import { percentile, type BenchOptions, type Figure } from './figure';
import { startWorker } from './worker-process';

const RATE = 1000;
// Events per transaction: 100 transactions/s of 10 events each (one process writing 1,000
// single-event transactions/s spends its core on MikroORM and falls behind, measured here).
const PER_TRANSACTION = 10;
const ENTITIES = 1000;
const ENTITY_TYPE = 'LatencyRecord';
const P99_TARGET_MS = 250;
// The first second (worker warm-up: JIT, connection pool, first checkpoint) is not counted.
const WARM_UP_MS = 1000;
// Transactions in flight at most (a second's worth): past it the writer is behind and waits.
const MAX_IN_FLIGHT = 100;

/** Wall-clock milliseconds with sub-millisecond precision (PostgreSQL's clock is the same machine's). */
const now = () => performance.timeOrigin + performance.now();

/**
 * End-to-end latency: events committed at a steady RATE (1,000/s, in transactions of 10, over
 * 1,000 records, through the library's write path) for BENCH_LATENCY_SECONDS (20; quick 5), sealed
 * by one worker process. Latency = the event's `recorded_at` (stamped in the sealing transaction,
 * under the log-head lock, one round trip before its commit) minus the moment its own commit
 * returned. Baseline, in the same run: the same rate of no-op BullMQ jobs through the same Redis,
 * from add to processed (the floor any queue-driven sealer stands on).
 */
export async function latency({ quick }: BenchOptions): Promise<Figure[]> {
  const seconds = Number(process.env.BENCH_LATENCY_SECONDS ?? (quick ? 5 : 20));
  const sealed = await sealingLatencies(seconds);
  const queue = await queueLatencies(Math.min(seconds, 5));
  const figure = (p: number, target: number | null): Figure => {
    const value = percentile(sealed.latencies, p);
    const baseline = percentile(queue, p);
    return {
      name: `commit to sealed, p${p * 100}, at ${Math.round(sealed.rate).toLocaleString('en')} events/s (baseline: no-op BullMQ job)`,
      value,
      unit: 'ms',
      baseline,
      ratio: value / baseline,
      target,
      met: target === null ? null : value <= target,
    };
  };
  return [figure(0.5, null), figure(0.99, P99_TARGET_MS)];
}

async function sealingLatencies(seconds: number): Promise<{ latencies: number[]; rate: number }> {
  const db = await createBenchDatabase();
  const dir = await mkdtemp(join(tmpdir(), `${db.name}-`));
  const { redisUrl } = loadAppConfig();
  const queue = new Queue<SealJob>(AUDIT_QUEUE, { connection: { url: redisUrl }, prefix: db.name });
  const bench = await openBenchWriter(db.url, queue);
  const worker = await startWorker({
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    AUDIT_QUEUE_PREFIX: db.name,
    AUDIT_KEY_DIR: join(dir, 'keys'),
    AUDIT_WITNESS_DIR: join(dir, 'witness'),
  });
  const client = new Client({ connectionString: db.url });
  try {
    const committed = new Map<string, number>();
    const states: (JsonObject | null)[] = new Array<null>(ENTITIES).fill(null);
    const inFlight = new Set<Promise<void>>();
    const failures: unknown[] = [];
    // Warm-up, not timed: the connection pool filled, the write path's code compiled.
    for (let i = 0; i < 20; i++) {
      const warm = Array.from({ length: 10 }, (_, j) =>
        bench.factory.forEntity(
          {
            action: 'CREATE',
            entityType: `${ENTITY_TYPE}WarmUp`,
            entityId: `w${i}.${j}`,
            before: null,
            after: { id: 'w' },
          },
          BENCH_CONTEXT,
        ),
      );
      await bench.orm.em.fork().transactional((em) => bench.writer.write(em, warm));
    }
    const total = seconds * RATE;
    const start = now();
    for (let i = 0; i < total && failures.length === 0; i += PER_TRANSACTION) {
      const due = start + (i * 1000) / RATE;
      if (due > now()) await sleep(due - now());
      // Behind: wait for a commit (the figure's name gives the rate achieved, below RATE then).
      if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      const events = Array.from({ length: PER_TRANSACTION }, (_, j) => {
        const record = (i + j) % ENTITIES;
        const before = states[record];
        const after = { id: `l${record}`, email: `l${record}.${i + j}@example.test` };
        states[record] = after;
        const action = before ? 'UPDATE' : 'CREATE';
        return bench.factory.forEntity(
          { action, entityType: ENTITY_TYPE, entityId: `l${record}`, before, after },
          BENCH_CONTEXT,
        );
      });
      const write = bench.orm.em
        .fork()
        .transactional((em) => bench.writer.write(em, events))
        .then(
          () => {
            const at = now();
            for (const event of events) committed.set(event.id, at);
          },
          (error: unknown) => void failures.push(error),
        )
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
    }
    await Promise.all(inFlight);
    if (failures.length > 0) throw failures[0];
    const rate = total / ((now() - start) / 1000);
    await client.connect();
    for (;;) {
      const { rows } = await client.query<{ n: number }>(
        'select count(*)::int as n from audit.events where entity_type = $1',
        [ENTITY_TYPE],
      );
      if (rows[0].n === total) break;
      if (!worker.running()) throw new Error(`the sealing worker exited:\n${worker.output()}`);
      await sleep(100);
    }
    const { rows } = await client.query<{ id: string; at: number }>(
      'select id, extract(epoch from recorded_at) * 1000 as at from audit.events where entity_type = $1',
      [ENTITY_TYPE],
    );
    const latencies = rows
      .map((r) => ({ committedAt: committed.get(r.id)!, sealedAt: Number(r.at) }))
      .filter((r) => r.committedAt >= start + WARM_UP_MS)
      .map((r) => r.sealedAt - r.committedAt);
    return { latencies, rate };
  } finally {
    await worker.stop();
    await client.end();
    await bench.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Add-to-processed latencies of no-op jobs at RATE through the same Redis (a queue of its own). */
async function queueLatencies(seconds: number): Promise<number[]> {
  const { redisUrl } = loadAppConfig();
  const prefix = `audit_bench_queue_${process.pid}`;
  const connection = { url: redisUrl };
  const queue = new Queue('latency', { connection, prefix });
  const added = new Map<string, number>();
  const latencies: number[] = [];
  const worker = new Worker(
    'latency',
    (job) => {
      latencies.push(now() - added.get(job.id!)!);
      return Promise.resolve();
    },
    { connection, prefix, concurrency: 4 },
  );
  try {
    await worker.waitUntilReady();
    const total = seconds * RATE;
    const start = now();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / RATE;
      if (due > now()) await sleep(due - now());
      added.set(`j${i}`, now());
      void queue.add('noop', {}, { jobId: `j${i}`, removeOnComplete: true });
    }
    while (latencies.length < total) await sleep(50);
    return latencies.slice(RATE);
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
