import type { SqlSession } from './sql-session';

/** Milliseconds since the newest checkpoint, or null when none was cut yet. */
export async function checkpointAgeMs(db: SqlSession): Promise<number | null> {
  const { rows } = await db.raw<{ rows: { age_ms: number | string | null }[] }>(
    `select (extract(epoch from now() - max(checkpoint_time)) * 1000)::bigint as age_ms from audit.checkpoints`,
  );
  return rows[0]?.age_ms === null || rows[0]?.age_ms === undefined ? null : Number(rows[0].age_ms);
}

/**
 * Reads the log head: fails when the database is unreachable or the audit migrations have not run
 * (MikroORM connects lazily, so nothing else would say so before the first real query).
 */
export async function probeLogHead(db: SqlSession): Promise<void> {
  await db.raw('select tree_size from audit.log_head limit 1');
}

/** The id of the event at `globalSeq`, if the store holds one. */
export async function eventIdAt(db: SqlSession, globalSeq: number): Promise<string | null> {
  const { rows } = await db.raw<{ rows: { id: string }[] }>(
    'select id from audit.events where global_seq = ?',
    [globalSeq],
  );
  return rows[0]?.id ?? null;
}
