import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// `npm run worker`'s entry point, as `npm run bench` has just built it.
const WORKER = join(__dirname, '..', 'src', 'worker.js');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** A running sealing worker process. */
export interface BenchWorker {
  pid: number;
  /** False once it has exited. */
  running(): boolean;
  /** What it printed, for an error message. */
  output(): string;
  /** Its peak resident memory so far (VmHWM), MB; 0 once it has exited. */
  peakMb(): number;
  /** SIGTERM (in-flight jobs finish), SIGKILL if it has not exited within 30 s. */
  stop(): Promise<void>;
}

/** Starts a sealing worker process with `env` and resolves once it reports started. */
export function startWorker(env: NodeJS.ProcessEnv): Promise<BenchWorker> {
  // BENCH_WORKER_FLAGS: node flags for the workers, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them.
  const flags = process.env.BENCH_WORKER_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, WORKER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const worker: BenchWorker = {
    pid: child.pid!,
    running: () => child.exitCode === null && child.signalCode === null,
    output: () => output,
    peakMb: () => peakResidentMb(child.pid!),
    stop: async () => {
      if (!worker.running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`sealing worker ${why}:\n${output}`));
    };
    const timer = setTimeout(() => fail('did not start'), START_TIMEOUT_MS);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('sealing worker started')) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(worker);
      }
    };
    const onExit = (code: number | null) => fail(`exited with ${code}`);
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', onExit);
  });
}

/** A process's peak resident set (VmHWM), MB; 0 when it is gone. */
export function peakResidentMb(pid: number): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return hwm ? Number(hwm[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}
