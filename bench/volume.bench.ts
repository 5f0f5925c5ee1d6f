import { hash } from 'node:crypto';
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
  AuditQueryService,
  canonicalJson,
  DirectoryWitness,
  EVENT_HASH_ALG,
  hashedEventFields,
  type LogVerification,
} from 'audit-ledger';
import { resolveAuditOptions } from '#audit/audit-options';
import { PersonalDataReader } from '#audit/personal-data/personal-data.reader';
import { SubjectKeys } from '#audit/personal-data/subject-keys.service';
import { toSealedEvent, type EventRow } from '#audit/storage/sealed-event.mapper';
import { TrailVerifier } from '#audit/verification/trail.verifier';
import { auditOptions } from '../src/audit-options.factory';
import { mikroOrmOptions } from '../src/database/mikro-orm.options';
import { runCli, type CliRun } from './cli-run';
import { median, percentile, type BenchOptions, type Figure } from './figure';
import { plansOf, statementsOn } from './query-plans';
import { BACKLOG_ENTITY_TYPE, withSealedBacklog, type SealedBacklog } from './sealed-store';

/** Records of the backlog: 10,000, or a tenth of the events for a small (quick) store. */
const ENTITIES = 10_000;
/** The entity with the longest trail (record 0) and one with a typical one (record 1). */
const HOT_EVENTS = 10_000;
const WARM_EVENTS = 100;
const HOT = 'r0';
const WARM = 'r1';
const DAY_MS = 86_400_000;
const SPREAD_DAYS = 90;
/** Events whose canonical bytes the raw SHA-256 baseline hashes, spread over the whole log. */
const HASH_SAMPLE = 20_000;
const PAGE = 5000;
const DRAIN_POLL_MS = 200;
// Memory runs cap V8's heap, so the peak shows what is live rather than how lazily V8 collects
// (uncapped, V8 lets the heap grow with the allocation rate). Both generations: with the old one
// alone capped, Node 24 keeps its default young generation (up to 64 MB semi-spaces), counts it
// against the cap and collects the old generation every few ms (verify --bundle of 1,000,001
// events: 131 s at 160 MB, against 27 s at 102 MB with both capped; docs/cli.md).
const HEAP_CAP = ['--max-old-space-size=96', '--max-semi-space-size=4'];
const CAPPED = 'heap capped at 96 MB, semi-spaces at 4 MB';
// The CLI streams: a bundle of 5x the events may not need more than 1.2x the peak memory.
const MEMORY_RATIO_TARGET = 1.2;
// Issue #18: full verification at half the rate of reading its rows at least (the read is the floor).
const VERIFY_RATIO_TARGET = 0.5;
// Issue #18: a verified trail of 10,000 events within 250 ms (p50), of 100 events within 10 ms.
const LONG_TRAIL = { events: HOT_EVENTS, ms: 250 };
const SHORT_TRAIL = { events: WARM_EVENTS, ms: 10 };
const QUERY_MS = 200;

const count = (n: number) => n.toLocaleString('en');
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

/**
 * The p50 bound of a verified trail of `events` events: issue #18's two bounds at their sizes, and
 * on the line through them (a fixed cost plus a cost per event) for the trail lengths of a smaller
 * store (quick: 1,000 events, 31.8 ms).
 */
function trailTargetMs(events: number): number {
  const perEvent = (LONG_TRAIL.ms - SHORT_TRAIL.ms) / (LONG_TRAIL.events - SHORT_TRAIL.events);
  return Math.round((SHORT_TRAIL.ms + (events - SHORT_TRAIL.events) * perEvent) * 10) / 10;
}

/**
 * Issue #7 scenarios 4, 5 and 6 (export and verification memory) on one store: BENCH_VOLUME_EVENTS
 * events (default 1,000,000; quick 10,000) over 10,000 records (a tenth of the events, if fewer)
 * of three tenants, sealed by a worker process through the real pipeline; record r0 has 10,000
 * events (a tenth of the store at most), r1 100, spread over the whole log. Each figure against a
 * baseline measured in the same run:
 * - full verification (`audit-ledger verify`, LogVerifier FULL) in events/s, against a plain paged
 *   read of the same rows (the floor: the rows come from PostgreSQL), and beside it against SHA-256
 *   alone over the same canonical bytes;
 * - verified trails of r0 and r1, p50, against the plain SQL read of their rows (targets: issue
 *   #18's for 10,000 and 100 events; a quick store's r0 has 1,000, its bound on the same line);
 * - a filtered auditEvents page and a fieldHistory page, each without and with its totalCount,
 *   and a 30-day report by DAY and ACTION, p50, against their plain SQL; every statement they send
 *   on audit.events is EXPLAINed, and a sequential scan of a partition that holds rows fails the
 *   scenario, unless it is a count's (a count reads every match: over a third of the store, a
 *   scan is its best plan; it is printed);
 * - peak memory of `export` and `verify --bundle` over all events against a fifth of them, and of
 *   the online `verify`, against the CLI's start-up.
 * The events occurred over the 90 days before the run, in commit order: the report covers a third.
 */
export async function volume(options: BenchOptions): Promise<Figure[]> {
  const total = Number(process.env.BENCH_VOLUME_EVENTS ?? (options.quick ? 10_000 : 1_000_000));
  const entities = Math.min(ENTITIES, Math.floor(total / 10));
  const hotEvery = Math.max(2, Math.floor(total / Math.min(HOT_EVENTS, total / 10)));
  const warmEvery = Math.floor(total / WARM_EVENTS);
  const recordOf = (i: number) =>
    i % hotEvery === 0 ? 0 : i % warmEvery === 1 ? 1 : 2 + (i % (entities - 2));
  // Spread over the 90 days before the run, in commit order: the 30-day report covers a third.
  const start = Date.now();
  const occurredAtOf = (i: number) => new Date(start - ((total - i) * SPREAD_DAYS * DAY_MS) / total);
  const runs = options.quick ? 3 : 11;
  return withSealedBacklog({ total, entities, recordOf, occurredAtOf, workers: 1 }, async (store) => {
    console.log(
      `volume: ${count(total)} events over ${count(entities)} records sealed in ${store.seconds.toFixed(0)} s`,
    );
    const drained = await untilDrained(store);
    console.log(`volume: the worker's queue drained ${drained.toFixed(0)} s after the last event was sealed`);
    // The witness gets a checkpoint of the whole log, so verification covers every event.
    await runCli(['checkpoint', 'publish', '--cut'], store.env);
    // What the CLI holds once started and connected, whatever the store's size.
    const startup = await runCli(['keys', 'list'], store.env, HEAP_CAP);
    const client = new Client({ connectionString: store.url });
    await client.connect();
    try {
      // What autovacuum does to an insert-only table in production: statistics and the visibility
      // map (index-only scans), done now rather than whenever its thresholds are crossed.
      await client.query('vacuum (analyze) audit.events');
      const figures = await reads(store, client, runs);
      const verified = await verification(store, client, startup);
      return [
        ...figures,
        ...verified.figures,
        ...(await exportAndVerify(store, client, total, verified.read)),
      ];
    } finally {
      await client.end();
    }
  });
}

/**
 * Seconds until the sealing queue is empty. A job's batches seal other jobs' events too, which are
 * left to find theirs sealed: measuring before they drain would time the reads against a worker
 * still busy with them.
 */
async function untilDrained(store: SealedBacklog): Promise<number> {
  const queue = new Queue(AUDIT_QUEUE, {
    connection: { url: store.env.REDIS_URL },
    prefix: store.env.AUDIT_QUEUE_PREFIX,
  });
  const start = process.hrtime.bigint();
  try {
    for (;;) {
      const jobs = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(jobs).every((n) => n === 0)) return seconds(start);
      await sleep(DRAIN_POLL_MS);
    }
  } finally {
    await queue.close();
  }
}

/** p50 of `runs` timings each of `measured` and `baseline`, interleaved after one warm-up each, in ms. */
async function p50s(
  runs: number,
  measured: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  await measured();
  await baseline();
  for (let i = 0; i < runs; i++) {
    for (const [j, fn] of [measured, baseline].entries()) {
      const start = process.hrtime.bigint();
      await fn();
      times[j].push(seconds(start) * 1000);
    }
  }
  return [percentile(times[0], 0.5), percentile(times[1], 0.5)];
}

const timeFigure = (name: string, [value, baseline]: [number, number], target: number): Figure => ({
  name,
  value,
  unit: 'ms',
  baseline,
  ratio: value / baseline,
  target,
  met: value <= target,
});

/** [name, measured, baseline, target, a count: it reads every match, a sequential scan may be its best plan] */
type ReadCase = [string, () => Promise<unknown>, () => Promise<unknown>, number, boolean];

/** Trails, searches and reports through AuditQueryService (the GraphQL resolvers' service, no HTTP). */
async function reads(store: SealedBacklog, client: Client, runs: number): Promise<Figure[]> {
  const config = mikroOrmOptions(store.url);
  const orm = await MikroORM.init({ ...config, entities: AUDIT_ENTITIES, entitiesTs: undefined });
  try {
    const options = resolveAuditOptions(
      auditOptions({ witness: new DirectoryWitness(store.env.AUDIT_WITNESS_DIR) }),
    );
    const queries = new AuditQueryService(
      orm,
      new TrailVerifier(orm, options, new AuditMetrics()),
      new PersonalDataReader(orm, new SubjectKeys(options)),
      options,
    );
    const sql = (text: string, values: unknown[]) => () => client.query(text, values);
    const global = { tenantId: null };
    const now = new Date();
    const since = new Date(now.getTime() - 30 * DAY_MS);
    const lengths = await client.query<{ entity_id: string; n: number }>(
      'select entity_id, count(*)::int as n from audit.events where entity_type = $1 and entity_id in ($2, $3) group by 1',
      [BACKLOG_ENTITY_TYPE, HOT, WARM],
    );
    const length = (id: string) => lengths.rows.find((r) => r.entity_id === id)?.n ?? 0;
    const trail = (id: string): ReadCase => {
      const events = length(id);
      const issued = [LONG_TRAIL, SHORT_TRAIL].some((t) => t.events === events);
      const line = `${SHORT_TRAIL.ms} ms at ${count(SHORT_TRAIL.events)} events to ${LONG_TRAIL.ms} ms at ${count(LONG_TRAIL.events)}`;
      return [
        `auditTrail of a ${count(events)}-event record, verified, p50` +
          (issued ? '' : ` (bound on the line from ${line})`),
        () => queries.verifiedTrail(global, BACKLOG_ENTITY_TYPE, id),
        sql('select * from audit.events where entity_type = $1 and entity_id = $2 order by chain_seq', [
          BACKLOG_ENTITY_TYPE,
          id,
        ]),
        trailTargetMs(events),
        false,
      ];
    };
    const filter = { tenantId: 't1', actions: ['UPDATE'], from: since, changedFields: ['email'] };
    const tenant = { tenantId: 't1' };
    const newest = { first: 50, after: null, descending: true };
    const field = { entityType: BACKLOG_ENTITY_TYPE, changedFields: ['email'] };
    const oldest = { first: 50, after: null, descending: false };
    const pageSql = sql(
      `select * from audit.events where tenant_id = $1 and action = 'UPDATE' and occurred_at >= $2
         and changed_fields && '{email}' order by occurred_at desc, global_seq desc limit 51`,
      ['t1', since],
    );
    const fieldSql = sql(
      `select * from audit.events where entity_type = $1 and changed_fields && '{email}'
         order by occurred_at, global_seq limit 51`,
      [BACKLOG_ENTITY_TYPE],
    );
    const cases: ReadCase[] = [
      trail(HOT),
      trail(WARM),
      [
        'auditEvents page of 50 (tenant, action, 30 days, changed field), newest first, no totalCount',
        () => queries.page(tenant, filter, newest),
        pageSql,
        QUERY_MS,
        false,
      ],
      [
        'the same page with totalCount (the resolver counts only when totalCount is selected)',
        () => queries.search(tenant, filter, newest),
        pageSql,
        QUERY_MS,
        true,
      ],
      [
        'fieldHistory page of 50 (entity type, field), oldest first, no totalCount',
        () => queries.page(global, field, oldest),
        fieldSql,
        QUERY_MS,
        false,
      ],
      [
        'the same fieldHistory page with totalCount',
        () => queries.search(global, field, oldest),
        fieldSql,
        QUERY_MS,
        true,
      ],
      [
        '30-day auditReport by DAY and ACTION',
        () => queries.report(global, { from: since, to: now }, ['DAY', 'ACTION']),
        sql(
          `select date_bin('1 day', occurred_at, timestamptz '1970-01-01Z'), action, count(*) from audit.events
             where occurred_at >= $1 and occurred_at < $2 group by 1, 2`,
          [since, now],
        ),
        QUERY_MS,
        false,
      ],
    ];
    const figures: Figure[] = [];
    for (const [name, measured, baseline, target, counts] of cases) {
      const plans = await plansOf(client, await statementsOn(measured));
      const scanned = plans.flatMap((p) => p.seqScans.map((s) => ({ ...s, sql: p.sql })));
      const scans = scanned.map((s) => `audit.${s.relation} (~${count(s.rows)} rows) in: ${s.sql}`);
      const isCount = (q: string) => /^select count\(\*\)/i.test(q);
      if (scanned.some((s) => !counts || !isCount(s.sql)))
        throw new Error(`${name}: sequential scan of ${scans.join('; ')}`);
      const indexes = [...new Set(plans.flatMap((p) => p.indexes))];
      console.log(
        `volume: EXPLAIN ${name}: ${plans.length} statement(s) on audit.events; indexes: ${indexes.join(', ') || 'none'}` +
          (scans.length
            ? `; SEQUENTIAL SCAN by its count (it reads every match): ${scans.join('; ')}`
            : '; no sequential scan'),
      );
      figures.push(timeFigure(name, await p50s(runs, measured, baseline), target));
    }
    return figures;
  } finally {
    await orm.close(true);
  }
}

type VerifyDoc = LogVerification & { durationMs: number };

/** Rows read with plain keyset-paged SQL: how many, and at what rate. */
interface PlainRead {
  rows: number;
  rowsPerSecond: number;
}

const verifyRate = (run: CliRun<VerifyDoc>) => run.doc.checkedEvents / (run.doc.durationMs / 1000);

/**
 * `audit-ledger verify` (LogVerifier FULL, in the CLI process) over the whole store, its rate from
 * the duration it reports, run as an operator runs it (V8's default heap): under a cap V8 collects
 * far more often, which slows even a plain read, so the rate compares like with like. Baseline: the
 * rows it checked, read with plain paged SQL in this process (the floor: verification reads every
 * row from PostgreSQL); `read` is the floor of the export rates too. Beside it: SHA-256 of the same canonical bytes the event hash covers, for a
 * sample spread over the log, precomputed and hashed in this process. Memory: a second run, heap
 * capped (HEAP_CAP; its rate is printed).
 */
async function verification(
  store: SealedBacklog,
  client: Client,
  startup: CliRun<unknown>,
): Promise<{ figures: Figure[]; read: PlainRead }> {
  const verified = await runCli<VerifyDoc>(['verify'], store.env);
  const capped = await runCli<VerifyDoc>(['verify'], store.env, HEAP_CAP);
  for (const run of [verified, capped])
    if (!run.doc.valid) throw new Error(`the store does not verify: ${JSON.stringify(run.doc.failures)}`);
  const checked = verified.doc.checkedEvents;
  const rate = verifyRate(verified);
  const read = await plainRead(client, checked);

  const { rows: size } = await client.query<{ n: number }>('select count(*)::int as n from audit.events');
  const every = Math.max(1, Math.floor(size[0].n / HASH_SAMPLE));
  const { rows } = await client.query<EventRow>('select * from audit.events where global_seq % $1 = 0', [
    every,
  ]);
  const domain = Buffer.from(`${EVENT_HASH_ALG}\0`);
  const bytes = rows.map((row) => {
    const e = toSealedEvent(row);
    const canonical = Buffer.concat([
      domain,
      canonicalJson(hashedEventFields(e, e.chainSeq, Buffer.from(e.prevHash, 'hex'))),
    ]);
    if (hash('sha256', canonical, 'hex') !== e.hash)
      throw new Error(`baseline bytes of event ${e.id} do not hash to it`);
    return canonical;
  });
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const start = process.hrtime.bigint();
    for (const b of bytes) hash('sha256', b, 'buffer');
    rounds.push(bytes.length / seconds(start));
  }
  const raw = median(rounds);
  const mean = bytes.reduce((sum, b) => sum + b.length, 0) / bytes.length;
  console.log(
    `volume: verify checked ${count(checked)} events in ${verified.doc.durationMs} ms ` +
      `(${CAPPED}: ${capped.doc.durationMs} ms, ${count(Math.round(verifyRate(capped)))} events/s); ` +
      `plain paged read of the same ${count(read.rows)} rows at ${count(Math.round(read.rowsPerSecond))} rows/s; ` +
      `raw SHA-256 over ${count(bytes.length)} sampled events of ${mean.toFixed(0)} canonical bytes on average`,
  );
  const verify = `audit-ledger verify (LogVerifier FULL), ${count(checked)} events`;
  const figures: Figure[] = [
    {
      name: `${verify}, vs a plain paged read of the same rows`,
      value: rate,
      unit: 'events/s',
      baseline: read.rowsPerSecond,
      ratio: rate / read.rowsPerSecond,
      target: VERIFY_RATIO_TARGET,
      targetOf: 'ratio',
      better: 'higher',
      met: rate / read.rowsPerSecond >= VERIFY_RATIO_TARGET,
    },
    {
      name: `${verify}, vs raw SHA-256 of their canonical bytes`,
      value: rate,
      unit: 'events/s',
      baseline: raw,
      ratio: rate / raw,
      target: null,
      better: 'higher',
      met: null,
    },
    {
      name: `audit-ledger verify (online, ${CAPPED}): peak memory vs the CLI start-up (keys list)`,
      value: capped.peakMb,
      unit: 'MB',
      baseline: startup.peakMb,
      ratio: capped.peakMb / startup.peakMb,
      target: null,
      met: null,
    },
  ];
  return { figures, read };
}

type ExportDoc = { manifest: { events: { count: number } } };
type BundleDoc = { valid: boolean };

/**
 * `audit-ledger export --gzip` and `verify --bundle` through the built CLI, heap capped, of about
 * a fifth of the events and of all of them: peak memory of all against the fifth (it streams, so
 * it must not grow with the bundle), and rates against the rows read with plain paged SQL.
 */
async function exportAndVerify(
  store: SealedBacklog,
  client: Client,
  total: number,
  read: PlainRead,
): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'audit-bench-volume-'));
  try {
    // Exports select by sealing time: the first one ends after the sealing transaction holding
    // the event at a fifth of the log (its events share one recorded_at).
    const { rows } = await client.query<{ at: Date }>(
      `select min(recorded_at) as at from audit.events
       where recorded_at > (select recorded_at from audit.events where global_seq = $1)`,
      [Math.floor(total / 5)],
    );
    const keys = join(store.env.AUDIT_WITNESS_DIR, 'keys.json');
    const exportAndVerifyTo = async (name: string, to: string) => {
      const out = join(dir, name);
      const exported = await runCli<ExportDoc>(
        ['export', '--from', '2000-01-01', '--to', to, '--gzip', '--out', out],
        store.env,
        HEAP_CAP,
      );
      const verified = await runCli<BundleDoc>(
        ['verify', '--bundle', out, '--keys', keys],
        store.env,
        HEAP_CAP,
      );
      if (!verified.doc.valid) throw new Error(`the ${name} bundle did not verify`);
      await rm(out, { recursive: true, force: true });
      return { exported, verified, events: exported.doc.manifest.events.count };
    };
    const fifth = await exportAndVerifyTo('fifth', rows[0].at.toISOString());
    const all = await exportAndVerifyTo('all', '2100-01-01T00:00:00Z');
    const memory = (what: string, big: CliRun<unknown>, small: CliRun<unknown>): Figure => ({
      name: `${what}: peak memory (${CAPPED}), ${count(all.events)} vs ${count(fifth.events)} events`,
      value: big.peakMb,
      unit: 'MB',
      baseline: small.peakMb,
      ratio: big.peakMb / small.peakMb,
      target: MEMORY_RATIO_TARGET,
      targetOf: 'ratio',
      met: big.peakMb / small.peakMb <= MEMORY_RATIO_TARGET,
    });
    const rate = (name: string, run: CliRun<unknown>): Figure => ({
      name,
      value: all.events / run.seconds,
      unit: 'events/s',
      baseline: read.rowsPerSecond,
      ratio: all.events / run.seconds / read.rowsPerSecond,
      target: null,
      better: 'higher',
      met: null,
    });
    return [
      rate(
        `audit-ledger export --gzip, ${count(all.events)} events (whole CLI run) vs plain paged SQL read`,
        all.exported,
      ),
      rate('audit-ledger verify --bundle (offline, whole CLI run) vs plain paged SQL read', all.verified),
      memory('export', all.exported, fifth.exported),
      memory('verify --bundle', all.verified, fifth.verified),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The first `rows` rows (in global order) read with plain keyset-paged SQL, pages of the
 * verifier's size, one after another (no mapping, hashing or writing).
 */
async function plainRead(client: Client, rows: number): Promise<PlainRead> {
  const start = process.hrtime.bigint();
  let read = 0;
  for (let after = '0'; read < rows;) {
    const page = await client.query<{ global_seq: string }>(
      'select * from audit.events where global_seq > $1 order by global_seq limit $2',
      [after, PAGE],
    );
    if (page.rows.length === 0) break;
    read += page.rows.length;
    after = page.rows[page.rows.length - 1].global_seq;
  }
  return { rows: read, rowsPerSecond: read / seconds(start) };
}
