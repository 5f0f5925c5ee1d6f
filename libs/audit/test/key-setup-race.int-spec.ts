import { readdir } from 'node:fs/promises';
import { SIGNING_KEY_ENTITY } from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { waitForChain } from './fixtures/tamper';

const WORKERS = 8;

/**
 * Workers started together on a store with no key yet, sharing one key directory (as a
 * deployment's workers share a key provider): one key is created and activated, every worker
 * holds it, and sealing works. Before key setup was serialised, one worker could take another's
 * fresh key file for a supplied key and the other then deleted it, leaving an active key no
 * process held (timing-dependent: with 8 workers this test caught it in about one run of three).
 */
describe('signing-key setup by workers starting at once', () => {
  let owner: FixtureApp;
  let workers: FixtureApp[] = [];

  beforeAll(async () => {
    owner = await startFixtureApp({ inProcessWorker: false });
    const shared = { db: owner.db, queuePrefix: owner.queuePrefix, migrate: false };
    workers = await Promise.all(Array.from({ length: WORKERS }, () => startFixtureApp({}, shared)));
  });
  afterAll(async () => {
    for (const worker of workers) await worker.close();
    await owner.close();
  });

  it('activates exactly one key, which the key provider holds, and seals with it', async () => {
    const keys = await owner.db.query<{ key_id: string; status: string }>(
      'select key_id, status from audit.signing_keys',
    );
    expect(keys).toEqual([{ key_id: expect.any(String), status: 'ACTIVE' }]);
    const files = await readdir(owner.db.keyDir);
    expect(files.some((f) => f.includes(keys[0].key_id))).toBe(true);

    const account = await owner.accounts.open({ name: 'raced', email: 'r@x.test', tenantId: 't' });
    await waitForChain(owner, account.id, 1);
    const [{ n }] = await owner.db.query<{ n: number }>(
      `select count(*)::int as n from audit.events where entity_type = $1`,
      [SIGNING_KEY_ENTITY],
    );
    expect(n).toBe(1);
  });
});
