import type { Readable } from 'node:stream';
import { AuditError } from '../errors/audit.error';

/** A line longer than the reader accepts: reading stops there, before the line is held whole. */
export class LineTooLongError extends AuditError {
  readonly code = 'AUDIT_LINE_TOO_LONG';
  constructor(
    readonly line: number,
    readonly maxBytes: number,
  ) {
    super(`line ${line} is longer than ${maxBytes} bytes`);
  }
}

/**
 * The lines of a text stream, pulled one chunk at a time. Written by hand because readline's
 * async iterator keeps reading ahead and queues every line it emits while the consumer is busy:
 * the bundle verifier reads three files in lockstep, and readline held the lagging ones in memory
 * (+50 % peak memory for 5x the events). Iterating the stream itself reads only on demand.
 * Accepts `\n` and `\r\n` endings; the last line may lack one. A line of more than `maxLineBytes`
 * bytes (default: no limit) throws LineTooLongError as soon as that many bytes are pending.
 */
export async function* textLines(stream: Readable, maxLineBytes = Infinity): AsyncGenerator<string> {
  // NOTE: split on bytes, not text: `\n` never occurs inside a multi-byte UTF-8 character, and the
  // pieces of a long line are joined once, when it ends (joining strings per chunk and splitting
  // the result again was quadratic in the line's length).
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  const take = (tail: Buffer): string => {
    const bytes = pending.length ? Buffer.concat([...pending, tail]) : tail;
    pending = [];
    pendingBytes = 0;
    const end = bytes.length && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    return bytes.toString('utf8', 0, end);
  };
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    let start = 0;
    for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
      line++;
      if (pendingBytes + end - start > maxLineBytes) throw new LineTooLongError(line, maxLineBytes);
      yield take(bytes.subarray(start, end));
      start = end + 1;
    }
    if (start < bytes.length) {
      pendingBytes += bytes.length - start;
      if (pendingBytes > maxLineBytes) throw new LineTooLongError(line + 1, maxLineBytes);
      pending.push(bytes.subarray(start));
    }
  }
  if (pendingBytes > 0) yield take(Buffer.alloc(0));
}

/** Default size of the chunks `inChunksOf` hands on: under V8's large-object size (128 KiB). */
export const WRITE_CHUNK_CHARS = 64 * 1024;

/**
 * The same text in chunks of about `chars` characters (a piece longer than that passes whole):
 * an export yields one line per event, and a stream fed a million small strings pays for each one
 * in stream machinery, one zlib call and its output buffer, and garbage collection (under a 96 MB
 * heap cap, 61% of an export's CPU went to the collector and 18% to zlib calls; measured in
 * docs/performance.md).
 */
export async function* inChunksOf(
  pieces: AsyncIterable<string> | Iterable<string>,
  chars = WRITE_CHUNK_CHARS,
): AsyncGenerator<string> {
  let parts: string[] = [];
  let length = 0;
  for await (const piece of pieces) {
    parts.push(piece);
    length += piece.length;
    if (length >= chars) {
      yield parts.join('');
      parts = [];
      length = 0;
    }
  }
  if (length > 0) yield parts.join('');
}
