import type { CompactRange } from '../crypto/compact-range';
import { type SqlSession } from './sql-session';

/** The log head as a checkpoint cutter reads it (not locked: its size and root are one row's). */
export interface LogHeadRow {
  tree_size: string;
  root_hash: Buffer;
  active_key_id: string | null;
}

/** A checkpoint about to be stored, with the compact range the next one is cut from. */
export interface NewCheckpoint {
  size: number;
  root: Buffer;
  headsRoot: Buffer;
  time: Date;
  keyId: string;
  range: CompactRange;
  note: string;
}

/** The log head's size, root and active key, read without a lock. */
export async function readLogHead(trx: SqlSession): Promise<LogHeadRow> {
  const head = await trx.raw<{ rows: LogHeadRow[] }>(
    'select tree_size, root_hash, active_key_id from audit.log_head',
  );
  return head.rows[0];
}

/** The root of the entity-heads map, or null before anything was mapped. */
export async function headMapRoot(trx: SqlSession): Promise<Buffer | null> {
  const root = await trx.raw<{ rows: { hash: Buffer }[] }>(
    "select hash from audit.head_map_nodes where prefix = ''",
  );
  return root.rows[0]?.hash ?? null;
}

/** Stores a signed checkpoint with the compact range its successor is cut from. */
export async function insertCheckpoint(trx: SqlSession, c: NewCheckpoint): Promise<void> {
  await trx.raw(
    `insert into audit.checkpoints (tree_size, root_hash, heads_root, checkpoint_time, key_id, compact_range, note)
         values (?, ?, ?, ?, ?, ?::jsonb, ?)`,
    [
      c.size,
      c.root,
      c.headsRoot,
      c.time,
      c.keyId,
      JSON.stringify(c.range.map((h) => h.toString('hex'))),
      c.note,
    ],
  );
}

/** Records the size of the newest checkpoint on the log head (sealers compare the log with it). */
export async function setCheckpointSize(trx: SqlSession, size: number): Promise<void> {
  await trx.raw('update audit.log_head set checkpoint_size = ?', [size]);
}
