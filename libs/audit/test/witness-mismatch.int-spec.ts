import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { clearQueuePrefix, TEST_REDIS_URL, uniqueQueuePrefix } from '../../../test/support/test-redis';
import { waitFor } from '../../../test/support/wait-for';
import {
  Checkpointer,
  DirectoryKeyProvider,
  DirectoryWitness,
  WitnessAheadOfStoreError,
  type AuditModuleOptions,
} from '../src';
import { cliFailure } from '../src/cli/cli-failure';
import { EXIT } from '../src/cli/exit-codes';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { FixtureModule } from './fixtures/fixture.module';
import { sealedChain } from './fixtures/tamper';

// Checkpoints only when a test asks, so each test knows what the witness holds.
const MANUAL: AuditModuleOptions = {
  checkpoint: { intervalMs: 3_600_000, heartbeatMs: 3_600_000, everyEvents: 1_000_000 },
};
const ORIGIN = 'audit-ledger/log';
/** The tree size of the checkpoint the witness in `dir` holds. */
const witnessedSize = async (dir: string) =>
  Number((await new DirectoryWitness(dir).latest())!.split('\n')[1]);
const TABLES = ['events', 'chain_heads', 'log_head', 'batches', 'checkpoints', 'head_map_nodes'];

/**
 * A developer recreates the database but keeps the witness directory (or an operator restores an
 * older backup): the witness rightly remembers a log the database no longer has. The worker must
 * refuse to start with an error that says so and what to do, not with the witness refusing a key.
 */
describe('a witness ahead of the store stops the worker at startup', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** A database of its own, dropped after the file. */
  const freshDatabase = async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    return db;
  };

  /** Starts the fixture app (worker in process) on `db` with the given directories; closed after the file. */
  const boot = async (db: TestDatabase, dirs: { keyDir: string; witnessDir: string }) => {
    const queuePrefix = uniqueQueuePrefix();
    const moduleRef = await Test.createTestingModule({
      imports: [
        FixtureModule.forRoot({
          databaseUrl: db.url,
          redisUrl: TEST_REDIS_URL,
          queuePrefix,
          audit: {
            ...MANUAL,
            keyProvider: new DirectoryKeyProvider(dirs.keyDir),
            witness: new DirectoryWitness(dirs.witnessDir),
          },
        }),
      ],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    cleanups.push(async () => {
      await app.close();
      await clearQueuePrefix(queuePrefix);
    });
    await app.get(MikroORM).migrator.up();
    await app.init();
    return app;
  };

  /** A store with sealed events and a checkpoint the witness holds; the app is closed, its database and directories kept. */
  const witnessedStore = async (): Promise<{
    f: FixtureApp;
    witnessedSize: number;
    stop(): Promise<void>;
  }> => {
    const f = await startFixtureApp(MANUAL, { db: await freshDatabase(), queuePrefix: uniqueQueuePrefix() });
    let running = true;
    const stop = async () => {
      if (running) await f.app.close();
      running = false;
    };
    cleanups.push(async () => {
      await stop();
      await clearQueuePrefix(f.queuePrefix);
    });
    await sealedChain(f, 1);
    await f.app.get(Checkpointer).run('NOW');
    return { f, witnessedSize: await witnessedSize(f.db.witnessDir), stop };
  };

  const startupFailure = async (db: TestDatabase, dirs: { keyDir: string; witnessDir: string }) => {
    const error = await boot(db, dirs).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WitnessAheadOfStoreError);
    return error as WitnessAheadOfStoreError;
  };

  let first: Awaited<ReturnType<typeof witnessedStore>>;
  beforeAll(async () => {
    first = await witnessedStore();
    await first.stop();
  });

  it('a recreated database with the old witness directory: says the sizes, the origin, and what to do', async () => {
    const recreated = await freshDatabase();
    const error = await startupFailure(recreated, first.f.db);

    expect(error.code).toBe('AUDIT_WITNESS_AHEAD');
    expect(error.facts).toMatchObject({
      witnessed: { kind: 'checkpoint', origin: ORIGIN, size: first.witnessedSize },
      storeSize: 0,
      storeCheckpointSize: null,
    });
    expect(error.message).toContain(`directory ${first.f.db.witnessDir}`);
    expect(error.message).toContain(`checkpoint of origin "${ORIGIN}" at tree size ${first.witnessedSize}`);
    expect(error.message).toContain('the database holds 0 event(s) and lacks that checkpoint');
    for (const phrase of ['recreated', 'older backup', 'fresh witness directory', 'rollback alarm'])
      expect(error.message).toContain(phrase);
    expect(error.message).not.toContain('notBefore');
    // Nothing was published or signed on the recreated store.
    expect(await recreated.query('select 1 from audit.signing_keys')).toHaveLength(0);
    expect(cliFailure(error)).toMatchObject({ exitCode: EXIT.FAILED, code: 'AUDIT_WITNESS_AHEAD' });
  });

  it('the same recreated database with a fresh witness directory (the key directory kept) starts and seals', async () => {
    const recreated = await freshDatabase();
    const witnessDir = join(recreated.witnessDir, 'fresh');
    await boot(recreated, { keyDir: first.f.db.keyDir, witnessDir });
    await waitFor(
      async () => (await recreated.query('select 1 from audit.checkpoints')).length > 0,
      'the first checkpoint',
    );
    await waitFor(async () => (await new DirectoryWitness(witnessDir).latest()) !== null, 'the witness');
  });

  it('a recreated database whose old witness holds only its key: the same error, naming the key', async () => {
    const recreated = await freshDatabase();
    const witnessDir = join(recreated.witnessDir, 'keys-only');
    await mkdir(witnessDir, { recursive: true });
    await copyFile(join(first.f.db.witnessDir, 'keys.json'), join(witnessDir, 'keys.json'));
    const [key] = await new DirectoryWitness(witnessDir).keys();

    const error = await startupFailure(recreated, { keyDir: first.f.db.keyDir, witnessDir });

    expect(error.facts.witnessed).toMatchObject({ kind: 'key', keyId: key.keyId });
    expect(error.message).toContain(`signing key ${ORIGIN}+${key.keyId}`);
    expect(error.message).toContain('the database holds 0 event(s) and does not know that key');
    for (const phrase of ['recreated', 'fresh witness directory', 'rollback alarm'])
      expect(error.message).toContain(phrase);
  });

  it('a database restored from an older backup: says both tree sizes', async () => {
    const { f, witnessedSize: before, stop } = await witnessedStore();
    const sql = (text: string) => f.db.tamper(text);
    await sql('create schema backup');
    for (const table of TABLES) await sql(`create table backup.${table} as select * from audit.${table}`);
    const [{ tree_size: restored }] = await sql('select tree_size from audit.log_head');
    await sealedChain(f, 2);
    await f.app.get(Checkpointer).run('NOW');
    const witnessed = await witnessedSize(f.db.witnessDir);
    expect(witnessed).toBeGreaterThan(before);
    await stop();
    for (const table of TABLES) {
      await sql(`delete from audit.${table}`);
      await sql(`insert into audit.${table} select * from backup.${table}`);
    }

    const error = await startupFailure(f.db, f.db);

    expect(error.facts).toMatchObject({
      witnessed: { kind: 'checkpoint', origin: ORIGIN, size: witnessed },
      storeSize: Number(restored),
      storeCheckpointSize: before,
    });
    expect(error.message).toContain(`at tree size ${witnessed}`);
    expect(error.message).toContain(
      `the database holds ${Number(restored)} event(s) and lacks that checkpoint`,
    );
    expect(error.message).toContain(`its newest checkpoint is at tree size ${before}`);
  });
});
