import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { noteSignerFromSeed, parseSignerKey, type NoteSigner } from '../crypto/signed-note';
import { KeyProviderError } from '../errors/key-provider.error';
import type { AuditKeyProvider } from './audit-key-provider';

/** The signer-key string of Go's `note.GenerateKey`: `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`. */
function formatSignerKey(signer: NoteSigner, seed: Buffer): string {
  const encoded = Buffer.concat([Buffer.from([0x01]), seed]).toString('base64');
  return `PRIVATE+KEY+${signer.name}+${signer.keyId.toString('hex')}+${encoded}`;
}

function ignoreMissing(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT') return null;
  throw error;
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
    const texts = await Promise.all(
      // NOTE: another worker may retire (delete) a key between the listing and the read.
      files.map((f) => readFile(join(this.dir, f), 'utf8').catch(ignoreMissing)),
    );
    return texts.filter((t): t is string => t !== null).map((t) => parseSignerKey(t.trim()));
  }

  async createSigner(name: string): Promise<NoteSigner> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const seed = randomBytes(32);
    const signer = noteSignerFromSeed(name, seed);
    // NOTE: written aside and renamed into place, so a worker starting meanwhile never reads a
    // half-written key file.
    const temp = join(this.dir, `.${randomUUID()}.tmp`);
    await writeFile(temp, `${formatSignerKey(signer, seed)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temp, this.path(signer.keyId.toString('hex')));
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
