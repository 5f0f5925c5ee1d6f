import { createHash } from 'node:crypto';
import { constants, createWriteStream, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, rename } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pipeline as streamPipeline, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { AuditError } from '../errors/audit.error';

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
  /**
   * The file's stored bytes (still compressed). The stream fails with a BundleFileError when the
   * name is missing or is not a regular file of the bundle (a link, directory, FIFO or device).
   */
  readRaw(name: string): Readable;
  /**
   * The stored size of the file in bytes, or null when there is none; rejects with a
   * BundleFileError when the name is not a regular file.
   */
  size(name: string): Promise<number | null>;
  /** The names of every entry the bundle holds (files or not), so a verifier can flag unnamed ones. */
  names(): Promise<string[]>;
}

/** Why a bundle file is not read: `NOT_REGULAR` (a link, directory, FIFO, device …), `MISSING`, `TOO_LARGE`. */
export type BundleFileProblem = 'NOT_REGULAR' | 'MISSING' | 'TOO_LARGE';

/**
 * A bundle file a store or reader refuses. The message names the file and the problem, never the
 * file's contents: the verifier reports it as a failure of the bundle, it is not thrown to users.
 */
export class BundleFileError extends AuditError {
  readonly code = 'AUDIT_BUNDLE_FILE_REFUSED';
  constructor(
    readonly file: string,
    readonly problem: BundleFileProblem,
    message: string,
  ) {
    super(message);
  }
}

const kindOf = (stats: Stats) =>
  stats.isSymbolicLink()
    ? 'a symbolic link'
    : stats.isDirectory()
      ? 'a directory'
      : stats.isFIFO()
        ? 'a FIFO'
        : stats.isSocket()
          ? 'a socket'
          : stats.isCharacterDevice() || stats.isBlockDevice()
            ? 'a device'
            : 'not a regular file';

const notRegular = (name: string, stats: Stats) =>
  new BundleFileError(name, 'NOT_REGULAR', `${name} is ${kindOf(stats)}, not a regular file: it is not read`);

/** The path of a plain name inside `dir`; a path (`a/b`, `..`) is refused. */
function pathIn(dir: string, name: string): string {
  if (basename(name) !== name || name === '.' || name === '..')
    throw new BundleFileError(name, 'NOT_REGULAR', 'not a file name inside the bundle: it is not read');
  return join(dir, name);
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

/**
 * At most `maxBytes` of a file's stored bytes: a file that grew past the size its manifest
 * declares is read no further than that size (the verifier reports the difference on its own).
 */
export function readRawAtMost(store: BundleStore, name: string, maxBytes: number): Readable {
  const raw = store.readRaw(name);
  return Readable.from(
    (async function* () {
      let left = maxBytes;
      try {
        for await (const chunk of raw) {
          const bytes = chunk as Buffer;
          if (bytes.length >= left) {
            yield bytes.subarray(0, left);
            return;
          }
          left -= bytes.length;
          yield bytes;
        }
      } finally {
        raw.destroy();
      }
    })(),
    { objectMode: false },
  );
}

/**
 * The decompressed text of a stored file, from at most `maxBytes` stored bytes (the verifier
 * checks the stored bytes' digest on its own pass). Decompression is lazy: a reader that stops
 * (a line too long, a count exceeded) stops inflating too, so a small file that inflates to
 * gigabytes costs only what was read of it.
 */
export function readText(store: BundleStore, name: string, maxBytes: number): Readable {
  const raw = readRawAtMost(store, name, maxBytes);
  if (!name.endsWith('.gz')) return raw;
  // NOTE: pipeline, not pipe: a reader that stops early destroys the gunzip, and with it the file.
  return streamPipeline(raw, createGunzip(), () => undefined);
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
    const dir = this.location;
    return Readable.from(
      (async function* () {
        const path = pathIn(dir, name);
        // NOTE: O_NOFOLLOW refuses a symbolic link as the last component (the name holds no other),
        // O_NONBLOCK keeps a FIFO from blocking the open; fstat then checks the file opened, so a
        // file swapped after an lstat is still refused.
        const handle = await open(
          path,
          constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
        ).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') throw new BundleFileError(name, 'MISSING', `${name} is missing`);
          if (error.code === 'ELOOP' || error.code === 'EMLINK') throw notRegular(name, await lstat(path));
          throw error;
        });
        try {
          const stats = await handle.stat();
          if (!stats.isFile()) throw notRegular(name, stats);
          yield* handle.createReadStream({ autoClose: false });
        } finally {
          await handle.close();
        }
      })(),
      { objectMode: false },
    );
  }

  async size(name: string): Promise<number | null> {
    const stats = await lstat(pathIn(this.location, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (stats === null) return null;
    if (!stats.isFile()) throw notRegular(name, stats);
    return stats.size;
  }

  async names(): Promise<string[]> {
    return readdir(this.location);
  }
}

/**
 * A small file (manifest, seal, keys) as text, or null when it is missing. Rejects with a
 * BundleFileError when it is not a regular file or holds more than `maxBytes`.
 */
export async function readWhole(store: BundleStore, name: string, maxBytes: number): Promise<string | null> {
  const size = await store.size(name);
  if (size === null) return null;
  if (size > maxBytes)
    throw new BundleFileError(
      name,
      'TOO_LARGE',
      `${name} holds ${size} bytes, more than the ${maxBytes} allowed`,
    );
  const chunks: Buffer[] = [];
  for await (const chunk of readRawAtMost(store, name, maxBytes + 1)) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  if (bytes.length > maxBytes)
    throw new BundleFileError(name, 'TOO_LARGE', `${name} holds more than the ${maxBytes} bytes allowed`);
  return bytes.toString('utf8');
}
