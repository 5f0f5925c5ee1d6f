import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection, EntityManager, IsolationLevel } from '@mikro-orm/postgresql';
import { CompiledQuery, type Kysely } from 'kysely';
import { AuditInvariantError } from '../errors/audit-invariant.error';

/** What a statement returned: its rows, and how many rows it changed (or returned). */
export type SqlResult<R extends { rows: unknown[] }> = R & { rowCount: number };

/** A pool or a (controlled) transaction of MikroORM's Kysely: both run compiled queries. */
type Runner = Pick<Kysely<unknown>, 'executeQuery'>;

/**
 * Hand-written SQL (everything in `storage/` and the few statements next to the code that needs
 * them) on MikroORM 7's own connection. MikroORM 7 replaced knex with Kysely; `em.execute` inlines
 * parameters into the SQL text, so statements go through Kysely's `executeQuery` instead, where the
 * driver binds them (`$1`, …) as knex did. The text keeps knex's placeholder: `?` is a value, `\?`
 * a literal question mark (a jsonb operator).
 */
export class SqlSession {
  constructor(
    private readonly runner: Runner,
    private readonly connection: AbstractSqlConnection,
  ) {}

  async raw<R extends { rows: unknown[] } = { rows: Record<string, unknown>[] }>(
    text: string,
    params: readonly unknown[] = [],
  ): Promise<SqlResult<R>> {
    const result = await this.runner.executeQuery(
      CompiledQuery.raw(positional(text, params.length), [...params]),
    );
    const rowCount =
      result.numAffectedRows === undefined ? result.rows.length : Number(result.numAffectedRows);
    return { rows: result.rows, rowCount } as SqlResult<R>;
  }

  /**
   * Whether both run on one MikroORM connection (one database and pool). NOTE: sessions are made
   * per call, so `===` between two of them is always false: compare with this instead.
   */
  sameDatabase(other: SqlSession): boolean {
    return this.connection === other.connection;
  }

  /** Runs `work` in a transaction: a new one on a pool, a savepoint inside a transaction. */
  transaction<T>(
    work: (trx: SqlSession) => Promise<T>,
    options: { isolationLevel?: IsolationLevel; readOnly?: boolean } = {},
  ): Promise<T> {
    const ctx = isTransaction(this.runner) ? this.runner : undefined;
    return this.connection.transactional((trx) => work(new SqlSession(trx, this.connection)), {
      ...options,
      ctx: ctx as never,
    });
  }
}

const isTransaction = (runner: Runner): boolean =>
  typeof (runner as { savepoint?: unknown }).savepoint === 'function';

/** knex's placeholders to PostgreSQL's: the n-th unescaped `?` becomes `$n`; `\?` stays `?`. */
export function positional(text: string, expected: number): string {
  let n = 0;
  const out = text.replace(/\\\?|\?/g, (m) => (m === '?' ? `$${++n}` : '?'));
  if (n !== expected) throw new AuditInvariantError(`SQL expects ${n} parameters, got ${expected}`);
  return out;
}

type AnyEntityManager = EntityManager | { getKysely?: unknown; getConnection(): unknown };
const connectionOf = (em: AnyEntityManager) => (em as EntityManager).getConnection() as AbstractSqlConnection;

/** SQL on the connection pool of `orm` (outside any transaction its EntityManager is in). */
export function sqlOf(orm: MikroORM | AnyEntityManager): SqlSession {
  const em = 'em' in orm ? (orm.em as AnyEntityManager) : orm;
  const connection = connectionOf(em);
  return new SqlSession(connection.getClient(), connection);
}

/** SQL inside the transaction `em` is in, or on its pool when it is in none. */
export function sqlCurrent(em: AnyEntityManager): SqlSession {
  const trx = (em as EntityManager).getTransactionContext<Runner & object>();
  return trx ? new SqlSession(trx, connectionOf(em)) : sqlOf(em);
}

/** SQL inside the transaction `em` must be in (inside `em.transactional`). */
export function sqlIn(em: AnyEntityManager): SqlSession {
  const trx = (em as EntityManager).getTransactionContext<Runner & object>();
  if (!trx) throw new AuditInvariantError('sqlIn: the EntityManager is in no transaction');
  return new SqlSession(trx, connectionOf(em));
}

/** SQL inside a transaction MikroORM handed over (a transaction event's `transaction`). */
export const sqlInTransaction = (trx: object, em: AnyEntityManager): SqlSession =>
  new SqlSession(trx as Runner, connectionOf(em));
