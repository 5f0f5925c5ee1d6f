import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

/** What was written: the SHA-256 and length of the stored bytes (compressed, if the name ends in .gz). */
export interface WrittenFile {
  sha256: string;
  bytes: number;
}

/**
 * Where a bundle's files live: a directory (export, the default archive sink) or an object store.
 * An implementation for S3/GCS/Azure writes each file as one object under a prefix; files are
 * written once and read back whole, in streams, so a bundle of millions of events never sits in
 * memory.
 */
export interface BundleStore {
  /** A human-readable location (path or URL) for reports. */
  readonly location: string;
  /** Writes a file from text chunks (streamed); a name ending in `.gz` is gzip-compressed. */
  write(name: string, chunks: AsyncIterable<string> | Iterable<string>): Promise<WrittenFile>;
  /** The file's stored bytes (still compressed). */
  readRaw(name: string): Readable;
  /** True when the file exists. */
  has(name: string): Promise<boolean>;
}

/** A streaming SHA-256 and byte count of whatever passes through. */
class Digest extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.push(chunk);
    done();
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

/** The decompressed text of a stored file (the verifier checks the stored bytes' digest on its own pass). */
export function readText(store: BundleStore, name: string): Readable {
  const raw = store.readRaw(name);
  if (!name.endsWith('.gz')) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/** A bundle in a local directory: `npx audit-ledger export --out <dir>` and the default archive sink. */
export class DirectoryBundleStore implements BundleStore {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  async write(name: string, chunks: AsyncIterable<string> | Iterable<string>): Promise<WrittenFile> {
    await mkdir(this.location, { recursive: true });
    const path = join(this.location, name);
    // Written under a temporary name and renamed: a crash never leaves a truncated file that looks whole.
    const partial = `${path}.partial`;
    const digest = new Digest();
    const source = Readable.from(chunks);
    const out = createWriteStream(partial, { mode: 0o640 });
    if (name.endsWith('.gz')) await pipeline(source, createGzip(), digest, out);
    else await pipeline(source, digest, out);
    await rename(partial, path);
    return { sha256: digest.hex(), bytes: digest.bytes };
  }

  readRaw(name: string): Readable {
    return createReadStream(join(this.location, name));
  }

  async has(name: string): Promise<boolean> {
    return stat(join(this.location, name)).then(
      () => true,
      () => false,
    );
  }
}

/** A small file (manifest, seal, keys) as text, or null when it is missing. */
export async function readWhole(store: BundleStore, name: string): Promise<string | null> {
  if (!(await store.has(name))) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of store.readRaw(name)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
