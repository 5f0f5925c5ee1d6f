import { Client } from 'pg';
import { createBenchDatabase } from './bench-database';
import { median, type BenchOptions, type Figure } from './figure';
import { BACKLOG_ENTITY_TYPE, sealBacklog, seedBacklog, type SeededBacklog } from './sealed-store';

// Issue #18: 2 worker processes seal at half the raw insert rate at least, and a worker's peak
// memory does not grow with the backlog (at most 1.2x for twice the events).
const TARGET_RATIO = 0.5;
const MEMORY_RATIO_TARGET = 1.2;
const ROWS_PER_INSERT = 500;
const READ_PAGE = 10_000;
// Enough rows for a steady rate; inserting all 200,000 twice per round would only cost time.
const RAW_ROWS = 50_000;
// Memory runs cap V8's heap so the peak shows what is live, not how lazily V8 collects: uncapped,
// V8 lets the heap grow with the allocation rate (a worker reached 600 MB sealing 50,000 events,
// and seals the same within 256 MB). NOTE: 200,000 events over 20,000 records ran out of a 256 MB
// heap once: each checkpoint loads the heads-map paths of every record sealed since the last.
const HEAP_CAP = '--max-old-space-size=512';

/**
 * Sealing throughput: a backlog of BENCH_SEAL_EVENTS committed events (200,000 over 20,000
 * records; quick: 20,000 over 2,000), sealed by 1 and by 2 worker processes (`dist/src/worker.js`,
 * chained, hashed, signed, persisted, checkpointed), from a copy of one seeded database per run,
 * rounds interleaved (BENCH_SEAL_ROUNDS, 2; quick 1), medians. Baseline, in each round: the same
 * rows (the first 50,000) inserted with multi-row INSERTs of 500 rows, no hashing or signing, into a table of the
 * same columns with no index (the raw limit); shown too, the same into `audit.events` itself
 * (partitioned, with the indexes the queries need), which bounds what sealing can reach. Memory: a worker's peak RSS
 * sealing the whole backlog against sealing half of it over the same records, V8's heap capped
 * at 512 MB in both (flat: it streams).
 */
export async function sealing({ quick }: BenchOptions): Promise<Figure[]> {
  const total = Number(process.env.BENCH_SEAL_EVENTS ?? (quick ? 20_000 : 200_000));
  const entities = Math.max(1, Math.round(total / 10));
  const rounds = Number(process.env.BENCH_SEAL_ROUNDS ?? (quick ? 1 : 2));
  const seeded = await seedBacklog({ total, entities });
  const rates = { raw: [] as number[], table: [] as number[], one: [] as number[], two: [] as number[] };
  let peakMb = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      await sealBacklog(seeded, 1, async (store) => {
        rates.one.push(total / store.seconds);
        const raw = await rawInsertRates(store.url, seeded);
        rates.raw.push(raw.bare);
        rates.table.push(raw.table);
      });
      await sealBacklog(seeded, 2, (store) => Promise.resolve(rates.two.push(total / store.seconds)));
    }
    peakMb = await cappedPeakMb(seeded);
  } finally {
    await seeded.template.drop();
  }
  // Half the events over the same records: what may grow with the records (the heads map the
  // checkpoints commit to) is alike in both, and so are the batches (full: 5 and 10 events per
  // record, 2,000 per transaction); only the backlog's length differs.
  const half = await seedBacklog({ total: Math.round(total / 2), entities });
  let halfPeakMb = 0;
  try {
    halfPeakMb = await cappedPeakMb(half);
  } finally {
    await half.template.drop();
  }
  const raw = median(rates.raw);
  const backlog = `${total.toLocaleString('en')} events over ${entities.toLocaleString('en')} records`;
  const sealed = (workers: number, rate: number, target: number | null): Figure => ({
    name: `sealing throughput, ${workers} worker process${workers > 1 ? 'es' : ''} (${backlog}), vs raw multi-row INSERT`,
    value: rate,
    unit: 'events/s',
    baseline: raw,
    ratio: rate / raw,
    target,
    targetOf: 'ratio',
    better: 'higher',
    met: target === null ? null : rate / raw >= target,
  });
  const table = median(rates.table);
  return [
    {
      name: `raw multi-row INSERT of the same rows, ${ROWS_PER_INSERT} per statement, unindexed table (baseline)`,
      value: raw,
      unit: 'rows/s',
      baseline: raw,
      ratio: 1,
      target: null,
      better: 'higher',
      met: null,
    },
    {
      name: `the same into audit.events (its partitions and query indexes)`,
      value: table,
      unit: 'rows/s',
      baseline: raw,
      ratio: table / raw,
      target: null,
      better: 'higher',
      met: null,
    },
    sealed(1, median(rates.one), null),
    sealed(2, median(rates.two), TARGET_RATIO),
    {
      name: `sealing worker peak RSS, twice the backlog: ${total.toLocaleString('en')} vs ${Math.round(total / 2).toLocaleString('en')} events over ${entities.toLocaleString('en')} records (heap capped at 512 MB)`,
      value: peakMb,
      unit: 'MB',
      baseline: halfPeakMb,
      ratio: peakMb / halfPeakMb,
      target: MEMORY_RATIO_TARGET,
      targetOf: 'ratio',
      met: peakMb / halfPeakMb <= MEMORY_RATIO_TARGET,
    },
  ];
}

/** A worker's peak resident memory sealing the backlog alone, its heap capped. */
async function cappedPeakMb(seeded: SeededBacklog): Promise<number> {
  const flags = process.env.BENCH_WORKER_FLAGS;
  process.env.BENCH_WORKER_FLAGS = `${flags ?? ''} ${HEAP_CAP}`;
  try {
    return await sealBacklog(seeded, 1, (store) => Promise.resolve(Math.max(...store.workerPeakMb)));
  } finally {
    if (flags === undefined) delete process.env.BENCH_WORKER_FLAGS;
    else process.env.BENCH_WORKER_FLAGS = flags;
  }
}

/** Raw insert rates, rows/s: into `audit.events` as it is, and into a copy of its columns with no index. */
interface RawRates {
  table: number;
  bare: number;
}

/**
 * The sealed backlog's rows inserted, as they are, into another copy of the seeded database (its
 * partitions created as a worker does), ROWS_PER_INSERT per statement, chunk by chunk into both
 * tables; only the inserts are timed. JSON columns travel as text, as the sealer's do.
 */
async function rawInsertRates(sealedUrl: string, seeded: SeededBacklog): Promise<RawRates> {
  const target = await createBenchDatabase(seeded.template);
  const from = new Client({ connectionString: sealedUrl });
  const to = new Client({ connectionString: target.url });
  try {
    await from.connect();
    await to.connect();
    await to.query('select audit.ensure_event_partitions()');
    await to.query('create table raw_events (like audit.events)');
    const { rows: columns } = await from.query<{ name: string; type: string }>(
      `select column_name as name, data_type as type from information_schema.columns
       where table_schema = 'audit' and table_name = 'events' order by ordinal_position`,
    );
    const names = columns.map((c) => c.name).join(', ');
    const select = columns.map((c) => (c.type === 'jsonb' ? `${c.name}::text` : c.name)).join(', ');
    const nanos = { table: 0n, bare: 0n };
    let inserted = 0;
    for (let after = 0; ;) {
      const page = await from.query({
        text: `select ${select} from audit.events where entity_type = $1 and global_seq > $2
               order by global_seq limit $3`,
        values: [BACKLOG_ENTITY_TYPE, after, Math.min(READ_PAGE, RAW_ROWS - inserted)],
        rowMode: 'array',
      });
      if (page.rows.length === 0 || inserted >= RAW_ROWS) break;
      const rows = page.rows as unknown[][];
      after = Number(rows[rows.length - 1][columns.findIndex((c) => c.name === 'global_seq')]);
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const chunk = rows.slice(i, i + ROWS_PER_INSERT);
        const values = chunk
          .map((_, r) => `(${columns.map((_c, c) => `$${r * columns.length + c + 1}`).join(', ')})`)
          .join(', ');
        for (const [into, table] of [
          ['table', 'audit.events'],
          ['bare', 'raw_events'],
        ] as const) {
          const start = process.hrtime.bigint();
          await to.query(`insert into ${table} (${names}) values ${values}`, chunk.flat());
          nanos[into] += process.hrtime.bigint() - start;
        }
        inserted += chunk.length;
      }
    }
    return { table: inserted / (Number(nanos.table) / 1e9), bare: inserted / (Number(nanos.bare) / 1e9) };
  } finally {
    await from.end();
    await to.end();
    await target.drop();
  }
}
