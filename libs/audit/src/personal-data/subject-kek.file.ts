import { randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KeyProviderError } from '../errors/key-provider.error';

function parseKek(text: string, file: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed))
    throw new KeyProviderError(`${file} does not hold the base64 form of a 32-byte key.`);
  return Buffer.from(trimmed, 'base64');
}

/** The key-encryption key in `file`, or null when there is no such file. */
export async function readKekFile(file: string): Promise<Buffer | null> {
  try {
    return parseKek(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Creates `file` with a fresh random key (directory 0700, file 0600, as DirectoryKeyProvider keeps
 * signing keys) unless it exists, and returns the key the file then holds. NOTE: written aside and
 * linked into place, which fails when another process created it first (a rename would replace
 * that key and orphan every subject key it wrapped); both then use the first one.
 */
export async function createKekFile(file: string): Promise<Buffer> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = join(dirname(file), `.${randomUUID()}.tmp`);
  await writeFile(temp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { force: true });
  }
  return parseKek(await readFile(file, 'utf8'), file);
}
