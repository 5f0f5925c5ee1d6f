import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyProviderError } from '../errors/key-provider.error';
import { DirectoryKeyProvider } from './directory.key-provider';
import { EnvKeyProvider } from './env.key-provider';

// The signer key of Go's golang.org/x/mod/sumdb/note documentation example.
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';

describe('DirectoryKeyProvider', () => {
  let dir: string;
  beforeEach(async () => (dir = join(await mkdtemp(join(tmpdir(), 'keys-')), 'keys')));
  afterEach(async () => rm(join(dir, '..'), { recursive: true, force: true }));

  it('creates keys in a private directory, one 0600 file per key, and destroys them', async () => {
    const provider = new DirectoryKeyProvider(dir);
    const a = await provider.createSigner('audit/log');
    const b = await provider.createSigner('audit/log');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([`${a.keyId.toString('hex')}.key`, `${b.keyId.toString('hex')}.key`].sort());
    for (const f of files) expect((await stat(join(dir, f))).mode & 0o777).toBe(0o600);
    const loaded = await new DirectoryKeyProvider(dir).signers();
    expect(loaded.map((s) => s.publicKey.toString('hex')).sort()).toEqual(
      [a, b].map((s) => s.publicKey.toString('hex')).sort(),
    );
    await provider.destroySigner(a.keyId.toString('hex'));
    expect((await provider.signers()).map((s) => s.keyId.toString('hex'))).toEqual([b.keyId.toString('hex')]);
  });

  it('never shows a half-written key to a reader, however the writes and reads interleave', async () => {
    const provider = new DirectoryKeyProvider(dir);
    const reads: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      reads.push(provider.createSigner('audit/log'), provider.signers());
    }
    await expect(Promise.all(reads)).resolves.toBeDefined();
    expect(await provider.signers()).toHaveLength(20);
  });

  it('refuses a path that is not a key id', async () => {
    await expect(new DirectoryKeyProvider(dir).destroySigner('../etc')).rejects.toBeInstanceOf(
      KeyProviderError,
    );
  });
});

describe('EnvKeyProvider', () => {
  it('reads one or more signer keys from the variable', async () => {
    const provider = new EnvKeyProvider('KEYS', { KEYS: ` ${GO_SKEY}, ${GO_SKEY}\n` });
    const signers = await provider.signers();
    expect(signers.map((s) => s.keyId.toString('hex'))).toEqual(['c74f20a3', 'c74f20a3']);
  });

  it('names the variable, never its value, when a key is malformed; cannot create keys', async () => {
    const secret = GO_SKEY.slice(0, -4) + 'AAAA';
    const error = await new EnvKeyProvider('KEYS', { KEYS: secret }).signers().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as Error).message).toContain('KEYS');
    expect((error as Error).message).not.toContain(secret.split('+').pop());
    await expect(new EnvKeyProvider('KEYS', {}).createSigner()).rejects.toBeInstanceOf(KeyProviderError);
  });
});
