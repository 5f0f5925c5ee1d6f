import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, PostgreSqlDriver, type EntityManager } from '@mikro-orm/postgresql';
import {
  AUDIT_ENTITIES,
  AUDIT_MIGRATIONS,
  AuditMetrics,
  AuditQueryService,
  DirectoryWitness,
  entityKey,
  headLine,
  noteSignerFromSeed,
  signCheckpoint,
} from '../libs/audit/src';
import { resolveAuditOptions } from '../libs/audit/src/audit-options';
import { PersonalDataReader } from '../libs/audit/src/personal-data/personal-data.reader';
import { SubjectKeys } from '../libs/audit/src/personal-data/subject-keys';
import { TrailVerifier } from '../libs/audit/src/verification/trail-verifier';
import { benchChain } from './bench-chain';
import { createBenchDatabase } from './bench-database';
import { benchKey, median, type Figure } from './figure';

const ORIGIN = 'bench/log';

async function timed(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

/**
 * 1,000,000 events (10,000 entities, 3 tenants, 90 days; BENCH_EVENTS to change) plus one
 * entity with a signed 10,000-event chain, in a database of its own. Measured, median of 5:
 * the verified trail of that entity, a filtered search page, a 30-day report by DAY and ACTION.
 * Baseline: the plain SQL read each one starts from, timed in the same run.
 */
export async function queryVolume(): Promise<Figure[]> {
  const total = Number(process.env.BENCH_EVENTS ?? 1_000_000);
  const db = await createBenchDatabase();
  const dir = await mkdtemp(join(tmpdir(), `${db.name}-`));
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: db.url,
    entities: AUDIT_ENTITIES,
    extensions: [Migrator],
    migrations: { migrationsList: AUDIT_MIGRATIONS, silent: true },
  });
  try {
    await orm.getMigrator().up();
    const knex = (orm.em as EntityManager).getKnex();
    await seedBulk(knex, total);
    const witness = new DirectoryWitness(join(dir, 'witness'));
    await seedSignedTrail(knex, witness, total, 10_000);
    await knex.raw('analyze audit.events');

    const options = resolveAuditOptions({ witness, logOrigin: ORIGIN });
    const queries = new AuditQueryService(
      orm,
      new TrailVerifier(orm, options, new AuditMetrics()),
      new PersonalDataReader(orm, new SubjectKeys(options)),
      options,
    );
    const global = { tenantId: null };
    const since = new Date(Date.now() - 30 * 86_400_000);
    const figures: Figure[] = [];
    const add = (figure: string, value: number, baseline: number) =>
      figures.push({
        name: figure,
        value,
        unit: 'ms',
        baseline,
        ratio: value / baseline,
        target: 1000,
        met: value < 1000,
      });

    add(
      'auditTrail of an entity with 10,000 events, verified',
      await timed(5, () => queries.verifiedTrail(global, 'User', 'hot')),
      await timed(5, () =>
        knex.raw(
          `select * from audit.events where entity_type = 'User' and entity_id = 'hot' order by chain_seq`,
        ),
      ),
    );
    const filter = { tenantId: 't1', actions: ['UPDATE'], from: since, changedFields: ['role'] };
    add(
      `filtered auditEvents page of 50 over ${total.toLocaleString('en')} events`,
      await timed(5, () =>
        queries.search({ tenantId: 't1' }, filter, { first: 50, after: null, descending: true }),
      ),
      await timed(5, () =>
        knex.raw(
          `select * from audit.events where tenant_id = 't1' and action = 'UPDATE' and occurred_at >= ? and changed_fields && '{role}' order by occurred_at desc, global_seq desc limit 51`,
          [since],
        ),
      ),
    );
    add(
      `30-day auditReport by DAY and ACTION over ${total.toLocaleString('en')} events`,
      await timed(5, () => queries.report(global, { from: since, to: new Date() }, ['DAY', 'ACTION'])),
      await timed(5, () => knex.raw(`select count(*) from audit.events where occurred_at >= ?`, [since])),
    );
    return figures;
  } finally {
    await orm.close(true);
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Events for search and reports, generated in SQL (their hashes are not a valid chain). */
async function seedBulk(knex: ReturnType<EntityManager['getKnex']>, total: number): Promise<void> {
  await knex.raw(
    `insert into audit.events (id, entity_type, entity_id, chain_seq, global_seq, hash_alg, prev_hash, hash, tenant_id,
       action, actor_type, actor_id, module, occurred_at, before, after, changes, patch, changed_fields, source,
       request_id, metadata, batch_tree_size, key_set_id, key_id)
     select gen_random_uuid(), (array['User','Order','Invoice'])[1 + i % 3], 'e' || (i % 10000), i / 10000 + 1, i + 1,
       'audit/v1', sha256(int8send(i)), sha256(int8send(i + 1)), 't' || (i % 3),
       (array['UPDATE','UPDATE','UPDATE','CREATE','DELETE','LOGIN_SUCCESS'])[1 + i % 6], 'USER', 'u' || (i % 500),
       (array['identity','billing','orders'])[1 + i % 3], now() - make_interval(secs => (i::bigint * 7776000 / ?)::int),
       '{"role":"user"}', '{"role":"admin"}', '[{"field":"role","before":"user","after":"admin"}]', '[]',
       case when i % 4 = 0 then '{role}'::text[] else '{email}'::text[] end,
       '{"ip":"10.0.0.1","userAgent":"bench","requestId":null,"sessionId":null}', 'r' || i, '{}', i + 1, 'default', 'bench'
     from generate_series(0, ? - 1) as i`,
    [total, total],
  );
}

/** One entity with a real, signed chain of `length` events, after the bulk ones. */
async function seedSignedTrail(
  knex: ReturnType<EntityManager['getKnex']>,
  witness: DirectoryWitness,
  after: number,
  length: number,
): Promise<void> {
  const signer = noteSignerFromSeed(ORIGIN, randomBytes(32));
  const keyId = signer.keyId.toString('hex');
  await witness.publishKey(benchKey(signer));
  const rows = benchChain(length, { entityId: 'hot', tenantId: 't1', firstGlobalSeq: after + 1 });
  const prev = Buffer.from(rows[rows.length - 1].hash, 'hex');
  await knex.raw(
    `insert into audit.events (id, entity_type, entity_id, chain_seq, global_seq, hash_alg, prev_hash, hash, tenant_id,
       action, actor_type, actor_id, actor_display, module, occurred_at, before, after, changes, patch, changed_fields,
       source, metadata, batch_tree_size, key_set_id, key_id)
     select r.id, r."entityType", r."entityId", r."chainSeq", r."globalSeq", 'audit/v1', decode(r."prevHash", 'hex'),
       decode(r.hash, 'hex'), r."tenantId", r.action, 'USER', 'alice', 'alice', r.module, r."occurredAt", r.before, r.after,
       r.changes, r.patch, '{email}', r.source, r.metadata, ?, 'default', ?
     from jsonb_to_recordset(?::jsonb) as r(id uuid, "entityType" text, "entityId" text, "chainSeq" bigint,
       "globalSeq" bigint, "prevHash" text, hash text, "tenantId" text, action text, module text,
       "occurredAt" timestamptz, before jsonb, after jsonb, changes jsonb, patch jsonb, source jsonb, metadata jsonb)`,
    [after + length, keyId, JSON.stringify(rows)],
  );
  await knex.raw(
    `insert into audit.chain_heads (entity_type, entity_id, last_seq, last_hash) values ('User', 'hot', ?, ?)`,
    [length, prev],
  );
  const note = signCheckpoint(
    {
      origin: ORIGIN,
      size: after + length,
      root: prev,
      time: new Date(),
      extensions: [headLine({ key: entityKey('User', 'hot'), chainSeq: length, hash: prev })],
    },
    signer,
  );
  await knex.raw(
    `insert into audit.batches (tree_size, entity_type, entity_id, head_seq, key_id, note) values (?, 'User', 'hot', ?, ?, ?)`,
    [after + length, length, keyId, note],
  );
}
