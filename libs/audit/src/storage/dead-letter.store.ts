import type { SqlSession } from './sql-session';

/** A failed sealing attempt, counted on its outbox row. */
export interface FailureCount {
  attempts: number;
  parked: boolean;
}

export interface DeadLetterRow {
  id: string;
  entity_type: string;
  entity_id: string;
  attempts: number;
  last_error: string;
  dead_lettered_at: Date;
  /** Later events of the same entity waiting behind it. */
  blocked: number;
}

/**
 * Counts a failed attempt on the event's outbox row and parks it at `maxAttempts`; undefined when
 * it is parked already (so no attempt is counted twice against a parked event).
 */
export async function countSealingFailure(
  outbox: SqlSession,
  eventId: string,
  message: string,
  maxAttempts: number,
): Promise<FailureCount | undefined> {
  const result = await outbox.raw<{ rows: FailureCount[] }>(
    `update audit.outbox set attempts = attempts + 1, last_error = ?,
       dead_lettered_at = case when attempts + 1 >= ? then now() end
     where id = ? and dead_lettered_at is null
     returning attempts, dead_lettered_at is not null as parked`,
    [message, maxAttempts, eventId],
  );
  return result.rows[0];
}

/** The parked events of one outbox, oldest first (one of them when `eventId` is given). */
export async function parkedEvents(outbox: SqlSession, eventId?: string): Promise<DeadLetterRow[]> {
  const result = await outbox.raw<{ rows: DeadLetterRow[] }>(
    `select d.id, d.entity_type, d.entity_id, d.attempts, d.last_error, d.dead_lettered_at,
       (select count(*)::int from audit.outbox o where o.entity_type = d.entity_type
          and o.entity_id = d.entity_id and o.seq > d.seq) as blocked
     from audit.outbox d where d.dead_lettered_at is not null ${eventId ? 'and d.id = ?' : ''}
     order by d.seq`,
    eventId ? [eventId] : [],
  );
  return result.rows;
}

/** Unparks an event with fresh attempts; its entity, or undefined when it was not parked here. */
export async function unparkEvent(
  outbox: SqlSession,
  eventId: string,
): Promise<{ entity_type: string; entity_id: string } | undefined> {
  const result = await outbox.raw<{ rows: { entity_type: string; entity_id: string }[] }>(
    `update audit.outbox set dead_lettered_at = null, attempts = 0
     where id = ? and dead_lettered_at is not null returning entity_type, entity_id`,
    [eventId],
  );
  return result.rows[0];
}
