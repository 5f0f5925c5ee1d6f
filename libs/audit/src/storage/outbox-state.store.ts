import type { MikroORM } from '@mikro-orm/core';
import { outboxesOf } from './audit-store';

/** What waits in the outboxes: rows, the oldest row's age, and rows parked as dead letters. */
export interface OutboxState {
  backlog: number;
  oldestMs: number;
  deadLetters: number;
}

/** Over every outbox (the app's, and a separate store's): one query each. */
export async function outboxState(app: MikroORM, store: MikroORM): Promise<OutboxState> {
  const states = await Promise.all(
    outboxesOf(app, store).map(async (db) => {
      const result = await db.raw<{
        rows: { backlog: number; oldest_ms: string | null; dead_letters: number }[];
      }>(
        `select count(*)::int as backlog, (extract(epoch from now() - min(created_at)) * 1000)::bigint as oldest_ms,
           (count(*) filter (where dead_lettered_at is not null))::int as dead_letters
         from audit.outbox`,
      );
      return result.rows[0];
    }),
  );
  return {
    backlog: states.reduce((n, s) => n + s.backlog, 0),
    oldestMs: Math.max(...states.map((s) => Number(s.oldest_ms ?? 0))),
    deadLetters: states.reduce((n, s) => n + s.dead_letters, 0),
  };
}
