import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import { hashVerdictsOf } from './hash-verdicts';

// The compiled worker beside this module; absent when the library runs from its TypeScript
// sources (its own unit tests), where every verdict is computed in the calling thread.
const WORKER_FILE = join(__dirname, 'event-hash.worker.js');
// Below this, posting the rows to a thread and back costs more than hashing them here.
const MIN_ROWS_PER_THREAD = 200;
// A thread holds one share of a page's bodies and the garbage of parsing them one at a time. V8's
// default young generation let each thread's heap reach ~146 MB (used: 64 MB) during a 100,000-event
// `verify`; 8 MB kept it at ~25 MB at the same speed (process peak under a 96 MB main-thread cap:
// 470 -> 300 MB). NOTE: --max-old-space-size, when given, overrides the old-generation limit.
// A thread that runs out of its heap is dropped and its rows are hashed in the calling thread.
const THREAD_HEAP = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 };

interface PoolThread {
  worker: Worker;
  pending: Map<number, { resolve: (verdicts: Uint8Array) => void; reject: (error: Error) => void }>;
}

/**
 * Worker threads that compute event hash verdicts (./hash-verdicts.ts) for full log verification,
 * so that the events hash on another core while the calling thread reads rows and checks links,
 * leaves and statements: each row carries its own `prev_hash`, so rows hash independently. The
 * threads start with a run (`warm`) or on first use and never keep the process alive; a thread
 * that fails is dropped and its rows are hashed in the calling thread, so a verdict never depends
 * on the pool. `verificationThreads` sets their number (0: none).
 */
@Injectable()
export class EventHashPool implements OnModuleDestroy {
  private readonly logger = new Logger(EventHashPool.name);
  private threads: PoolThread[] | null = null;
  private nextId = 0;

  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: Pick<ResolvedAuditOptions, 'verificationThreads'>,
  ) {}

  /** The verdicts of `bodies` (./hash-verdicts.ts `hashBodyOf`), in order. */
  async verdicts(bodies: readonly string[]): Promise<Uint8Array> {
    const threads = this.started();
    const parts = Math.min(threads.length, Math.floor(bodies.length / MIN_ROWS_PER_THREAD));
    if (parts === 0) return hashVerdictsOf(bodies);
    const out = new Uint8Array(bodies.length);
    const size = Math.ceil(bodies.length / parts);
    const posted = threads.slice(0, parts).map((thread, i) => {
      const chunk = bodies.slice(i * size, Math.min(bodies.length, (i + 1) * size));
      return { from: i * size, chunk, result: this.post(thread, chunk) };
    });
    for (const { from, chunk, result } of posted) {
      out.set(await result.catch(() => hashVerdictsOf(chunk)), from);
    }
    return out;
  }

  /** Starts the threads now, so that their start-up overlaps the caller's first reads. */
  warm(): void {
    this.started();
  }

  async onModuleDestroy(): Promise<void> {
    const threads = this.threads ?? [];
    this.threads = [];
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private started(): PoolThread[] {
    if (this.threads) return this.threads;
    const wanted = existsSync(WORKER_FILE) ? this.options.verificationThreads : 0;
    this.threads = [];
    for (let i = 0; i < wanted; i++) {
      try {
        this.threads.push(this.thread());
      } catch (error) {
        this.logger.warn(
          `a verification thread did not start (${(error as Error).name}); hashing in this thread`,
        );
        break;
      }
    }
    return this.threads;
  }

  private thread(): PoolThread {
    const worker = new Worker(WORKER_FILE, { resourceLimits: THREAD_HEAP });
    // NOTE: idle threads never keep a CLI run or a test process alive.
    worker.unref();
    const thread: PoolThread = { worker, pending: new Map() };
    worker.on('message', ({ id, verdicts }: { id: number; verdicts: Uint8Array }) => {
      thread.pending.get(id)?.resolve(verdicts);
      thread.pending.delete(id);
    });
    const drop = (why: string) => {
      this.threads = (this.threads ?? []).filter((t) => t !== thread);
      for (const p of thread.pending.values()) p.reject(new Error(why));
      thread.pending.clear();
    };
    worker.on('error', (error) => {
      this.logger.warn(`a verification thread failed (${error.name}); its rows are hashed in this thread`);
      drop('the verification thread failed');
    });
    worker.on('exit', () => drop('the verification thread exited'));
    return thread;
  }

  private post(thread: PoolThread, bodies: string[]): Promise<Uint8Array> {
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      // NOTE: a thread with work pending keeps the process alive until it answers.
      thread.worker.ref();
      thread.worker.postMessage({ id, bodies });
    }).finally(() => {
      if (thread.pending.size === 0) thread.worker.unref();
    });
  }
}
