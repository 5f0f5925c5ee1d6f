import { statedSizeOf, type CheckpointRow } from './log.store';
import { pagesAhead, type EventRow, type HexEventRow } from './sealed-event.mapper';
import { type SqlSession } from './sql-session';

/** The batch that ends at an event: its statement and, format v2, the head's proof under it. */
export interface BatchRow {
  note: string;
  /** The chain_seq of the head it ends at, as stored (unsigned: a hint, never evidence). */
  head_seq: string;
  head_index: number | null;
  head_proof: Buffer | null;
}

/** The jsonb columns of an event, which a log page holds as PostgreSQL's text of them. */
export const JSONB_COLUMNS = [
  'before',
  'after',
  'changes',
  'patch',
  'source',
  'metadata',
  'database_facts',
] as const;
type JsonbColumn = (typeof JSONB_COLUMNS)[number];
export const isJsonb = (column: string) => (JSONB_COLUMNS as readonly string[]).includes(column);

/**
 * A page of the log: the columns the verifier checks (every hashed one, the chain and batch
 * columns; jsonb as text, parsed only where the event hash is checked: verification/hash-verdicts.ts),
 * and the batch ending there (its columns prefixed).
 */
export type LogRow = Omit<EventRow, 'recorded_at' | 'key_set_id' | JsonbColumn> & {
  [column in JsonbColumn]: string | null;
} & {
  batch_note: string | null;
  batch_head_index: number | null;
  batch_head_proof: Buffer | null;
};

/** A stored chain position, as the driver returns it. */
export interface ChainPositionRow {
  entity_type: string;
  entity_id: string;
  chain_seq: string;
  hash: Buffer;
}

/** A row of `audit.chain_heads` (the sealer's record of each entity's last event). */
export interface ChainHeadRow {
  entity_type: string;
  entity_id: string;
  last_seq: string;
  last_hash: Buffer | null;
}

/** Where a successful log verification stopped. */
export interface LogVerificationRow {
  tree_size: string;
  compact_range: string[];
  checkpoint_note: string;
}

/**
 * Every checkpoint, oldest first, as stored. NOTE: unlike log.store's reads, `checkpoint_time`
 * stays as the driver returns it: verifiers trust only the note.
 */
export async function allCheckpoints(db: SqlSession): Promise<CheckpointRow[]> {
  const rows = await db.raw<{ rows: CheckpointRow[] }>(
    'select * from audit.checkpoints order by tree_size, checkpoint_time, id',
  );
  return rows.rows;
}

/** The log head's size and root. */
export async function logHeadRoot(db: SqlSession): Promise<{ tree_size: string; root_hash: Buffer }> {
  const rows = await db.raw<{ rows: { tree_size: string; root_hash: Buffer }[] }>(
    'select * from audit.log_head',
  );
  return rows.rows[0];
}

// NOTE: were tree_size ever not unique (its primary key dropped), an event would come twice:
// the verifier reports that as a sequence failure.
// Only what the verifier reads: the unhashed columns (recorded_at, key_set_id, request_id,
// changed_fields) would cost their parsing on every row of every run.
export const LOG_COLUMNS = [
  'id',
  'entity_type',
  'entity_id',
  'chain_seq',
  'global_seq',
  'hash_alg',
  'prev_hash',
  'hash',
  'tenant_id',
  'action',
  'actor_type',
  'actor_id',
  'actor_display',
  'module',
  'transaction_code',
  'occurred_at',
  'batch_tree_size',
  'key_id',
  'operation_id',
  'origin',
  ...JSONB_COLUMNS,
] satisfies (keyof LogRow)[];
const LOG_PAGE_SQL = `select ${LOG_COLUMNS.map((c) => (isJsonb(c) ? `e.${c}::text as ${c}` : `e.${c}`)).join(', ')},
    b.note as batch_note, b.head_index as batch_head_index,
    b.head_proof as batch_head_proof
  from audit.events e left join audit.batches b on b.tree_size = e.global_seq
  where e.global_seq > ? order by e.global_seq limit ?`;

/** Up to `limit` events after `after` (global_seq), in order, each with the batch statement ending there. */
export async function logPage(db: SqlSession, after: number, limit: number): Promise<LogRow[]> {
  return (await db.raw<{ rows: LogRow[] }>(LOG_PAGE_SQL, [after, limit])).rows;
}

/**
 * The stored positions `chainSeq` of the given entities, live or, when archived, the entity's
 * head at the cut (archive_heads).
 */
export async function chainPositions(
  db: SqlSession,
  wanted: { entityType: string; entityId: string; chainSeq: number }[],
): Promise<ChainPositionRow[]> {
  const rows = await db.raw<{ rows: ChainPositionRow[] }>(
    `with p as (select * from jsonb_to_recordset(?::jsonb) as p(t text, i text, s bigint))
     select e.entity_type, e.entity_id, e.chain_seq, e.hash from audit.events e
       join p on e.entity_type = p.t and e.entity_id = p.i and e.chain_seq = p.s
     union all
     select h.entity_type, h.entity_id, h.chain_seq, h.hash from audit.archive_heads h
       join p on h.entity_type = p.t and h.entity_id = p.i and h.chain_seq = p.s`,
    [JSON.stringify(wanted.map((w) => ({ t: w.entityType, i: w.entityId, s: w.chainSeq })))],
  );
  return rows.rows;
}

/** The newest successful log verification, or null before the first. */
export async function lastLogVerification(db: SqlSession): Promise<LogVerificationRow | null> {
  const rows = await db.raw<{ rows: LogVerificationRow[] }>(
    'select tree_size, compact_range, checkpoint_note from audit.log_verifications order by id desc limit 1',
  );
  return rows.rows[0] ?? null;
}

/** Records where a successful run stopped: an incremental run starts there. */
export async function insertLogVerification(
  db: SqlSession,
  run: { mode: 'FULL' | 'INCREMENTAL'; treeSize: number; compactRange: Buffer[]; checkpointNote: string },
): Promise<void> {
  await db.raw(
    'insert into audit.log_verifications (mode, tree_size, compact_range, checkpoint_note) values (?, ?, ?::jsonb, ?)',
    [
      run.mode,
      run.treeSize,
      JSON.stringify(run.compactRange.map((h) => h.toString('hex'))),
      run.checkpointNote,
    ],
  );
}

/** Every signing key the store holds, with its verifier key. */
export async function storedVerifierKeys(
  db: SqlSession,
): Promise<{ key_id: string; verifier_key: string }[]> {
  const rows = await db.raw<{ rows: { key_id: string; verifier_key: string }[] }>(
    'select key_id, verifier_key from audit.signing_keys',
  );
  return rows.rows;
}

/** The chain head of every entity with at least one event. */
export async function chainHeads(db: SqlSession): Promise<ChainHeadRow[]> {
  const rows = await db.raw<{ rows: ChainHeadRow[] }>(
    'select entity_type, entity_id, last_seq, last_hash from audit.chain_heads where last_seq > 0',
  );
  return rows.rows;
}

/** The batch ending at `treeSize`, or null when there is none. */
export async function batchAt(db: SqlSession, treeSize: number): Promise<BatchRow | null> {
  const rows = await db.raw<{ rows: BatchRow[] }>(
    'select note, head_seq, head_index, head_proof from audit.batches where tree_size = ?',
    [treeSize],
  );
  return rows.rows[0] ?? null;
}

// NOTE: what a reader shows, not `*`: changed_fields (a text[]) and request_id would cost their
// parsing on every event of every trail read. The hashes come as hex text, which readers show (not
// bytea: a Buffer each, encoded back to hex), and the jsonb columns as one JSON array (json, which
// the driver parses): one parse per row instead of seven, the trail's read 20-25% faster.
const TEXT_COLUMNS = [...LOG_COLUMNS, 'recorded_at', 'key_set_id'].filter(
  (c) => !isJsonb(c) && c !== 'prev_hash' && c !== 'hash',
);
const ENTITY_EVENTS_SQL = `select ${TEXT_COLUMNS.join(', ')},
    encode(prev_hash, 'hex') as prev_hash, encode(hash, 'hex') as hash,
    json_build_array(${JSONB_COLUMNS.join(', ')}) as jsonb_columns
  from audit.events where entity_type = ? and entity_id = ? and chain_seq > ? order by chain_seq`;

/** A row of ENTITY_EVENTS_SQL: its jsonb columns in one array, in JSONB_COLUMNS' order. */
type EntityEventRow = Omit<HexEventRow, JsonbColumn> & {
  jsonb_columns: [
    EventRow['before'],
    EventRow['after'],
    EventRow['changes'],
    EventRow['patch'],
    EventRow['source'],
    EventRow['metadata'],
    EventRow['database_facts'],
  ];
};

/** The row in EventRow's shape (its hashes hex), its jsonb columns taken out of their array. */
function eventRowOf(row: EntityEventRow): HexEventRow {
  const [before, after, changes, patch, source, metadata, database_facts] = row.jsonb_columns;
  return {
    id: row.id,
    entity_type: row.entity_type,
    entity_id: row.entity_id,
    chain_seq: row.chain_seq,
    global_seq: row.global_seq,
    hash_alg: row.hash_alg,
    prev_hash: row.prev_hash,
    hash: row.hash,
    tenant_id: row.tenant_id,
    action: row.action,
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    actor_display: row.actor_display,
    module: row.module,
    transaction_code: row.transaction_code,
    occurred_at: row.occurred_at,
    recorded_at: row.recorded_at,
    before,
    after,
    changes,
    patch,
    source,
    metadata,
    batch_tree_size: row.batch_tree_size,
    key_set_id: row.key_set_id,
    key_id: row.key_id,
    operation_id: row.operation_id,
    origin: row.origin,
    database_facts,
  };
}

// Cursors of one transaction need names of their own.
let cursors = 0;

/**
 * One entity's events in chain order, in pages, each asked for before the previous one is handed
 * out (pagesAhead): `firstPage` events by a keyset read, all a short trail needs (one round trip),
 * the rest through a cursor, `pageSize` at a time. Runs in a transaction: the cursor lives until
 * it ends.
 *
 * NOTE: a cursor, not more keyset pages. PostgreSQL estimates `chain_seq > n` over all records, so
 * after the first page of a long trail among short ones it expects a few dozen rows, appends the
 * partitions and sorts every remaining row for each page (on a 1,000,000-event store, 60 ms a
 * page, spilling to disk). A cursor is planned once, for its first rows (cursor_tuple_fraction),
 * which the partitions' index gives in order.
 */
export function entityEventPages(
  db: SqlSession,
  entityType: string,
  entityId: string,
  firstPage: number,
  pageSize: number,
): AsyncGenerator<HexEventRow[]> {
  let keyset = true;
  let cursor: Promise<string> | null = null;
  const declare = async (after: number) => {
    const name = `audit_entity_events_${++cursors}`;
    await db.raw(`declare ${name} no scroll cursor for ${ENTITY_EVENTS_SQL}`, [entityType, entityId, after]);
    return name;
  };
  const read = async (after: number, limit: number): Promise<HexEventRow[]> => {
    if (keyset) {
      keyset = false;
      const page = await db.raw<{ rows: EntityEventRow[] }>(`${ENTITY_EVENTS_SQL} limit ?`, [
        entityType,
        entityId,
        after,
        limit,
      ]);
      return page.rows.map(eventRowOf);
    }
    cursor ??= declare(after);
    const rows = await db.raw<{ rows: EntityEventRow[] }>(`fetch ${Math.trunc(limit)} from ${await cursor}`);
    return rows.rows.map(eventRowOf);
  };
  return pagesAhead(read, (row) => Number(row.chain_seq), 0, pageSize, firstPage);
}

/** What ties an entity's trail to signed data, read in one round trip once its events are read. */
export interface TrailEvidenceRow {
  last_seq: string | null;
  last_hash: Buffer | null;
  batch_note: string | null;
  batch_head_seq: string | null;
  batch_head_index: number | null;
  batch_head_proof: Buffer | null;
  checkpoint_note: string | null;
  witness_held: boolean;
}

/**
 * The entity's chain head row, the batch ending at `batchTreeSize` (its last event's), the newest
 * checkpoint, and whether the database holds the witness's checkpoint (found by its size first:
 * `checkpoints_size_idx`; a note alone would scan every heartbeat ever cut).
 */
export async function trailEvidence(
  db: SqlSession,
  entity: { entityType: string; entityId: string },
  batchTreeSize: number | null,
  witnessNote: string | null,
): Promise<TrailEvidenceRow> {
  const rows = await db.raw<{ rows: TrailEvidenceRow[] }>(
    `select h.last_seq, h.last_hash, b.note as batch_note, b.head_seq as batch_head_seq,
       b.head_index as batch_head_index, b.head_proof as batch_head_proof, c.note as checkpoint_note,
       exists (select 1 from audit.checkpoints w where w.tree_size = ? and w.note = ?) as witness_held
     from (select 1) one
     left join audit.chain_heads h on h.entity_type = ? and h.entity_id = ?
     left join audit.batches b on b.tree_size = ?
     left join lateral (select note from audit.checkpoints
       order by tree_size desc, checkpoint_time desc, id desc limit 1) c on true`,
    [
      (witnessNote === null ? null : statedSizeOf(witnessNote)) ?? -1,
      witnessNote ?? '',
      entity.entityType,
      entity.entityId,
      batchTreeSize ?? -1,
    ],
  );
  return rows.rows[0];
}
