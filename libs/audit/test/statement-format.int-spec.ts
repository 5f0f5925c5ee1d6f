import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { clearQueuePrefix, uniqueQueuePrefix } from '../../../test/support/test-redis';
import { waitFor } from '../../../test/support/wait-for';
import {
  AuditExporter,
  Checkpointer,
  DirectoryBundleStore,
  DirectoryWitness,
  LogVerifier,
  verifyBundle,
  type AuditModuleOptions,
  type BundleSelection,
} from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';

const MANUAL: AuditModuleOptions = {
  workerConcurrency: 1,
  checkpoint: { intervalMs: 3_600_000, heartbeatMs: 3_600_000, everyEvents: 1_000_000 },
};
/** How release 0.2 sealed: a signed statement per record (not an AuditModuleOptions field). */
const RELEASE_0_2 = { ...MANUAL, statementFormat: 1 } as AuditModuleOptions;
const ALL: BundleSelection = {
  from: '2000-01-01T00:00:00Z',
  to: '2100-01-01T00:00:00Z',
  entityType: null,
  tenantId: null,
};

/** `perRecord` events on each of `records` Ledger records, in one application transaction. */
async function commit(f: FixtureApp, prefix: string, records: number, perRecord = 2): Promise<number> {
  await f.orm.em.transactional(async () => {
    for (let round = 0; round < perRecord; round++)
      for (let r = 0; r < records; r++)
        await f.audit.record({
          action: `STEP_${round}`,
          entityType: 'Ledger',
          entityId: `${prefix}${r}`,
          tenantId: r % 2 === 0 ? 'acme' : 'globex',
        });
  });
  return records * perRecord;
}

/** Waits until `count` Ledger events are sealed and nothing waits in the outbox. */
async function sealedLedger(f: FixtureApp, count: number): Promise<void> {
  await waitFor(async () => {
    const [{ n, waiting }] = await f.db.query<{ n: number; waiting: number }>(
      `select (select count(*)::int from audit.events where entity_type = 'Ledger') as n,
              (select count(*)::int from audit.outbox) as waiting`,
    );
    return n === count && waiting === 0;
  }, `${count} sealed Ledger events`);
}

/** The stored batches of each format: v1 rows carry no proof, v2 rows do. */
async function formats(f: FixtureApp): Promise<{ v1: number; v2: number; notes: number }> {
  const [row] = await f.db.query<{ v1: number; v2: number; notes: number }>(
    `select count(*) filter (where head_index is null)::int as v1,
            count(*) filter (where head_index is not null)::int as v2,
            count(distinct note)::int as notes from audit.batches`,
  );
  return row;
}

/**
 * Format v2 (docs/integrity.md §6.2) beside v1: a store sealed by release 0.2 keeps verifying
 * after the upgrade, in every verifier; v1 after v2 is a downgrade; a v2 batch's proof is
 * evidence like any signed value, and a trail cut short under v2 still says TRUNCATED.
 */
describe('batch statements: v1 stores, v2 sealing, no downgrade', () => {
  let db: TestDatabase;
  let queuePrefix: string;
  let f: FixtureApp | undefined;
  let dir: string;

  const start = async (options: AuditModuleOptions) => {
    await f?.close();
    f = await startFixtureApp(options, { db, queuePrefix });
    return f;
  };

  beforeEach(async () => {
    db = await createTestDatabase();
    queuePrefix = uniqueQueuePrefix();
    dir = await mkdtemp(join(tmpdir(), 'audit-format-'));
  });
  afterEach(async () => {
    await f?.close();
    f = undefined;
    await db.drop();
    await clearQueuePrefix(queuePrefix);
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies a store sealed in v1 that goes on in v2: the log, both kinds of trail, whole and filtered bundles', async () => {
    let app = await start(RELEASE_0_2);
    await sealedLedger(app, await commit(app, 'old', 12));
    await app.app.get(Checkpointer).run('NOW');
    const before = await formats(app);
    expect(before.v2).toBe(0);
    expect(before.v1).toBeGreaterThanOrEqual(12);

    app = await start(MANUAL);
    await sealedLedger(app, 24 + (await commit(app, 'old', 12)) + (await commit(app, 'new', 30)));
    await app.app.get(Checkpointer).run('NOW');
    const after = await formats(app);
    // The 42 records' new batches, and the new worker's own key event, under a few statements.
    expect(after.v1).toBe(before.v1);
    expect(after.v2).toBeGreaterThanOrEqual(42);
    expect(after.notes - before.notes).toBeLessThan(after.v2 / 4);

    const verifier = app.app.get(LogVerifier);
    const full = await verifier.verify('FULL');
    expect(full.failures).toEqual([]);
    expect((await verifier.verify('INCREMENTAL')).valid).toBe(true);
    for (const id of ['old0', 'old11', 'new0', 'new29']) {
      const report = await app.audit.verifyTrail('Ledger', id);
      expect(report.failures).toEqual([]);
    }
    const trusted = await new DirectoryWitness(db.witnessDir).keys();
    for (const [name, selection] of [
      ['all', ALL],
      ['globex', { ...ALL, tenantId: 'globex' }],
    ] as const) {
      const store = new DirectoryBundleStore(join(dir, name));
      await app.app.get(AuditExporter).export({ selection, format: 'ndjson', gzip: false }, store);
      const report = await verifyBundle(store, { trustedKeys: trusted });
      expect(report.failures).toEqual([]);
    }
  });

  it('refuses a v1 statement after v2 ones as a downgrade, in the log and in a bundle', async () => {
    let app = await start(MANUAL);
    await sealedLedger(app, await commit(app, 'a', 3));
    app = await start(RELEASE_0_2);
    await sealedLedger(app, 6 + (await commit(app, 'b', 3)));
    await app.app.get(Checkpointer).run('NOW');

    const report = await app.app.get(LogVerifier).verify('FULL');
    expect(report.valid).toBe(false);
    expect(report.failures).toContainEqual(
      expect.objectContaining({ reason: 'BATCH_INVALID', detail: expect.stringContaining('DOWNGRADE') }),
    );
    const store = new DirectoryBundleStore(join(dir, 'downgrade'));
    await app.app.get(AuditExporter).export({ selection: ALL, format: 'ndjson', gzip: false }, store);
    const offline = await verifyBundle(store, {
      trustedKeys: await new DirectoryWitness(db.witnessDir).keys(),
    });
    expect(offline.valid).toBe(false);
    expect(offline.failures).toContainEqual(
      expect.objectContaining({ reason: 'PROOF_INVALID', detail: expect.stringContaining('DOWNGRADE') }),
    );
  });

  it("treats a v2 batch's index and proof as evidence: changed, the trail and the log fail", async () => {
    const app = await start(MANUAL);
    await sealedLedger(app, await commit(app, 'p', 5));
    await app.app.get(Checkpointer).run('NOW');
    expect((await app.audit.verifyTrail('Ledger', 'p3')).valid).toBe(true);

    // Another head's place under the same statement: p3's proof now names p1's index.
    await app.db.tamper(
      `update audit.batches set head_index = (select head_index from audit.batches where entity_id = 'p1')
       where entity_id = 'p3'`,
      [],
    );
    const trail = await app.audit.verifyTrail('Ledger', 'p3');
    expect(trail.valid).toBe(false);
    expect(trail.failures[0]).toMatchObject({ reason: 'SIGNED_HEAD_MISMATCH' });
    const log = await app.app.get(LogVerifier).verify('FULL');
    expect(log.failures).toContainEqual(
      expect.objectContaining({ reason: 'BATCH_INVALID', detail: expect.stringContaining('HEAD_MISMATCH') }),
    );
    expect((await app.audit.verifyTrail('Ledger', 'p1')).valid).toBe(true);
  });

  it('names a trail whose last events were deleted TRUNCATED under v2, with the heads map still to come', async () => {
    const app = await start(MANUAL);
    await sealedLedger(app, await commit(app, 't', 4, 3));
    // No checkpoint covers the tail, and the chain head row is moved back with it: only the
    // batch (its proof under the signed statement) can tell that the chain was longer.
    await app.db.tamper(
      "delete from audit.events where entity_type = 'Ledger' and entity_id = 't2' and chain_seq = 3",
      [],
    );
    await app.db.tamper(
      `update audit.chain_heads set last_seq = 2, last_hash = (select hash from audit.events
         where entity_type = 'Ledger' and entity_id = 't2' and chain_seq = 2)
       where entity_type = 'Ledger' and entity_id = 't2'`,
      [],
    );
    const trail = await app.audit.verifyTrail('Ledger', 't2');
    expect(trail.valid).toBe(false);
    expect(trail.failures[0]).toMatchObject({ reason: 'TRUNCATED', chainSeq: 3 });
  });
});
