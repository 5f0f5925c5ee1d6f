import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const CHILD = join(__dirname, 'support', 'verification-threads.child.mjs');

/**
 * The verification threads of the built library (libs/audit/dist: the worker file exists only
 * there), in a process of their own as a CLI run or an app has them.
 */
describe('verification threads (EventHashPool, built)', () => {
  let result: Record<string, unknown>;

  beforeAll(async () => {
    // NOTE: the child never stops its pool: it exiting within the timeout shows idle threads hold no process.
    const { stdout } = await promisify(execFile)(process.execPath, [CHILD], { timeout: 30_000 });
    result = JSON.parse(stdout) as Record<string, unknown>;
  }, 40_000);

  it('hashes in the threads exactly what this thread finds, honest rows and tampered ones alike', () => {
    const counts = result.counts as number[];
    // MATCH, UNKNOWN_ALGORITHM, UNHASHED_MEMBERS, MISMATCH over 3,000 bodies (every 7th, 11th, 13th tampered)
    expect(counts[0]).toBeGreaterThan(2000);
    expect(counts[1]).toBeGreaterThan(200);
    expect(counts[3]).toBeGreaterThan(500);
    expect(result).toMatchObject({ threads: 2, pooled: true });
  });

  it("bounds each thread's heap: a small young generation, a bounded old one", () => {
    const limits = result.limits as Record<string, number>;
    expect(limits.maxYoungGenerationSizeMb).toBe(8);
    expect(limits.maxOldGenerationSizeMb).toBeGreaterThan(0);
    expect(limits.maxOldGenerationSizeMb).toBeLessThanOrEqual(256);
  });

  it('hashes the rows of a thread that dies in the calling thread, and goes on without it', () => {
    expect(result).toMatchObject({ afterCrash: true, afterCrashAgain: true, threadsAfterCrash: 0 });
  });

  it('hashes in the calling thread with no threads configured', () => {
    expect(result).toMatchObject({ inThread: true, threadsOfNone: 0 });
  });
});
