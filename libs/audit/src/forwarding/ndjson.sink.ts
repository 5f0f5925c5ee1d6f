import { fsync } from 'node:fs';
import { promisify } from 'node:util';
import { destination } from 'pino';
import { SinkDeliveryFailedError } from '../errors/sink-delivery-failed.error';
import type { EcsDocument } from '../export/ecs-document';
import type { AuditEventSink } from './audit-event-sink';

type Destination = ReturnType<typeof destination>;

/** Options of `NdjsonSink`. */
export interface NdjsonSinkOptions {
  /** The cursor key (see `AuditEventSink.name`). Required: a name derived from the path would change with it. */
  name: string;
  /** A file path (appended to; parent directories created), or `1` for standard output. */
  dest: string | 1;
  /**
   * Reopen the file when the process receives this signal (`'SIGHUP'`, as logrotate's
   * `postrotate` sends): the rotated file is left complete and writing goes on in a new one.
   * Default: none (call `reopen()` yourself). Listening to a signal replaces its default action
   * (SIGHUP would otherwise end the process), hence opt-in.
   */
  reopenOn?: NodeJS.Signals;
}

/**
 * Writes one ECS JSON document per line (NDJSON), through a pino destination (sonic-boom,
 * asynchronous). A batch is acknowledged only once every byte is written and, for a file,
 * fsynced: the forwarding cursor never runs ahead of the bytes on disk. After a failed write
 * the destination is dropped with what it still buffered and reopened for the retry, so the
 * file may hold part of that batch twice, never a gap.
 */
export class NdjsonSink implements AuditEventSink {
  readonly name: string;
  private readonly dest: string | 1;
  private readonly reopenOn?: NodeJS.Signals;
  private stream?: Destination;
  private broken?: Error;
  private readonly onSignal = () => this.reopen();

  constructor(options: NdjsonSinkOptions) {
    this.name = options.name;
    this.dest = options.dest;
    this.reopenOn = options.reopenOn;
  }

  async send(documents: EcsDocument[]): Promise<void> {
    if (documents.length === 0) return;
    const stream = this.open();
    try {
      const written = this.drained(stream);
      for (const doc of documents) stream.write(`${JSON.stringify(doc)}\n`);
      await written;
      // NOTE: standard output is a pipe or a terminal: nothing to sync, and fsync would fail.
      // sonic-boom's `fd` (public, if missing from its typings) is the file open now, after any reopen.
      if (typeof this.dest === 'string') await promisify(fsync)((stream as unknown as { fd: number }).fd);
    } catch (error) {
      this.discard();
      throw new SinkDeliveryFailedError(`Writing to ${this.where()} failed: ${(error as Error).message}`, {
        retryable: true,
        cause: error,
      });
    }
  }

  /** Reopens the file (after log rotation moved it away); nothing to do for standard output. */
  reopen(): void {
    if (typeof this.dest === 'string' && this.stream && !this.broken) this.stream.reopen();
  }

  /** Flushes and closes the file; a later `send` opens it again. */
  async close(): Promise<void> {
    if (this.broken) return this.discard();
    const stream = this.stream;
    this.detach();
    if (!stream) return;
    await new Promise<void>((resolve) => {
      stream.once('close', () => resolve());
      stream.once('error', () => resolve());
      stream.end();
    });
  }

  private open(): Destination {
    if (this.broken) this.discard();
    if (this.stream) return this.stream;
    // NOTE: minLength 0 (pino's default) writes each line at once, so 'drain' means "all written".
    // flush(cb) would not do: with minLength 0 it calls back before the bytes are written.
    const stream = destination({ dest: this.dest, sync: false, mkdir: true, minLength: 0 });
    stream.on('error', (error: Error) => {
      if (this.stream === stream) this.broken ??= error;
    });
    this.stream = stream;
    if (this.reopenOn) process.on(this.reopenOn, this.onSignal);
    return stream;
  }

  /** Resolves once everything written so far reached the file descriptor; rejects on a write error. */
  private drained(stream: Destination): Promise<void> {
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        stream.off('error', onError);
        resolve();
      };
      const onError = (error: Error) => {
        stream.off('drain', onDrain);
        reject(error);
      };
      stream.once('drain', onDrain);
      stream.once('error', onError);
    });
  }

  private discard(): void {
    const stream = this.stream;
    this.detach();
    try {
      stream?.destroy();
    } catch {
      // Already destroyed: nothing left to release.
    }
  }

  private detach(): void {
    if (this.reopenOn) process.off(this.reopenOn, this.onSignal);
    this.stream = undefined;
    this.broken = undefined;
  }

  private where(): string {
    return this.dest === 1 ? 'standard output' : this.dest;
  }
}
