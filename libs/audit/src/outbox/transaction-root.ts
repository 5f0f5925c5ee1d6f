type Transaction = object;

// MikroORM's knex connection links a savepoint to its parent under this symbol; no public API
// exposes the root transaction, and the commit hooks fire only for the root.
const PARENT_DESCRIPTION = 'parentTransaction';

const parentOf = (trx: Transaction): Transaction | undefined => {
  const key = Object.getOwnPropertySymbols(trx).find((s) => s.description === PARENT_DESCRIPTION);
  return key ? ((trx as Record<symbol, Transaction>)[key] ?? undefined) : undefined;
};

/** The outermost transaction of a (possibly nested) MikroORM transaction. */
export function rootTransaction(trx: Transaction): Transaction {
  let current = trx;
  for (let parent = parentOf(current); parent; parent = parentOf(current)) current = parent;
  return current;
}

/** Whether a MikroORM transaction is a savepoint inside another. */
export const isSavepoint = (trx: Transaction): boolean => parentOf(trx) !== undefined;
