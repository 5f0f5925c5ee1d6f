import { LogVerifier } from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';

const RECORDS = 40;
const EVENTS_PER_RECORD = 3;
const TOTAL = RECORDS * EVENTS_PER_RECORD;

/** Commits TOTAL domain events over RECORDS records, interleaved, in one transaction. */
async function commitInOneTransaction(f: FixtureApp, prefix: string): Promise<void> {
  await f.orm.em.transactional(async () => {
    for (let round = 0; round < EVENTS_PER_RECORD; round++) {
      for (let r = 0; r < RECORDS; r++) {
        await f.audit.record({ action: `STEP_${round}`, entityType: 'Ledger', entityId: `${prefix}${r}` });
      }
    }
  });
}

/** Each sealing transaction stamps its events with one `recorded_at`: events per transaction. */
async function transactionSizes(f: FixtureApp, prefix: string): Promise<number[]> {
  const rows = await f.db.query<{ n: number }>(
    `select count(*)::int as n from audit.events where entity_id like $1 group by recorded_at order by recorded_at`,
    [`${prefix}%`],
  );
  return rows.map((r) => r.n);
}

/**
 * Batch sealing: one sealing transaction takes many records' events (one log-head lock), each
 * record's events one batch with its own signed statement; `sealBatchEvents` bounds a
 * transaction; chains, statements and the log verify either way.
 */
describe('sealing in batches over many records', () => {
  let f: FixtureApp;
  afterEach(async () => f?.close());

  it('seals one transaction of 40 records in one sealing transaction, a signed statement per record', async () => {
    f = await startFixtureApp({ workerConcurrency: 1 });
    await commitInOneTransaction(f, 'a');
    await f.sealed(TOTAL);

    expect(await transactionSizes(f, 'a')).toEqual([TOTAL]);
    const batches = await f.db.query<{ entity_id: string; sizes: string[]; seqs: string[] }>(
      `select entity_id, array_agg(distinct batch_tree_size::text) as sizes, array_agg(chain_seq::text order by chain_seq) as seqs
       from audit.events where entity_id like 'a%' group by entity_id`,
    );
    expect(batches).toHaveLength(RECORDS);
    for (const b of batches) {
      expect(b.sizes).toHaveLength(1);
      expect(b.seqs).toEqual(['1', '2', '3']);
    }
    const statements = await f.db.query<{ n: number }>(
      `select count(*)::int as n from audit.batches
       where tree_size in (select batch_tree_size from audit.events where entity_id like 'a%')`,
    );
    expect(statements[0].n).toBe(RECORDS);
    for (const r of [0, 17, RECORDS - 1]) {
      expect((await f.audit.verifyTrail('Ledger', `a${r}`)).valid).toBe(true);
    }
    expect((await f.app.get(LogVerifier).verify('FULL')).valid).toBe(true);
  });

  it('takes at most sealBatchEvents events per sealing transaction, chains still in commit order', async () => {
    f = await startFixtureApp({ workerConcurrency: 2, sealBatchEvents: 10 });
    await commitInOneTransaction(f, 'b');
    await f.sealed(TOTAL);

    const sizes = await transactionSizes(f, 'b');
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(TOTAL);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
    const trail = await f.trail('b5', 'Ledger');
    expect(trail.map((e) => e.action)).toEqual(['STEP_0', 'STEP_1', 'STEP_2']);
    expect((await f.app.get(LogVerifier).verify('FULL')).valid).toBe(true);
  });
});
