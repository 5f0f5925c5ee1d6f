import type { JsonObject } from '../events/audit-event';
import { type SqlSession } from './sql-session';

/** An outbox row as the sealer reads it. */
export interface OutboxRow {
  id: string;
  entity_type: string;
  entity_id: string;
  /** An event the application wrote (null for a captured row). */
  payload: unknown;
  /** A captured row's payload as PostgreSQL wrote it (parsed without losing a digit). */
  payload_text: string | null;
  captured: boolean;
  db_txid: string | null;
  db_role: string | null;
  db_time: Date | string | null;
  parked: boolean;
}

/** A row of `audit.chain_heads`: an entity's last sealed `chain_seq` and hash. */
export interface ChainHeadRow {
  entity_type: string;
  entity_id: string;
  last_seq: string;
  last_hash: Buffer | null;
}

/** An entity, as the outbox and `audit.chain_heads` key it. */
export interface EntityKeyRow {
  entity_type: string;
  entity_id: string;
}

/** An entity's new chain head, once its events are chained. */
export interface ChainHeadUpdate {
  entityType: string;
  entityId: string;
  lastSeq: number;
  lastHash: Buffer;
}

/** The outbox columns the sealer reads (`o`: the outbox). */
const OUTBOX_COLUMNS = `o.id, o.entity_type, o.entity_id,
  case when o.captured then null else o.payload end as payload,
  case when o.captured then o.payload::text end as payload_text,
  o.captured, o.db_txid::text as db_txid, o.db_role, o.db_time, o.dead_lettered_at is not null as parked`;

/** Entity keys passed as one JSON parameter. */
const KEYS = 'jsonb_to_recordset(?::jsonb) as k(entity_type text, entity_id text)';
const ORDERED_KEYS = 'jsonb_to_recordset(?::jsonb) as k(entity_type text, entity_id text, ord int)';

/** The entities of the outbox rows `ids` still waiting there, unparked. */
export async function waitingEntities(outbox: SqlSession, ids: string[]): Promise<EntityKeyRow[]> {
  const rows = await outbox.raw<{ rows: EntityKeyRow[] }>(
    `select distinct entity_type, entity_id from audit.outbox
         where id = any(?::uuid[]) and dead_lettered_at is null`,
    [ids],
  );
  return rows.rows;
}

/** Whether the outbox holds an unparked row of the entity. */
export async function outboxHoldsEntity(
  outbox: SqlSession,
  entityType: string,
  entityId: string,
): Promise<boolean> {
  const waiting = await outbox.raw<{ rows: unknown[] }>(
    'select 1 from audit.outbox where entity_type = ? and entity_id = ? and dead_lettered_at is null limit 1',
    [entityType, entityId],
  );
  return waiting.rows.length > 0;
}

/** Creates the entity's chain-head row in `trx` unless it exists. */
export async function ensureChainHead(trx: SqlSession, entityType: string, entityId: string): Promise<void> {
  await trx.raw(
    'insert into audit.chain_heads (entity_type, entity_id) values (?, ?) on conflict do nothing',
    [entityType, entityId],
  );
}

/** Locks the entity's chain head, waiting for the sealer that holds it. */
export async function lockChainHead(
  trx: SqlSession,
  entityType: string,
  entityId: string,
): Promise<ChainHeadRow> {
  const head = await trx.raw<{ rows: ChainHeadRow[] }>(
    `select entity_type, entity_id, last_seq, last_hash from audit.chain_heads
           where entity_type = ? and entity_id = ? for update`,
    [entityType, entityId],
  );
  return head.rows[0];
}

/** The entity's oldest `limit` outbox rows, parked ones included (the caller stops before them). */
export async function oldestOutboxRows(
  outbox: SqlSession,
  entityType: string,
  entityId: string,
  limit: number,
): Promise<OutboxRow[]> {
  const rows = await outbox.raw<{ rows: OutboxRow[] }>(
    `select ${OUTBOX_COLUMNS}
           from audit.outbox o where entity_type = ? and entity_id = ? order by seq limit ?`,
    [entityType, entityId, limit],
  );
  return rows.rows;
}

/**
 * The entities of the oldest `window` waiting rows, oldest first, leaving out entities blocked by a
 * dead letter (its retry takes them). NOTE: no `o.dead_lettered_at is null` filter: the anti-join
 * already drops a parked row (its own entity is blocked), and without statistics (a queue's are
 * always stale) PostgreSQL guesses that filter keeps 0.5% of the rows, then scans and sorts the whole
 * outbox instead of walking its key in order (measured: 59 ms against 7 ms over 20,000 rows).
 */
export async function batchCandidates(source: SqlSession, window: number): Promise<EntityKeyRow[]> {
  const candidates = await source.raw<{ rows: EntityKeyRow[] }>(
    `select entity_type, entity_id from (
         select entity_type, entity_id, seq from audit.outbox o
         where not exists (select 1 from audit.outbox d where d.entity_type = o.entity_type
                             and d.entity_id = o.entity_id and d.dead_lettered_at is not null)
         order by seq limit ${window}) w
       group by entity_type, entity_id order by min(seq)`,
  );
  return candidates.rows;
}

/**
 * Locks the chain heads of up to `limit` of `candidates`, in their order, skipping heads other
 * sealers hold. NOTE: the outbox is read by `batchCandidates`, not joined here: over a large outbox
 * the planner hashes and sorts all of it for that join (measured: 73 ms at 50,000 rows).
 */
export async function lockFreeChainHeads(
  trx: SqlSession,
  candidates: EntityKeyRow[],
  limit: number,
): Promise<ChainHeadRow[]> {
  const heads = await trx.raw<{ rows: ChainHeadRow[] }>(
    `select h.entity_type, h.entity_id, h.last_seq, h.last_hash
       from audit.chain_heads h join ${ORDERED_KEYS} using (entity_type, entity_id)
       order by k.ord limit ${limit} for update of h skip locked`,
    [JSON.stringify(candidates.map((c, ord) => ({ ...c, ord })))],
  );
  return heads.rows;
}

/** Locks the chain heads of `entities` in key order (two such transactions never deadlock). */
export async function lockChainHeads(trx: SqlSession, entities: EntityKeyRow[]): Promise<ChainHeadRow[]> {
  const heads = await trx.raw<{ rows: ChainHeadRow[] }>(
    `select entity_type, entity_id, last_seq, last_hash from audit.chain_heads
       where (entity_type, entity_id) in (select entity_type, entity_id from ${KEYS})
       order by entity_type, entity_id for update`,
    [JSON.stringify(entities)],
  );
  return heads.rows;
}

/** Creates the chain-head rows `entities` lack, in key order (no deadlock). */
export async function ensureChainHeads(db: SqlSession, entities: EntityKeyRow[]): Promise<void> {
  await db.raw(
    `insert into audit.chain_heads (entity_type, entity_id)
       select entity_type, entity_id from ${KEYS}
       where not exists (select 1 from audit.chain_heads h
                         where h.entity_type = k.entity_type and h.entity_id = k.entity_id)
       order by entity_type, entity_id on conflict do nothing`,
    [JSON.stringify(entities)],
  );
}

/**
 * The oldest `limit` outbox rows of `entities`, oldest first. The rows are picked by seq alone,
 * then read: sorting whole rows (payloads) spills to disk.
 */
export async function oldestRowsOf(
  outbox: SqlSession,
  entities: EntityKeyRow[],
  limit: number,
): Promise<OutboxRow[]> {
  const rows = await outbox.raw<{ rows: OutboxRow[] }>(
    `with picked as (
         select o.seq from audit.outbox o join ${KEYS} using (entity_type, entity_id)
         order by o.seq limit ${limit})
       select ${OUTBOX_COLUMNS}
       from audit.outbox o join picked using (seq) order by o.seq`,
    [JSON.stringify(entities.map(({ entity_type, entity_id }) => ({ entity_type, entity_id })))],
  );
  return rows.rows;
}

/** Deletes the outbox rows `ids` (sealed, in this transaction or the store's). */
export async function deleteOutboxRows(db: SqlSession, ids: string[]): Promise<void> {
  await db.raw('delete from audit.outbox where id = any(?::uuid[])', [ids]);
}

/** The ids among `ids` sealed already (a separate store's outbox rows outlive the seal). */
export async function sealedIds(trx: SqlSession, ids: string[]): Promise<string[]> {
  const sealed = await trx.raw<{ rows: { id: string }[] }>(
    'select id from audit.events where id = any(?::uuid[])',
    [ids],
  );
  return sealed.rows.map((r) => r.id);
}

/** Moves the chain heads of the entities just chained, in one statement. */
export async function updateChainHeads(trx: SqlSession, heads: ChainHeadUpdate[]): Promise<void> {
  await trx.raw(
    `update audit.chain_heads h set last_seq = v.last_seq, last_hash = decode(v.last_hash, 'hex'), updated_at = now()
       from jsonb_to_recordset(?::jsonb) as v(entity_type text, entity_id text, last_seq bigint, last_hash text)
       where h.entity_type = v.entity_type and h.entity_id = v.entity_id`,
    [
      JSON.stringify(
        heads.map((h) => ({
          entity_type: h.entityType,
          entity_id: h.entityId,
          last_seq: h.lastSeq,
          last_hash: h.lastHash.toString('hex'),
        })),
      ),
    ],
  );
}

/**
 * Each of `heads`' latest `after` with a snapshot, up to its head (domain events have none), in
 * one query: what the next event's `before` is compared with.
 */
export async function lastAfters(
  trx: SqlSession,
  heads: ChainHeadRow[],
): Promise<(EntityKeyRow & { after: JsonObject | null })[]> {
  const rows = await trx.raw<{
    rows: { entity_type: string; entity_id: string; after: JsonObject | null }[];
  }>(
    `select k.entity_type, k.entity_id, e.after
       from jsonb_to_recordset(?::jsonb) as k(entity_type text, entity_id text, last_seq bigint)
       cross join lateral (
         select after from audit.events e
         where e.entity_type = k.entity_type and e.entity_id = k.entity_id and e.chain_seq <= k.last_seq
           and (e.before is not null or e.after is not null)
         order by e.chain_seq desc limit 1) e`,
    [
      JSON.stringify(
        heads.map((head) => ({
          entity_type: head.entity_type,
          entity_id: head.entity_id,
          last_seq: Number(head.last_seq),
        })),
      ),
    ],
  );
  return rows.rows;
}
