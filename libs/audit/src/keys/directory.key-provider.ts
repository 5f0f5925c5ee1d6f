import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { noteSignerFromSeed, parseSignerKey, type NoteSigner } from '../crypto/signed-note';
import { KeyProviderError } from '../errors/key-provider.error';
import type { AuditKeyProvider } from './audit-key-provider';

/** The signer-key string of Go's `note.GenerateKey`: `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`. */
function formatSignerKey(signer: NoteSigner, seed: Buffer): string {
  const encoded = Buffer.concat([Buffer.from([0x01]), seed]).toString('base64');
  return `PRIVATE+KEY+${signer.name}+${signer.keyId.toString('hex')}+${encoded}`;
}

/**
 * Keeps one file per private key, `<key id>.key`, holding the signer-key string (the format
 * `golang.org/x/mod/sumdb/note` writes, so keys can also be made with Go tools). The directory is
 * created with mode 0700 and each file with 0600; rotation writes a new file, retirement deletes
 * the old one.
 */
export class DirectoryKeyProvider implements AuditKeyProvider {
  constructor(private readonly dir: string) {}

  async signers(): Promise<NoteSigner[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.key')).sort();
    return Promise.all(
      files.map(async (f) => parseSignerKey((await readFile(join(this.dir, f), 'utf8')).trim())),
    );
  }

  async createSigner(name: string): Promise<NoteSigner> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const seed = randomBytes(32);
    const signer = noteSignerFromSeed(name, seed);
    await writeFile(this.path(signer.keyId.toString('hex')), `${formatSignerKey(signer, seed)}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    return signer;
  }

  async destroySigner(keyId: string): Promise<void> {
    await rm(this.path(keyId), { force: true });
  }

  private path(keyId: string): string {
    if (!/^[0-9a-f]{8}$/.test(keyId)) throw new KeyProviderError(`Not a key id: ${JSON.stringify(keyId)}`);
    return join(this.dir, `${keyId}.key`);
  }
}
