import { TransactionPropagation } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { isSavepoint, rootTransaction } from '../src/outbox/transaction-root';
import { sqlIn, sqlOf } from '../src/storage/sql-session';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';

/**
 * Pins the two MikroORM 7 internals transaction-root.ts relies on: a savepoint is marked with
 * `savepointName`, and it runs on its root transaction's connection. If an upgrade changes either,
 * events written in a savepoint would wait for the relay instead of being enqueued at commit.
 */
describe('transaction roots on MikroORM 7 (real PostgreSQL)', () => {
  let f: FixtureApp;

  beforeAll(async () => {
    // The relay (which seals whatever waits longer than its grace) stays out of the way: only the
    // after-commit hook can enqueue what these tests write.
    f = await startFixtureApp({ relay: { intervalMs: 3_600_000, graceMs: 3_600_000 } });
  });
  afterAll(async () => f.close());

  it('files a savepoint, and a savepoint in it, under the outermost transaction', async () => {
    const seen: { outer?: object; inner?: object; innermost?: object } = {};
    await f.orm.em.fork().transactional(async (outer) => {
      seen.outer = outer.getTransactionContext<object>();
      await outer.transactional(
        async (inner) => {
          seen.inner = inner.getTransactionContext<object>();
          await inner.transactional(
            async (innermost) => {
              seen.innermost = innermost.getTransactionContext<object>();
            },
            { propagation: TransactionPropagation.NESTED },
          );
        },
        { propagation: TransactionPropagation.NESTED },
      );
    });
    const { outer, inner, innermost } = seen as Required<typeof seen>;
    expect(inner).not.toBe(outer);
    expect(innermost).not.toBe(inner);
    expect([isSavepoint(outer), isSavepoint(inner), isSavepoint(innermost)]).toEqual([false, true, true]);
    expect(rootTransaction(inner)).toBe(outer);
    expect(rootTransaction(innermost)).toBe(outer);
    expect(rootTransaction(outer)).toBe(outer);
  });

  it('keeps concurrent transactions apart: each savepoint finds its own root', async () => {
    const pairs = await Promise.all(
      [1, 2, 3, 4].map(() =>
        f.orm.em.fork().transactional(async (outer) => {
          const root = outer.getTransactionContext<object>()!;
          let savepoint: object | undefined;
          await outer.transactional(
            async (inner) => {
              await (inner as SqlEntityManager).execute('select pg_sleep(0.01)');
              savepoint = inner.getTransactionContext<object>();
            },
            { propagation: TransactionPropagation.NESTED },
          );
          return [root, savepoint!] as const;
        }),
      ),
    );
    for (const [root, savepoint] of pairs) expect(rootTransaction(savepoint)).toBe(root);
    expect(new Set(pairs.map(([root]) => root)).size).toBe(4);
  });

  it('sessions on one ORM are one database, pool or transaction (the sealer keeps its outbox delete in its transaction)', async () => {
    // NOTE: sessions are made per call; the sealer once compared them with ===, so it took every
    // outbox for a separate one and deleted its rows after the sealing transaction instead of in it.
    expect(sqlOf(f.orm) === sqlOf(f.orm)).toBe(false);
    expect(sqlOf(f.orm).sameDatabase(sqlOf(f.orm))).toBe(true);
    await f.orm.em.fork().transactional(async (em) => {
      expect(sqlIn(em).sameDatabase(sqlOf(f.orm))).toBe(true);
    });
  });

  it('an audited call inside a caller’s transaction is enqueued when the outermost one commits', async () => {
    const account = await f.accounts.open({ name: 'nest', email: 'nest@example.test', tenantId: 'acme' });
    await f.sealed(1);
    await f.orm.em.fork().transactional(async () => {
      await f.accounts.rename({ id: account.id, name: 'nested-rename' });
    });
    // Enqueued when the outermost transaction commits (the relay is off).
    await f.sealed(2);
    expect((await f.trail(account.id)).map((e) => e.action)).toEqual(['CREATE', 'RENAME']);
  });
});
