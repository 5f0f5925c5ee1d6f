import type { SqlSession } from './sql-session';

/**
 * Takes the transaction-level advisory lock `name` (released at commit or rollback): serialises one
 * kind of job across workers and processes without a table to lock.
 */
export async function advisoryXactLock(trx: SqlSession, name: string): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [name]);
}
