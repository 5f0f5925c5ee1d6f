import type { BundleProof } from '../export/bundle-manifest';
import type { EventRow } from './sealed-event.mapper';
import { type SqlSession } from './sql-session';

/** A leaf of the global log: its position and event hash. */
export interface LeafHashRow {
  global_seq: string;
  hash: Buffer;
}

/** A signed note over a tree size: a batch statement or a checkpoint. */
/** Where a page of proofs ends: (tree_size, type, ord) of its last row. */
export type ProofCursor = [number, string, string];

export interface ProofRow {
  type: BundleProof['type'];
  tree_size: string;
  /** 0 for a batch, the checkpoint's id (the order checkpoints were cut in) for a checkpoint. */
  ord: string;
  note: string;
  /** Batches only, format v2: the head's place among those its transaction moved. */
  entity_type: string | null;
  entity_id: string | null;
  head_seq: string | null;
  head_index: number | null;
  head_proof: Buffer | null;
}

/** A signed point of the log: a checkpoint or an archive cut, with its compact range. */
export interface SignedPointRow {
  size: string;
  range: string[];
  note: string;
}

/** The global_seq range of the events recorded in [from, to), or null when there are none. */
export async function recordedSeqRange(
  db: SqlSession,
  from: Date,
  to: Date,
): Promise<{ from: number; to: number } | null> {
  const rows = await db.raw<{ rows: { first: string | null; last: string | null }[] }>(
    'select min(global_seq) as first, max(global_seq) as last from audit.events where recorded_at >= ? and recorded_at < ?',
    [from, to],
  );
  const { first, last } = rows.rows[0];
  return first === null || last === null ? null : { from: Number(first), to: Number(last) };
}

/** The tree size of the batch that signed event `seq`; null when it has none (or no such event). */
export async function batchTreeSizeOf(db: SqlSession, seq: number): Promise<number | null> {
  const rows = await db.raw<{ rows: { batch_tree_size: string | null }[] }>(
    'select batch_tree_size from audit.events where global_seq = ?',
    [seq],
  );
  const size = rows.rows[0]?.batch_tree_size;
  return size ? Number(size) : null;
}

/** Up to `limit` leaves after `after`, up to `to` (global_seq), in order. */
export async function leafPage(
  db: SqlSession,
  after: number,
  to: number,
  limit: number,
): Promise<LeafHashRow[]> {
  const rows = await db.raw<{ rows: LeafHashRow[] }>(
    'select global_seq, hash from audit.events where global_seq > ? and global_seq <= ? order by global_seq limit ?',
    [after, to, limit],
  );
  return rows.rows;
}

/** Up to `limit` events after `after`, up to `to` (global_seq), of the entity type and tenant when given. */
export async function selectedEventPage(
  db: SqlSession,
  after: number,
  to: number,
  selection: { entityType: string | null; tenantId: string | null },
  limit: number,
): Promise<EventRow[]> {
  const filters = [
    ...(selection.entityType ? [['entity_type', selection.entityType]] : []),
    ...(selection.tenantId ? [['tenant_id', selection.tenantId]] : []),
  ];
  const rows = await db.raw<{ rows: EventRow[] }>(
    `select * from audit.events where global_seq > ? and global_seq <= ?
     ${filters.map(([column]) => `and ${column} = ?`).join(' ')} order by global_seq limit ?`,
    [after, to, ...filters.map(([, value]) => value), limit],
  );
  return rows.rows;
}

/**
 * Up to `limit` batch statements (sizes in (from, to]) and checkpoints (sizes in [from, to]) merged
 * by tree size, a batch first at equal sizes, checkpoints of one size in the order they were cut
 * (a verifier refuses a checkpoint time going back), after the position `after`: paged on
 * (tree_size, type, ord), unique per row (a batch's tree size is its key; a checkpoint's id), so
 * a page boundary never splits or repeats a row, however many checkpoints share a size.
 */
export async function proofPage(
  db: SqlSession,
  from: number,
  to: number,
  after: ProofCursor,
  limit: number,
): Promise<ProofRow[]> {
  const rows = await db.raw<{ rows: ProofRow[] }>(
    `select * from (
       select 'batch' as type, tree_size, 0::bigint as ord, note, entity_type, entity_id, head_seq,
         head_index, head_proof
         from audit.batches where tree_size > ? and tree_size <= ?
       union all
       select 'checkpoint' as type, tree_size, id as ord, note, null, null, null, null, null
         from audit.checkpoints where tree_size >= ? and tree_size <= ?
     ) p where (tree_size, type, ord) > (?, ?, ?) order by tree_size, type, ord limit ?`,
    [from, to, from, to, after[0], after[1], after[2], limit],
  );
  return rows.rows;
}

/** The newest checkpoint or archive cut at or before `size`, or null when there is none. */
export async function signedPointAtOrBefore(db: SqlSession, size: number): Promise<SignedPointRow | null> {
  const rows = await db.raw<{ rows: SignedPointRow[] }>(
    `select * from (
       (select tree_size as size, compact_range as range, note from audit.checkpoints
         where tree_size <= ? order by tree_size desc limit 1)
       union all
       (select to_seq as size, end_range as range, seal_note as note from audit.archive_segments
         where to_seq <= ? order by to_seq desc limit 1)
     ) a order by size desc limit 1`,
    [size, size],
  );
  return rows.rows[0] ?? null;
}
