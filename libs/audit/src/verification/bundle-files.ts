import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { MANIFEST_FILE, SEAL_FILE, type BundleManifest } from '../export/bundle-manifest';
import { BundleFileError, readRawAtMost, type BundleStore } from '../export/bundle-store';
import { EventLineError } from '../export/event-file';
import { LineTooLongError, textLines } from '../export/text-lines';
import { SAFE_NAME } from './bundle-manifest-schema';
import type { BundleFailureReason } from './bundle-verification';
import { AuditError } from '../errors/audit.error';

/** The manifest, its seal and keys.json are read whole: none of them comes near these sizes. */
export const MAX_MANIFEST_BYTES = 1 << 20;
export const MAX_SEAL_BYTES = 64 << 10;
export const MAX_KEYS_BYTES = 1 << 20;
/** A leaf line is 64 hex digits (and a `\r` if a tool rewrote the line endings). */
export const MAX_LEAF_LINE_BYTES = 128;

/** How the checks report a failure (the verifier collects them, and may stop at one). */
export type Fail = (
  reason: BundleFailureReason,
  detail: string,
  at?: { file?: string | null; globalSeq?: number | null; eventId?: string | null },
) => void;

/** A read failure inside one bundle file: the walk stops there. */
export class FileError extends AuditError {
  readonly code = 'AUDIT_BUNDLE_FILE_INVALID';
  constructor(
    readonly file: string,
    readonly reason: BundleFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** The failure a refused or unreadable file makes, its message naming the file, never its contents. */
export function fileFailure(file: string, error: unknown): FileError {
  if (error instanceof FileError) return error;
  if (error instanceof BundleFileError) {
    const reasons = {
      NOT_REGULAR: 'FILE_NOT_REGULAR',
      TOO_LARGE: 'FILE_TOO_LARGE',
      MISSING: 'FILE_MODIFIED',
    } as const;
    return new FileError(file, reasons[error.problem], error.message);
  }
  if (error instanceof LineTooLongError) return new FileError(file, 'FILE_TOO_LARGE', error.message);
  if (error instanceof EventLineError)
    return new FileError(file, 'FILE_UNREADABLE', `line ${error.line}: ${error.message}`);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // Anything else is a bug of the verifier, not a property of the bundle: it is not hidden.
  if (typeof code !== 'string') throw error;
  // NOTE: the code, not the message: the file system's and zlib's codes say all an operator needs.
  return new FileError(file, 'FILE_UNREADABLE', `cannot be read (${code})`);
}

/** The items of one file, its read failures turned into FileErrors that name it. */
export async function* tagged<T>(file: string, items: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* items;
  } catch (error) {
    throw fileFailure(file, error);
  }
}

/** The lines of a leaves or proofs file, none blank, none longer than `maxLineBytes`. */
export async function* lines(text: Readable, maxLineBytes: number): AsyncIterable<string> {
  let line = 0;
  for await (const value of textLines(text, maxLineBytes)) {
    line++;
    // NOTE: an exporter writes no blank line; refusing them bounds a file of newlines by its size.
    if (value === '') throw new EventLineError(line, 'a blank line');
    yield value;
  }
}

/** A stored file against its manifest entry: null when it matches; `readable` false when it cannot be read. */
async function fileProblem(
  store: BundleStore,
  file: string,
  expected: { sha256: string; bytes: number },
): Promise<{ failure: FileError; readable: boolean } | null> {
  const modified = (detail: string, readable = true) => ({
    failure: new FileError(file, 'FILE_MODIFIED', detail),
    readable,
  });
  try {
    const size = await store.size(file);
    if (size === null) return modified('the file is missing', false);
    if (size !== expected.bytes)
      return modified(`${size} bytes, the manifest records ${expected.bytes} bytes`);
    const hash = createHash('sha256');
    for await (const chunk of readRawAtMost(store, file, expected.bytes)) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    return sha256 === expected.sha256
      ? null
      : modified(`SHA-256 ${sha256}, the manifest records ${expected.sha256}`);
  } catch (error) {
    return { failure: fileFailure(file, error), readable: false };
  }
}

/**
 * Every file the manifest names against its recorded length and SHA-256, reading no more than
 * that length. Returns the files that are missing or refused (not regular files): not to be read.
 */
export async function checkFiles(
  store: BundleStore,
  manifest: BundleManifest,
  fail: Fail,
): Promise<Set<string>> {
  const unreadable = new Set<string>();
  for (const [file, expected] of Object.entries(manifest.files)) {
    const problem = await fileProblem(store, file, expected);
    if (!problem) continue;
    if (!problem.readable) unreadable.add(file);
    fail(problem.failure.reason, problem.failure.message, { file });
  }
  return unreadable;
}

/** Entries of the bundle the manifest does not name: whatever they hold, the seal does not cover them. */
export async function checkUnnamed(store: BundleStore, manifest: BundleManifest, fail: Fail): Promise<void> {
  const names = await store.names().catch((error: unknown) => {
    fail(
      'FILE_UNREADABLE',
      `the bundle cannot be listed (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
    return [];
  });
  for (const name of names.sort())
    if (name !== MANIFEST_FILE && name !== SEAL_FILE && !Object.hasOwn(manifest.files, name))
      fail('FILE_UNLISTED', 'the manifest does not name this file: the seal does not cover it', {
        // NOTE: quoted when it is not a plain name: a name may hold a newline or an escape sequence.
        file: SAFE_NAME.test(name) ? name : JSON.stringify(name),
      });
}
