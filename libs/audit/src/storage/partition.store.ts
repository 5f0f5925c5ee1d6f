import { type SqlSession } from './sql-session';

/**
 * Creates the monthly partitions of `audit.events` from this month to `monthsAhead` months on,
 * where missing; returns how many it created.
 */
export async function ensureEventPartitions(db: SqlSession, monthsAhead: number): Promise<number> {
  const result = await db.raw<{ rows: { created: number }[] }>(
    'select audit.ensure_event_partitions(?) as created',
    [monthsAhead],
  );
  return result.rows[0].created;
}
