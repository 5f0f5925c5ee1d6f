import { type SqlSession } from './sql-session';

/** The columns of an `audit.events` row as the sealer serialises it (`key_id` comes apart). */
const COLUMN_DEFS: [string, string][] = [
  ['id', 'uuid'],
  ['entity_type', 'text'],
  ['entity_id', 'text'],
  ['chain_seq', 'bigint'],
  ['global_seq', 'bigint'],
  ['hash_alg', 'text'],
  ['prev_hash', 'bytea'],
  ['hash', 'bytea'],
  ['tenant_id', 'text'],
  ['action', 'text'],
  ['actor_type', 'text'],
  ['actor_id', 'text'],
  ['actor_display', 'text'],
  ['module', 'text'],
  ['transaction_code', 'text'],
  ['occurred_at', 'timestamptz'],
  ['before', 'jsonb'],
  ['after', 'jsonb'],
  ['changes', 'jsonb'],
  ['patch', 'jsonb'],
  ['changed_fields', 'text[]'],
  ['source', 'jsonb'],
  ['request_id', 'text'],
  ['metadata', 'jsonb'],
  ['operation_id', 'uuid'],
  ['origin', 'text'],
  ['database_facts', 'jsonb'],
  ['batch_tree_size', 'bigint'],
  ['key_set_id', 'text'],
];
const COLUMNS = [...COLUMN_DEFS.map(([name]) => name), 'key_id'];
// Hashes travel through JSON as hex text and are decoded into bytea; positions are offsets from
// the tree size read under the lock (the rows were serialised before it was taken).
const SELECTED = [
  ...COLUMN_DEFS.map(([name, type]) =>
    type === 'bytea'
      ? `decode(r.${name}, 'hex')`
      : name === 'global_seq' || name === 'batch_tree_size'
        ? `p.base + r.${name}`
        : `r.${name}`,
  ),
  'p.key_id',
];
const COLUMN_TYPES = COLUMN_DEFS.map(([name, type]) => `${name} ${type === 'bytea' ? 'text' : type}`).join(
  ', ',
);

/** The log head as `appendEvents` locked it, before the append. */
export interface LockedLogHeadRow {
  tree_size: string;
  compact_range: string[];
  active_key_id: string | null;
  checkpoint_size: string;
  /** The events' `recorded_at`, exactly (the new log head's `updated_at`). */
  sealed_at: string;
}

/** The new log head, once the events are appended. */
export interface LogUpdate {
  keyId: string;
  treeSize: number;
  compactRange: string;
  root: Buffer;
  sealedAt: string;
}

/**
 * Locks the log head, the lock every sealer in every process queues on, and appends the events
 * after it, in one statement. NOTE: the statement waits for the lock itself, so the rows (megabytes
 * of JSON) are sent and parsed before it waits, not while every other sealer waits; the caller
 * holds the lock for this insert, the signatures and `appendBatches`. Nothing is inserted unless a
 * key is active and the log holds `witnessedSize` events at least (the caller checks the head).
 * `recorded_at` is stamped under the lock and never goes back (the log head keeps the last stamp),
 * so each monthly partition of `audit.events` is one contiguous stretch of the log.
 */
export async function appendEvents(
  trx: SqlSession,
  rowsJson: string,
  witnessedSize: number,
): Promise<LockedLogHeadRow> {
  const head = await trx.raw<{ rows: LockedLogHeadRow[] }>(
    `with head as (
         select tree_size, compact_range, active_key_id, checkpoint_size, updated_at
         from audit.log_head for update),
       p as (select tree_size as base, active_key_id as key_id from head),
       sealed_at as (select greatest(clock_timestamp(), updated_at) as at from head),
       sealed as (
         insert into audit.events (${COLUMNS.join(', ')}, recorded_at)
         select ${SELECTED.join(', ')}, (select at from sealed_at)
         from jsonb_to_recordset(?::jsonb) as r(${COLUMN_TYPES}) cross join p
         where p.key_id is not null and p.base >= ?
       )
       select tree_size, compact_range, active_key_id, checkpoint_size, (select at from sealed_at)::text as sealed_at
       from head`,
    [rowsJson, witnessedSize],
  );
  return head.rows[0];
}

/** The batch statements and the new log head, in one statement, after `appendEvents`. */
export async function appendBatches(trx: SqlSession, batchesJson: string, u: LogUpdate): Promise<void> {
  await trx.raw(
    `with batch as (
         insert into audit.batches (tree_size, entity_type, entity_id, head_seq, key_id, note, head_index, head_proof)
         select b.tree_size, b.entity_type, b.entity_id, b.head_seq, ?, b.note, b.head_index,
           decode(b.head_proof, 'hex')
         from jsonb_to_recordset(?::jsonb)
           as b(tree_size bigint, entity_type text, entity_id text, head_seq bigint, note text,
             head_index integer, head_proof text)
       )
       update audit.log_head set tree_size = ?, compact_range = ?::jsonb, root_hash = ?,
         updated_at = ?::timestamptz`,
    [u.keyId, batchesJson, u.treeSize, u.compactRange, u.root, u.sealedAt],
  );
}
