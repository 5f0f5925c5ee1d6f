import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const WORKER = join(__dirname, '..', '..', 'dist', 'src', 'worker.js');

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then how it ended: an exit code (0 after its shutdown hooks), or a signal. */
  stop(): Promise<number | NodeJS.Signals | null>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every worker process a test started and did not stop (after a failure, say), so jest can exit. */
export function killWorkerProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Starts `npm run worker`'s compiled entry point (built by `npm test`) and waits until it is up. */
export async function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [WORKER], {
    // Tests read its lifecycle lines (started, stopped), logged at info.
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 30000);
    const check = () => {
      if (output.includes('sealing worker started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null)
          return resolve(child.exitCode ?? child.signalCode);
        child.once('exit', (code, signal) => resolve(code ?? signal));
        child.kill('SIGTERM');
      }),
  };
}
