import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHAPED_MANIFEST } from '../libs/audit/src/verification/testdata/bundle-manifest';
import { runCli, runCliJson } from './support/cli-process';

/** The shape is right (its seal is missing: the verdict is invalid either way); the data files are declared 1 GiB long. */
const manifest = {
  ...SHAPED_MANIFEST,
  files: Object.fromEntries(
    Object.entries(SHAPED_MANIFEST.files).map(([name, entry]) => [name, { ...entry, bytes: 1 << 30 }]),
  ),
};

/**
 * `verify --bundle` on hostile bundles, as the built CLI (no database): exit 1 with a one-line
 * typed verdict, never a hang, exit 70 or a file's contents. The attacks one by one are in
 * libs/audit/test/hostile-bundle.int-spec.ts.
 */
describe('audit-ledger verify --bundle on hostile bundles', () => {
  let dir: string;
  const offline = { ...process.env, DATABASE_URL: 'postgres://x@127.0.0.1:1/x' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-cli-hostile-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('ends with exit 1 and MANIFEST_INVALID for a directory named manifest.json or a manifest with only `format`', async () => {
    await mkdir(join(dir, 'dir-manifest', 'manifest.json'), { recursive: true });
    await mkdir(join(dir, 'only-format'));
    await writeFile(join(dir, 'only-format', 'manifest.json'), '{"format":"audit-ledger-bundle/v1"}');
    for (const bundle of ['dir-manifest', 'only-format']) {
      const run = await runCli(['verify', '--bundle', join(dir, bundle)], offline);
      expect(run.code).toBe(1);
      const verdict = run.stderr.split('\n').filter((l) => l.startsWith('audit-ledger: verification failed'));
      expect(verdict).toEqual([
        expect.stringMatching(/^audit-ledger: verification failed: MANIFEST_INVALID in manifest\.json: /),
      ]);
    }
  });

  it('refuses data files linked to /dev/zero and /etc/passwd, quickly, printing neither', async () => {
    const bundle = join(dir, 'links');
    await mkdir(bundle);
    await writeFile(join(bundle, 'manifest.json'), JSON.stringify(manifest));
    await writeFile(join(bundle, 'proofs.ndjson'), '');
    await symlink('/etc/passwd', join(bundle, 'events.ndjson'));
    await symlink('/dev/zero', join(bundle, 'leaves.txt'));
    const run = await runCliJson(['verify', '--bundle', bundle], offline);
    expect(run.code).toBe(1);
    const failures = run.doc.bundles[0].failures as { reason: string; file: string }[];
    expect(failures.map((f) => [f.reason, f.file])).toEqual(
      expect.arrayContaining([
        ['FILE_NOT_REGULAR', 'events.ndjson'],
        ['FILE_NOT_REGULAR', 'leaves.txt'],
      ]),
    );
    expect(run.stdout + run.stderr).not.toContain('root:');
  }, 20_000);
});
