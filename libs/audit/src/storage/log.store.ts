import { statedCheckpoint } from '../crypto/checkpoint';
import type { CompactRange } from '../crypto/compact-range';
import { merkleLeafHash } from '../crypto/merkle';
import { type SqlSession } from './sql-session';

/** A row of `audit.checkpoints` (the columns are for queries; verifiers trust only the note). */
export interface CheckpointRow {
  id: string;
  tree_size: string;
  checkpoint_time: Date;
  key_id: string;
  compact_range: string[];
  note: string;
}

/** A leaf of the global log with what the entity-heads map needs. */
export interface LeafRow {
  global_seq: string;
  hash: Buffer;
  entity_type: string;
  entity_id: string;
  chain_seq: string;
}

export const rangeOf = (row: CheckpointRow): CompactRange =>
  row.compact_range.map((h) => Buffer.from(h, 'hex'));

// NOTE: MikroORM's pg connection returns timestamps as text; rows leave this module with Dates.
const withDate = (row: CheckpointRow | undefined): CheckpointRow | null =>
  row ? { ...row, checkpoint_time: new Date(row.checkpoint_time) } : null;

/** How many leaves the log holds (`audit.log_head`); 0 before the first. */
export async function logSize(db: SqlSession): Promise<number> {
  const head = await db.raw<{ rows: { tree_size: string }[] }>('select tree_size from audit.log_head');
  return Number(head.rows[0]?.tree_size ?? 0);
}

/** How many checkpoints the store has cut. */
export async function checkpointCount(db: SqlSession): Promise<number> {
  const rows = await db.raw<{ rows: { n: number }[] }>('select count(*)::int as n from audit.checkpoints');
  return rows.rows[0].n;
}

/** The newest checkpoint: the largest tree, the latest time among equal trees. */
export async function latestCheckpoint(db: SqlSession): Promise<CheckpointRow | null> {
  return (await latestCheckpoints(db, 1))[0] ?? null;
}

/** The newest `count` checkpoints, newest first. */
export async function latestCheckpoints(db: SqlSession, count: number): Promise<CheckpointRow[]> {
  const rows = await db.raw<{ rows: CheckpointRow[] }>(
    'select * from audit.checkpoints order by tree_size desc, checkpoint_time desc, id desc limit ?',
    [count],
  );
  return rows.rows.map((r) => withDate(r)!);
}

/**
 * The stored checkpoint with exactly this note, looked up by the size it states first (the
 * `checkpoints_size_idx`): by note alone, every call would scan every heartbeat ever cut.
 */
export async function checkpointByNote(db: SqlSession, note: string): Promise<CheckpointRow | null> {
  const size = statedSizeOf(note);
  if (size === null) return null; // not a checkpoint: no stored one is this text
  const rows = await db.raw<{ rows: CheckpointRow[] }>(
    'select * from audit.checkpoints where tree_size = ? and note = ?',
    [size, note],
  );
  return withDate(rows.rows[0]);
}

/** The tree size a note states (unverified: only to find the stored row), null if it states none. */
export function statedSizeOf(note: string): number | null {
  try {
    return statedCheckpoint(note).size;
  } catch {
    return null;
  }
}

/** Leaves `from + 1 … to` (global_seq), in order. */
export async function leavesBetween(db: SqlSession, from: number, to: number): Promise<LeafRow[]> {
  const rows = await db.raw<{ rows: LeafRow[] }>(
    `select global_seq, hash, entity_type, entity_id, chain_seq from audit.events
     where global_seq > ? and global_seq <= ? order by global_seq`,
    [from, to],
  );
  return rows.rows;
}

/** The leaf hashes of `rows`, or null unless they are exactly leaves `from + 1 … to`, with no gap. */
export function leafHashes(rows: LeafRow[], from: number, to: number): Buffer[] | null {
  const complete = rows.length === to - from && rows.every((r, i) => Number(r.global_seq) === from + i + 1);
  return complete ? rows.map((r) => merkleLeafHash(r.hash)) : null;
}
