import type { SqlSession } from './sql-session';

/**
 * Creates a sink's cursor if it has none: at the log's current size (`fromStart` false: only new
 * events) or at 0 (everything sealed so far).
 */
export async function ensureForwardCursor(db: SqlSession, sink: string, fromStart: boolean): Promise<void> {
  await db.raw(
    `insert into audit.forward_cursors (sink, global_seq)
     select ?, ${fromStart ? '0' : 'tree_size'} from audit.log_head on conflict (sink) do nothing`,
    [sink],
  );
}

export async function forwardCursors(db: SqlSession, sinks: string[]): Promise<Map<string, number>> {
  const result = await db.raw<{ rows: { sink: string; global_seq: string }[] }>(
    'select sink, global_seq from audit.forward_cursors where sink = any(?)',
    [sinks],
  );
  return new Map(result.rows.map((r) => [r.sink, Number(r.global_seq)]));
}

/** How many events each sink is behind the log (its size minus the cursor). */
export async function forwardLag(db: SqlSession, sinks: string[]): Promise<Map<string, number>> {
  const result = await db.raw<{ rows: { sink: string; lag: string }[] }>(
    `select c.sink, greatest(h.tree_size - c.global_seq, 0) as lag
     from audit.forward_cursors c cross join audit.log_head h where c.sink = any(?)`,
    [sinks],
  );
  return new Map(result.rows.map((r) => [r.sink, Number(r.lag)]));
}

/**
 * The sink's cursor, held for this transaction; null when another worker holds it (skip locked:
 * one sender per sink) or the row was deleted to start the sink again.
 */
export async function lockForwardCursor(trx: SqlSession, sink: string): Promise<number | null> {
  const result = await trx.raw<{ rows: { global_seq: string }[] }>(
    'select global_seq from audit.forward_cursors where sink = ? for update skip locked',
    [sink],
  );
  return result.rows.length === 0 ? null : Number(result.rows[0].global_seq);
}

export async function moveForwardCursor(trx: SqlSession, sink: string, globalSeq: number): Promise<void> {
  await trx.raw('update audit.forward_cursors set global_seq = ?, updated_at = now() where sink = ?', [
    globalSeq,
    sink,
  ]);
}
