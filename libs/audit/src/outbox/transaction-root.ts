/**
 * Which transaction a savepoint belongs to. The commit hooks fire only for the outermost
 * transaction, so whatever a savepoint collects must be filed under its root.
 *
 * NOTE: MikroORM 7 runs transactions as Kysely `ControlledTransaction`s and keeps no link from a
 * savepoint to its parent (MikroORM 6's knex transaction had one). Two of its internals fill the
 * gap, both pinned by libs/audit/test/transaction-root.int-spec.ts: MikroORM marks a savepoint
 * with `savepointName` (typed on its TransactionEventArgs; its own commit tests it), and a savepoint runs on
 * its root's database connection, which Kysely's public `getExecutor().provideConnection()`
 * hands out. A connection holds one open root transaction at a time.
 */
type Transaction = object;

interface Executes {
  getExecutor(): { provideConnection<T>(use: (connection: object) => Promise<T>): Promise<T> };
}

const rootOf = new WeakMap<Transaction, Transaction>();
const openRootOn = new WeakMap<object, Transaction>();

/** Whether a MikroORM transaction is a savepoint inside another. */
export const isSavepoint = (trx: Transaction): boolean => 'savepointName' in trx;

const connectionOf = async (trx: Transaction): Promise<object | undefined> =>
  typeof (trx as Partial<Executes>).getExecutor === 'function'
    ? (trx as Executes).getExecutor().provideConnection(async (connection) => connection)
    : undefined;

/** Files a transaction MikroORM just started: a root on its connection, a savepoint under that root. */
export async function trackTransaction(trx: Transaction): Promise<void> {
  const connection = await connectionOf(trx);
  if (!connection) return;
  if (!isSavepoint(trx)) {
    openRootOn.set(connection, trx);
    return;
  }
  const root = openRootOn.get(connection);
  if (root) rootOf.set(trx, root);
}

/** The outermost transaction of a (possibly nested) MikroORM transaction. */
export const rootTransaction = (trx: Transaction): Transaction => rootOf.get(trx) ?? trx;
