import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { peakResidentMb } from './worker-process';

// `npx audit-ledger`, as `npm run bench` has just built it.
const CLI = join(dirname(require.resolve('audit-ledger/package.json')), 'dist', 'cli', 'main.js');
const SAMPLE_MS = 25;

/** One run of the built CLI. */
export interface CliRun<T> {
  /** Wall time of the whole process, start-up included. */
  seconds: number;
  /** Peak resident set of the CLI process (VmHWM), MB. */
  peakMb: number;
  /** Its `--json` document. */
  doc: T;
}

/**
 * Runs the built CLI with `--json` as an operator would (`nodeFlags` go to node itself), sampling
 * its peak resident memory from /proc until it exits; rejects on a non-zero exit.
 */
export function runCli<T>(
  args: string[],
  env: Record<string, string>,
  nodeFlags: string[] = [],
): Promise<CliRun<T>> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeFlags, CLI, '--json', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let peakMb = 0;
    // VmHWM only grows: the last sample before the process exits stands (0 once it is gone).
    const sample = () => (peakMb = Math.max(peakMb, peakResidentMb(child.pid!)));
    const timer = setInterval(sample, SAMPLE_MS);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) reject(new Error(`audit-ledger ${args.join(' ')}: exit ${code}\n${stderr}`));
      else resolve({ seconds, peakMb, doc: JSON.parse(stdout) as T });
    });
  });
}
