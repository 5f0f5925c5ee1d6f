import { type SqlSession } from './sql-session';

/** An outbox row as the relay re-enqueues it. */
export interface RelayableRow {
  id: string;
  entity_type: string;
  entity_id: string;
}

/**
 * Up to `batchSize` outbox rows older than `graceMs`, oldest first. Entities blocked by a dead
 * letter wait for its retry (AuditDeadLetters), not for the relay.
 */
export async function relayableRows(
  db: SqlSession,
  graceMs: number,
  batchSize: number,
): Promise<RelayableRow[]> {
  const result = await db.raw<{ rows: RelayableRow[] }>(
    `select id, entity_type, entity_id from audit.outbox o
       where created_at < now() - make_interval(secs => ?)
         and not exists (select 1 from audit.outbox d where d.entity_type = o.entity_type
                         and d.entity_id = o.entity_id and d.dead_lettered_at is not null)
       order by seq limit ?`,
    [graceMs / 1000, batchSize],
  );
  return result.rows;
}
