import fc from 'fast-check';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryBundleStore } from '../export/bundle-store';
import { formatPublishedKeys, parsePublishedKeys } from '../keys/published-keys';
import type { SigningKeyRecord } from '../keys/signing-key-record';
import { verifyBundle } from './bundle-verifier';
import { computeExample } from './testdata/worked-example-bundle';

/** What an attacker can do to one file's bytes (or to the directory), as fast-check generates it. */
type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate-line'; line: number }
  | { kind: 'swap-lines'; a: number; b: number }
  | { kind: 'remove-file' }
  | { kind: 'add-file'; name: string; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('remove-file' as const) }),
  fc.record({
    kind: fc.constant('add-file' as const),
    name: fc.stringMatching(/^[a-z][a-z0-9._-]{0,11}$/),
    bytes: fc.uint8Array({ maxLength: 64 }),
  }),
);

/** The files after `m` on file `target`; null for a file removed. */
function apply(files: Map<string, Buffer>, target: string, m: Mutation): Map<string, Buffer | null> {
  const out = new Map<string, Buffer | null>(files);
  const bytes = files.get(target)!;
  const at = bytes.length === 0 ? 0 : ((m as { at?: number }).at ?? 0);
  const i = bytes.length === 0 ? 0 : at % bytes.length;
  const lines = () => bytes.toString('latin1').split('\n');
  const joined = (parts: string[]) => Buffer.from(parts.join('\n'), 'latin1');
  switch (m.kind) {
    case 'flip': {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[i] ^= 1 << m.bit;
      out.set(target, copy);
      break;
    }
    case 'delete':
      out.set(target, Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + m.length)]));
      break;
    case 'insert':
      out.set(target, Buffer.concat([bytes.subarray(0, i), Buffer.from(m.bytes), bytes.subarray(i)]));
      break;
    case 'truncate':
      out.set(target, bytes.subarray(0, i));
      break;
    case 'duplicate-line': {
      const parts = lines();
      const n = m.line % parts.length;
      out.set(target, joined([...parts.slice(0, n + 1), parts[n], ...parts.slice(n + 1)]));
      break;
    }
    case 'swap-lines': {
      const parts = lines();
      const [a, b] = [m.a % parts.length, m.b % parts.length];
      [parts[a], parts[b]] = [parts[b], parts[a]];
      out.set(target, joined(parts));
      break;
    }
    case 'remove-file':
      out.set(target, null);
      break;
    case 'add-file':
      if (!files.has(m.name)) out.set(m.name, Buffer.from(m.bytes));
      break;
  }
  return out;
}

const unchanged = (before: Map<string, Buffer>, after: Map<string, Buffer | null>) =>
  before.size === after.size && [...before].every(([name, bytes]) => after.get(name)?.equals(bytes) === true);

/**
 * The tamper property of #18 over bundle files: whatever an attacker does to a bundle's bytes
 * (flips, deletions, insertions, truncations, duplicated or swapped lines, a file removed or one
 * added), the offline verifier gives a verdict and never throws, and the verdict is `valid`
 * exactly when nothing changed. Over the worked example of docs/integrity.md (two events, a
 * signed batch, a sealed manifest), with the trusted keys and with the bundle's own.
 */
describe('offline verification under random tampering (property)', () => {
  let base: string;
  let files: Map<string, Buffer>;
  let trusted: SigningKeyRecord[];
  let runs = 0;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'audit-tamper-'));
    const honest = join(base, 'honest');
    const example = await computeExample(honest);
    trusted = parsePublishedKeys(formatPublishedKeys([example.key]));
    files = new Map();
    for (const name of await readdir(honest)) files.set(name, await readFile(join(honest, name)));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  const verdictOf = async (tampered: Map<string, Buffer | null>, keys: SigningKeyRecord[] | undefined) => {
    const dir = join(base, `run-${runs++}`);
    await mkdir(dir);
    for (const [name, bytes] of tampered) if (bytes) await writeFile(join(dir, name), bytes);
    try {
      return await verifyBundle(new DirectoryBundleStore(dir), keys ? { trustedKeys: keys } : {});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('the honest bundle verifies (the property below starts from a valid bundle)', async () => {
    expect((await verdictOf(files, trusted)).valid).toBe(true);
    expect((await verdictOf(files, undefined)).valid).toBe(true);
  });

  it('valid exactly when nothing changed, and never a throw (300 random tamperings, both key sources)', async () => {
    const names = [...files.keys()].sort();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (target, mutations, ownKeys) => {
          let tampered: Map<string, Buffer | null> = files;
          for (const m of mutations) {
            const present = new Map([...tampered].filter((e): e is [string, Buffer] => e[1] !== null));
            tampered = apply(present, present.has(target) ? target : [...present.keys()][0], m);
          }
          const report = await verdictOf(tampered, ownKeys ? undefined : trusted);
          expect(report.valid).toBe(unchanged(files, tampered));
          if (!report.valid) expect(report.failures.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300, seed: 1812 },
    );
  });
});
