import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { AUDIT_QUEUE, auditCaptureSql } from 'audit-ledger';
import { CAPTURE_CONTEXT_SETTING } from '#audit/audit.constants';
import type { CaptureContext } from '#audit/capture/captured-row';
import { loadAppConfig } from '../src/config/app-config';
import { createBenchDatabase, withAuditSchema, type BenchDatabase } from './bench-database';
import { BENCH_CONTEXT } from './bench-writer';
import { BULK_TABLES, BulkBenchUser, BulkSealingModule, BulkUsersService, bulkUpdateSql } from './bulk.app';
import { median, type BenchOptions, type Figure } from './figure';
import { benchUserTableSql } from './write-path.app';

// NOTE: capture writes a second row per changed row with two JSON images of it: the write volume
// at least doubles, so about 0.5x is near the floor for a whole-row copy (STACK-NOTES.md).
const TARGET_RATIO = 0.5;
const ROWS = 10_000;
const POLL_MS = 50;
const SEAL_TIMEOUT_MS = 5 * 60_000;

type Variant = 'unaudited' | 'captured' | 'context';
const VARIANTS: Variant[] = ['unaudited', 'captured', 'context'];
const TABLE: Record<Variant, string> = {
  unaudited: BULK_TABLES.unaudited,
  captured: BULK_TABLES.captured,
  context: BULK_TABLES.captured,
};
const LABEL: Record<Variant, string> = {
  unaudited: 'unaudited (no capture)',
  captured: 'captured, no app context (as from psql)',
  context: 'captured, with app context (audit.ctx set first, as the app does)',
};

/** What the app sets for a bulk `@Auditable` call: BulkUsersService.countLogins's context. */
const APP_CONTEXT: CaptureContext = {
  operationId: uuidv7(),
  ...BENCH_CONTEXT,
  action: 'COUNT_LOGIN',
  entityType: BulkBenchUser.name,
  entityId: null,
  module: null,
  transactionCode: null,
  metadata: null,
  only: null,
  ignore: null,
};

/**
 * Bulk statements (issue #14): one native UPDATE of all 10,000 rows of a table of user rows
 * (`update … set login_count = login_count + 1`), on a table without capture and on one of the
 * same shape with the library's capture triggers (`auditCaptureSql`, after the library's
 * migrations), the latter also with the app's context set first. Measured: the statement's time,
 * the one round trip of the UPDATE on a local connection (its row triggers fire before it
 * returns), in a transaction rolled back afterwards; between statements the outbox is truncated,
 * both tables vacuumed (the rolled-back row versions go) and a CHECKPOINT taken, so every
 * statement starts from the same state and pays the same full-page writes. 15 rounds (quick: 3)
 * after one warm-up round, the variants interleaved (order rotated); figures are medians, the
 * baseline the unaudited statements of the same rounds. Then, no target: the 10,000 captured rows
 * committed once by an `@Auditable` call and sealed by one in-process worker (its sweep job, from
 * the call's commit until the last is sealed). About 30 s (quick: 20 s).
 */
export async function bulk({ quick }: BenchOptions): Promise<Figure[]> {
  const rounds = quick ? 3 : 15;
  const db = await createBenchDatabase();
  try {
    await withAuditSchema(db.url, (sql) => sql.raw(bulkTablesSql()));
    const seconds = await statementSeconds(db.url, rounds);
    const sealing = await sealingSeconds(db);
    const time = (v: Variant) => median(seconds[v]);
    const rate = (v: Variant) => ROWS / time(v);
    const what = `${ROWS.toLocaleString('en')}-row UPDATE`;
    const out: Figure[] = [
      {
        name: `bulk ${what}, ${LABEL.unaudited}: throughput (median of ${rounds} interleaved rounds)`,
        value: rate('unaudited'),
        unit: 'rows/s',
        baseline: rate('unaudited'),
        ratio: 1,
        target: null,
        better: 'higher',
        met: null,
      },
    ];
    for (const variant of ['captured', 'context'] as const) {
      const ratio = rate(variant) / rate('unaudited');
      out.push({
        name: `bulk ${what}, ${LABEL[variant]}: throughput`,
        value: rate(variant),
        unit: 'rows/s',
        baseline: rate('unaudited'),
        ratio,
        target: TARGET_RATIO,
        targetOf: 'ratio',
        better: 'higher',
        met: ratio >= TARGET_RATIO,
      });
    }
    for (const variant of ['captured', 'context'] as const) {
      out.push({
        name: `bulk ${what}, ${LABEL[variant]}: statement time (baseline unaudited)`,
        value: time(variant) * 1000,
        unit: 'ms',
        baseline: time('unaudited') * 1000,
        ratio: time(variant) / time('unaudited'),
        target: null,
        met: null,
      });
    }
    out.push({
      name: `bulk: sealing its ${ROWS.toLocaleString('en')} captured rows, 1 worker (baseline: the captured UPDATE with app context)`,
      value: ROWS / sealing,
      unit: 'events/s',
      baseline: rate('context'),
      ratio: ROWS / sealing / rate('context'),
      target: null,
      better: 'higher',
      met: null,
    });
    return out;
  } finally {
    await db.drop();
  }
}

/** Both tables, ROWS users each; the second captured as an app's migration would do it. */
function bulkTablesSql(): string {
  const counter = ['login_count integer not null default 0'];
  return [
    benchUserTableSql(BULK_TABLES.unaudited, ROWS, counter),
    benchUserTableSql(BULK_TABLES.captured, ROWS, counter),
    ...auditCaptureSql({ entityType: BulkBenchUser.name, table: BULK_TABLES.captured, key: ['id'] }).map(
      (sql) => `${sql};`,
    ),
    // The rounds vacuum them themselves: autovacuum would only add noise.
    ...Object.values(BULK_TABLES).map((t) => `alter table ${t} set (autovacuum_enabled = off);`),
  ].join('\n');
}

/** Each variant's statement times, seconds, over `rounds` interleaved rounds (after a warm-up round). */
async function statementSeconds(url: string, rounds: number): Promise<Record<Variant, number[]>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const reset = async () => {
      // Superuser: the bench database's owner, connected as the admin.
      await client.query('truncate audit.outbox');
      await client.query(`vacuum ${Object.values(BULK_TABLES).join(', ')}`);
      await client.query('checkpoint');
    };
    await client.query(`vacuum analyze ${Object.values(BULK_TABLES).join(', ')}`);
    await reset();
    const seconds: Record<Variant, number[]> = { unaudited: [], captured: [], context: [] };
    for (let round = -1; round < rounds; round++) {
      for (let j = 0; j < VARIANTS.length; j++) {
        const variant = VARIANTS[(j + Math.max(round, 0)) % VARIANTS.length];
        await client.query('begin');
        try {
          if (variant === 'context') {
            await client.query('select set_config($1, $2, true)', [
              CAPTURE_CONTEXT_SETTING,
              JSON.stringify(APP_CONTEXT),
            ]);
          }
          const start = process.hrtime.bigint();
          const { rowCount } = await client.query(bulkUpdateSql(TABLE[variant]));
          const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
          const captured = Number(
            (await client.query<{ n: string }>('select count(*) as n from audit.outbox')).rows[0].n,
          );
          const expected = variant === 'unaudited' ? 0 : ROWS;
          if (rowCount !== ROWS || captured !== expected) {
            throw new Error(
              `${variant}: ${rowCount} rows updated, ${captured} captured (expected ${expected})`,
            );
          }
          if (round >= 0) seconds[variant].push(elapsed);
        } finally {
          await client.query('rollback');
        }
        await reset();
      }
    }
    return seconds;
  } finally {
    await client.end();
  }
}

/**
 * Seconds from the commit of one bulk `@Auditable` call (ROWS captured rows) until one in-process
 * worker sealed them all. The app starts first and seals its own start-up events (key lifecycle)
 * before the call, so only the bulk's rows are timed.
 */
async function sealingSeconds(db: BenchDatabase): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), `${db.name}-`));
  const { redisUrl } = loadAppConfig();
  const queue = new Queue(AUDIT_QUEUE, { connection: { url: redisUrl }, prefix: db.name });
  const client = new Client({ connectionString: db.url });
  try {
    await client.connect();
    const app = await NestFactory.createApplicationContext(
      BulkSealingModule.forRoot({
        databaseUrl: db.url,
        redisUrl,
        queuePrefix: db.name,
        dir,
        relayGraceMs: SEAL_TIMEOUT_MS,
      }),
      // A failed bootstrap throws (instead of exiting) so the database and the queue are dropped.
      { logger: ['error', 'warn'], abortOnError: false },
    );
    try {
      await untilSealed(client, null, 0);
      await app.get(BulkUsersService).countLogins();
      const start = process.hrtime.bigint();
      await untilSealed(client, BulkBenchUser.name, ROWS);
      return Number(process.hrtime.bigint() - start) / 1e9;
    } finally {
      await app.close();
    }
  } finally {
    await client.end();
    await queue.obliterate({ force: true });
    await queue.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Polls until the outbox holds no row (of `entityType`, when given) and `sealed` events of it are sealed. */
async function untilSealed(client: Client, entityType: string | null, sealed: number): Promise<void> {
  const deadline = Date.now() + SEAL_TIMEOUT_MS;
  for (;;) {
    const { rows } = await client.query<{ pending: number; sealed: number }>(
      `select (select count(*)::int from audit.outbox where $1::text is null or entity_type = $1) as pending,
              (select count(*)::int from audit.events where entity_type = $1) as sealed`,
      [entityType],
    );
    if (rows[0].pending === 0 && (entityType === null || rows[0].sealed === sealed)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${rows[0].sealed} of ${sealed} ${entityType ?? ''} events sealed, ${rows[0].pending} pending`,
      );
    }
    await sleep(POLL_MS);
  }
}
