import type { SqlSession } from './sql-session';

/**
 * Runs one SQL statement (`?` placeholders) and returns its rows: what personal-data code hands
 * around, so one call can run on the app's transaction, the store's, or a pool.
 */
export type Sql = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/** Runs statements on a connection or in a transaction. */
export const sqlOn =
  (db: SqlSession): Sql =>
  async <T>(sql: string, params: unknown[]) =>
    (await db.raw<{ rows: T[] }>(sql, params)).rows;

export interface SubjectKeyRow {
  subject_id: string;
  /** Null once the subject is erased (its key destroyed, or a tombstone). */
  wrapped_key: Buffer | null;
}

export interface SubjectKeyStateRow {
  erased: boolean;
  created_at: string | Date;
  erased_at: string | Date | null;
}

export const subjectKeyRows = (sql: Sql, subjects: string[]): Promise<SubjectKeyRow[]> =>
  sql<SubjectKeyRow>(
    'select subject_id, wrapped_key from audit.subject_keys where subject_id = any(?::text[])',
    [subjects],
  );

/** Stores a new wrapped key; false when another writer stored one first (its key wins). */
export async function insertSubjectKey(sql: Sql, subject: string, wrapped: Buffer): Promise<boolean> {
  const inserted = await sql(
    `insert into audit.subject_keys (subject_id, wrapped_key) values (?, ?)
     on conflict do nothing returning subject_id`,
    [subject, wrapped],
  );
  return inserted.length > 0;
}

/** Whether any key is wrapped (then no new key-encryption key may be created). */
export async function anyWrappedSubjectKey(sql: Sql): Promise<boolean> {
  const [{ wrapped }] = await sql<{ wrapped: boolean }>(
    'select exists (select 1 from audit.subject_keys where wrapped_key is not null) as wrapped',
    [],
  );
  return wrapped;
}

/** A tombstone for a subject without a key; false when it has a key row (erase that instead). */
export async function insertErasedSubject(sql: Sql, subject: string, erasedAt: Date): Promise<boolean> {
  const tombstone = await sql(
    `insert into audit.subject_keys (subject_id, wrapped_key, erased_at) values (?, null, ?)
     on conflict do nothing returning subject_id`,
    [subject, erasedAt],
  );
  return tombstone.length > 0;
}

/** Destroys the subject's wrapped key: its sealed values become unreadable. */
export async function destroySubjectKey(sql: Sql, subject: string, erasedAt: Date): Promise<void> {
  await sql('update audit.subject_keys set wrapped_key = null, erased_at = ? where subject_id = ?', [
    erasedAt,
    subject,
  ]);
}

/** The subject's key state; `lock` holds its row for this transaction. */
export async function subjectKeyState(
  sql: Sql,
  subject: string,
  lock: boolean,
): Promise<SubjectKeyStateRow | undefined> {
  const rows = await sql<SubjectKeyStateRow>(
    `select wrapped_key is null as erased, created_at, erased_at from audit.subject_keys
     where subject_id = ?${lock ? ' for update' : ''}`,
    [subject],
  );
  return rows[0];
}
