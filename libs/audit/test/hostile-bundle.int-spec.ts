import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import {
  AuditExporter,
  DirectoryBundleStore,
  DirectoryWitness,
  verifyBundle,
  type BundleManifest,
  type BundleVerification,
} from '../src';
import { startFixtureApp } from './fixtures/fixture-app';
import { sealedChain } from './fixtures/tamper';

const ALL = {
  from: '2000-01-01T00:00:00Z',
  to: '2100-01-01T00:00:00Z',
  entityType: null,
  tenantId: null,
};

/** Writes `total` bytes of `byte`, in 1 MiB chunks. */
async function filler(path: string, total: number, byte: string): Promise<void> {
  const chunk = Buffer.alloc(1 << 20, byte);
  await pipeline(
    (function* () {
      for (let left = total; left > 0; left -= chunk.length)
        yield left >= chunk.length ? chunk : chunk.subarray(0, left);
    })(),
    createWriteStream(path),
  );
}

/**
 * A gzip bomb: `members` gzip members of 64 MiB of `byte` each, one after the other (gunzip reads
 * them as one stream), so 32 members inflate to 2 GiB from about 2 MB. Returns its size.
 */
async function bomb(path: string, byte: string, members: number): Promise<number> {
  const member = gzipSync(Buffer.alloc(64 << 20, byte), { level: 9 });
  await writeFile(path, Buffer.concat(Array.from({ length: members }, () => member)));
  return member.length * members;
}

/** Rewrites the bundle's manifest so it declares `file` `bytes` long (the seal then fails, the walk goes on). */
async function declare(bundle: string, manifest: BundleManifest, file: string, bytes: number) {
  const files = { ...manifest.files, [file]: { ...manifest.files[file], bytes } };
  await writeFile(join(bundle, 'manifest.json'), JSON.stringify({ ...manifest, files }));
}

/**
 * Issue #15 item 8 (and #16): every attack a holder of the bundle's files can make ends with a
 * typed verdict, quickly and in bounded memory — never a hang, a crash or a file's contents in
 * the report. Each attack is replayed on a copy of one real export (NDJSON and gzip NDJSON).
 */
describe('offline verification of hostile bundles', () => {
  let dir: string;
  let plain: BundleManifest;
  let gzipped: BundleManifest;
  let trustedKeys: Awaited<ReturnType<DirectoryWitness['keys']>>;
  let copies = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-hostile-'));
    const f = await startFixtureApp();
    try {
      await sealedChain(f, 2, 'acme');
      trustedKeys = await new DirectoryWitness(f.db.witnessDir).keys();
      const exporter = f.app.get(AuditExporter);
      ({ manifest: plain } = await exporter.export(
        { selection: ALL, format: 'ndjson', gzip: false },
        new DirectoryBundleStore(join(dir, 'plain')),
      ));
      ({ manifest: gzipped } = await exporter.export(
        { selection: ALL, format: 'ndjson', gzip: true },
        new DirectoryBundleStore(join(dir, 'gzipped')),
      ));
    } finally {
      await f.close();
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A fresh copy of a pristine bundle to attack. */
  const copyOf = async (pristine: 'plain' | 'gzipped') => {
    const target = join(dir, `attack-${++copies}`);
    await cp(join(dir, pristine), target, { recursive: true });
    return target;
  };
  const verify = (bundle: string): Promise<BundleVerification> =>
    verifyBundle(new DirectoryBundleStore(bundle), { trustedKeys });
  const reasons = (report: BundleVerification) => report.failures.map((f) => [f.reason, f.file]);

  it('verifies the pristine copies', async () => {
    expect((await verify(await copyOf('plain'))).failures).toEqual([]);
    expect((await verify(await copyOf('gzipped'))).failures).toEqual([]);
  });

  it('refuses leaves.txt as a symbolic link to /dev/zero, without reading it', async () => {
    const bundle = await copyOf('plain');
    await rm(join(bundle, plain.leaves.file));
    await symlink('/dev/zero', join(bundle, plain.leaves.file));
    const report = await verify(bundle);
    expect(report.valid).toBe(false);
    expect(reasons(report)).toContainEqual(['FILE_NOT_REGULAR', plain.leaves.file]);
    expect(report.failures[0].detail).toContain('symbolic link');
  }, 10_000);

  it('refuses events as a symbolic link to a file outside the bundle, and prints none of it', async () => {
    const bundle = await copyOf('plain');
    await rm(join(bundle, plain.events.file));
    await symlink('/etc/passwd', join(bundle, plain.events.file));
    const report = await verify(bundle);
    expect(reasons(report)).toContainEqual(['FILE_NOT_REGULAR', plain.events.file]);
    expect(JSON.stringify(report)).not.toContain('root:');
  });

  it('reports a copy of a foreign file by line number, never its contents', async () => {
    const bundle = await copyOf('plain');
    const foreign = 'root:x:0:0:root:/root:/bin/bash\n';
    await writeFile(join(bundle, plain.events.file), foreign);
    const report = await verify(bundle);
    expect(reasons(report)).toContainEqual(['FILE_UNREADABLE', plain.events.file]);
    expect(JSON.stringify(report)).not.toContain('root:');
  });

  it('stops at a 50 MB single-line leaves file declared in a rewritten manifest', async () => {
    const bundle = await copyOf('plain');
    await filler(join(bundle, plain.leaves.file), 50 << 20, 'a');
    await declare(bundle, plain, plain.leaves.file, 50 << 20);
    const report = await verify(bundle);
    expect(reasons(report)).toContainEqual(['FILE_TOO_LARGE', plain.leaves.file]);
  }, 20_000);

  it('stops at a 50 MB single-line event file at the line limit, and reads no further than declared', async () => {
    const bundle = await copyOf('plain');
    await filler(join(bundle, plain.events.file), 50 << 20, '{');
    await declare(bundle, plain, plain.events.file, 50 << 20);
    const report = await verifyBundle(new DirectoryBundleStore(bundle), {
      trustedKeys,
      maxLineBytes: 1 << 20,
    });
    expect(reasons(report)).toContainEqual(['FILE_TOO_LARGE', plain.events.file]);

    // The manifest left alone: the grown file is read only as far as the length it records.
    await cp(join(dir, 'plain', 'manifest.json'), join(bundle, 'manifest.json'));
    const unchanged = await verify(bundle);
    expect(reasons(unchanged)).toContainEqual(['FILE_MODIFIED', plain.events.file]);
  }, 20_000);

  it.each([
    [
      'zeros as the event file, at the line limit',
      'events',
      '0',
      'FILE_TOO_LARGE',
      'line 1 is longer than 16777216 bytes',
    ],
    [
      'newlines as the leaves file, at the first blank line',
      'leaves',
      '\n',
      'FILE_UNREADABLE',
      'line 1: a blank line',
    ],
  ] as const)(
    'ends a 2 GiB gzip bomb of %s, inflating no further',
    async (_what, part, byte, reason, detail) => {
      const bundle = await copyOf('gzipped');
      const file = gzipped[part].file;
      await declare(bundle, gzipped, file, await bomb(join(bundle, file), byte, 32));
      const report = await verify(bundle);
      expect(report.failures).toContainEqual(expect.objectContaining({ reason, file, detail }));
    },
    30_000,
  );

  it('names a manifest with only `format` MANIFEST_INVALID, naming the members it lacks', async () => {
    const bundle = await copyOf('plain');
    await writeFile(join(bundle, 'manifest.json'), JSON.stringify({ format: plain.format }));
    const report = await verify(bundle);
    expect(report.valid).toBe(false);
    expect(report.failures).toEqual([
      expect.objectContaining({ reason: 'MANIFEST_INVALID', file: 'manifest.json' }),
    ]);
    expect(report.failures[0].detail).toContain('manifest.kind is not');
  });

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['not JSON', 'root:x:0:0:root:/root:/bin/bash'],
    ['a wrong type deep inside', JSON.stringify({ anchor: { range: 'x' } })],
  ])('names a manifest that is %s MANIFEST_INVALID', async (_what, text) => {
    const bundle = await copyOf('plain');
    const wrong = text.startsWith('{') ? JSON.stringify({ ...plain, ...JSON.parse(text) }) : text;
    await writeFile(join(bundle, 'manifest.json'), wrong);
    const report = await verify(bundle);
    expect(report.failures.map((f) => f.reason)).toEqual(['MANIFEST_INVALID']);
    expect(JSON.stringify(report)).not.toContain('root:');
  });

  it('names a manifest.json larger than any real one MANIFEST_INVALID without reading it', async () => {
    const bundle = await copyOf('plain');
    await filler(join(bundle, 'manifest.json'), 2 << 20, ' ');
    const report = await verify(bundle);
    expect(report.failures).toEqual([
      expect.objectContaining({
        reason: 'MANIFEST_INVALID',
        detail: 'manifest.json holds 2097152 bytes, more than the 1048576 allowed',
      }),
    ]);
  });

  it('names a directory called manifest.json MANIFEST_INVALID', async () => {
    const bundle = await copyOf('plain');
    await rm(join(bundle, 'manifest.json'));
    await mkdir(join(bundle, 'manifest.json'));
    const report = await verify(bundle);
    expect(report.failures).toEqual([
      expect.objectContaining({ reason: 'MANIFEST_INVALID', file: 'manifest.json' }),
    ]);
    expect(report.failures[0].detail).toContain('a directory');
  });

  it('refuses a FIFO as the proofs file without blocking on it', async () => {
    const bundle = await copyOf('plain');
    await rm(join(bundle, plain.proofs.file));
    execFileSync('mkfifo', [join(bundle, plain.proofs.file)]);
    const report = await verify(bundle);
    expect(reasons(report)).toContainEqual(['FILE_NOT_REGULAR', plain.proofs.file]);
  }, 10_000);

  it('refuses a manifest.sig that is a symbolic link', async () => {
    const bundle = await copyOf('plain');
    await rm(join(bundle, 'manifest.sig'));
    await symlink(join(dir, 'plain', 'manifest.sig'), join(bundle, 'manifest.sig'));
    const report = await verify(bundle);
    expect(reasons(report)).toContainEqual(['SEAL_INVALID', 'manifest.sig']);
    expect(report.failures[0].detail).toContain('symbolic link');
  });

  it('flags files and directories the manifest does not name (issue #16)', async () => {
    const bundle = await copyOf('plain');
    await writeFile(join(bundle, 'README.txt'), 'trust me');
    await mkdir(join(bundle, 'extra'));
    await writeFile(join(bundle, 'evil\n\u001b[2J'), '');
    const report = await verify(bundle);
    expect(reasons(report)).toEqual([
      ['FILE_UNLISTED', 'README.txt'],
      ['FILE_UNLISTED', '"evil\\n\\u001b[2J"'],
      ['FILE_UNLISTED', 'extra'],
    ]);
  });

  it('stops at the hundredth failure', async () => {
    const bundle = await copyOf('plain');
    for (let i = 0; i < 150; i++) await writeFile(join(bundle, `junk-${i}`), '');
    const report = await verify(bundle);
    expect(report.failures).toHaveLength(100);
    expect(report.failures[99].detail).toContain('verification stopped');
  });

  it('reads the pristine bundle through its own keys as before', async () => {
    const report = await verifyBundle(new DirectoryBundleStore(join(dir, 'plain')));
    expect(report).toMatchObject({ valid: true, keysFromBundle: true });
    expect(JSON.parse(await readFile(join(dir, 'plain', 'manifest.json'), 'utf8'))).toEqual(plain);
  });
});
