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

/** The log head after the append; `base` is the tree size the rows' positions are offsets from. */
export interface LogUpdate {
  base: number;
  keyId: string;
  treeSize: number;
  compactRange: string;
  root: Buffer;
}

/**
 * The events, their batch statements and the new log head in one statement: one round trip while
 * the log head is locked, not three (every sealer in every process queues on that lock).
 * `recorded_at` is stamped here, under that lock, and never goes back (the log head keeps the
 * last stamp), so each monthly partition of `audit.events` is one contiguous stretch of the log.
 */
export async function appendEventsAndBatches(
  trx: SqlSession,
  rowsJson: string,
  batchesJson: string,
  u: LogUpdate,
): Promise<void> {
  await trx.raw(
    `with p as (select ?::bigint as base, ?::text as key_id),
       sealed_at as (select greatest(clock_timestamp(), updated_at) as at from audit.log_head),
       sealed as (
         insert into audit.events (${COLUMNS.join(', ')}, recorded_at)
         select ${SELECTED.join(', ')}, (select at from sealed_at)
         from jsonb_to_recordset(?::jsonb) as r(${COLUMN_TYPES}) cross join p
       ), batch as (
         insert into audit.batches (tree_size, entity_type, entity_id, head_seq, key_id, note, head_index, head_proof)
         select b.tree_size, b.entity_type, b.entity_id, b.head_seq, p.key_id, b.note, b.head_index,
           decode(b.head_proof, 'hex')
         from jsonb_to_recordset(?::jsonb)
           as b(tree_size bigint, entity_type text, entity_id text, head_seq bigint, note text,
             head_index integer, head_proof text) cross join p
       )
       update audit.log_head set tree_size = ?, compact_range = ?::jsonb, root_hash = ?,
         updated_at = (select at from sealed_at)`,
    [u.base, u.keyId, rowsJson, batchesJson, u.treeSize, u.compactRange, u.root],
  );
}
