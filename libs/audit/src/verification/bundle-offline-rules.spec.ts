import { hash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint, signCheckpoint } from '../crypto/checkpoint';
import { noteSignerFromSeed, parseVerifierKey } from '../crypto/signed-note';
import { MANIFEST_FILE, SEAL_FILE, sealLine, type BundleManifest } from '../export/bundle-manifest';
import { DirectoryBundleStore } from '../export/bundle-store';
import { formatPublishedKeys, parsePublishedKeys } from '../keys/published-keys';
import type { SigningKeyRecord } from '../keys/signing-key-record';
import { verifyBundle } from './bundle-verifier';
import {
  EXAMPLE_EXPORTED_AT,
  EXAMPLE_ORIGIN,
  EXAMPLE_SEALED_AT,
  EXAMPLE_SEED,
} from './testdata/worked-example';
import { computeExample } from './testdata/worked-example-bundle';

const reasons = (report: { failures: { reason: string }[] }) => [
  ...new Set(report.failures.map((f) => f.reason)),
];

/** The offline rules docs/integrity.md §15.8 states, over the worked example's bundle (two events, one batch). */
describe('offline verification: the clock and the counts', () => {
  let dir: string;
  let trustedKeys: SigningKeyRecord[];
  let store: Awaited<ReturnType<typeof computeExample>>['store'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-offline-rules-'));
    const example = await computeExample(dir);
    store = example.store;
    trustedKeys = parsePublishedKeys(formatPublishedKeys([example.key]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses statements dated after the verifier clock plus its tolerance', async () => {
    // A clock set to before the batch was sealed: the batch statement and the seal are both "future".
    const early = await verifyBundle(store, { trustedKeys, now: new Date('2026-11-01T00:00:00Z') });
    expect(early.valid).toBe(false);
    expect(reasons(early)).toEqual(expect.arrayContaining(['SEAL_INVALID', 'PROOF_INVALID']));
    expect(early.failures.find((f) => f.reason === 'SEAL_INVALID')?.detail).toContain('dated in the future');
  });

  it('accepts a clock behind by less than the tolerance, and a tolerance the caller sets', async () => {
    const sealedAt = new Date(EXAMPLE_SEALED_AT).getTime();
    const exportedAt = new Date(EXAMPLE_EXPORTED_AT).getTime();
    expect((await verifyBundle(store, { trustedKeys, now: new Date(exportedAt - 240_000) })).valid).toBe(
      true,
    );
    expect(
      (
        await verifyBundle(store, {
          trustedKeys,
          now: new Date(exportedAt - 240_000),
          maxClockSkewMs: 60_000,
        })
      ).valid,
    ).toBe(false);
    expect(
      (await verifyBundle(store, { trustedKeys, now: new Date(sealedAt + 86_400_000 * 365) })).valid,
    ).toBe(true);
  });

  it('refuses a correctly sealed manifest whose proof count disagrees with proofs.ndjson', async () => {
    // An exporter bug, or an insider holding the key: the manifest is re-sealed, so only the count tells.
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as BundleManifest;
    const seal = await readFile(join(dir, SEAL_FILE), 'utf8');
    const signer = noteSignerFromSeed(EXAMPLE_ORIGIN, EXAMPLE_SEED);
    const { checkpoint } = openCheckpoint(seal, [parseVerifierKey(trustedKeys[0].verifierKey)]);
    const recount = `${JSON.stringify({ ...manifest, proofs: { ...manifest.proofs, count: 2 } }, null, 2)}\n`;
    const copy = await mkdtemp(join(dir, 'recounted-'));
    for (const name of Object.keys(manifest.files))
      await writeFile(join(copy, name), await readFile(join(dir, name)));
    await writeFile(join(copy, MANIFEST_FILE), recount);
    await writeFile(
      join(copy, SEAL_FILE),
      signCheckpoint({ ...checkpoint, extensions: [sealLine(hash('sha256', recount, 'hex'))] }, signer),
    );
    const report = await verifyBundle(new DirectoryBundleStore(copy), { trustedKeys });
    expect(report.valid).toBe(false);
    expect(reasons(report)).toEqual(['COUNT_MISMATCH']);
    expect(report.failures[0].detail).toBe('1 signed statements, the manifest counts 2');
  });
});
