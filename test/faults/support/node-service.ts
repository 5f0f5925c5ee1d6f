import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { OutputBuffer } from './output-buffer';

const DIST = join(__dirname, '..', '..', '..', 'dist', 'src');

/** The compiled entry points (`npm run build`) and the line each prints once it is up. */
const ENTRY = {
  app: { file: join(DIST, 'main.js'), ready: 'Audit Ledger example listening on' },
  worker: { file: join(DIST, 'worker.js'), ready: 'sealing worker started' },
};

export type ServiceKind = keyof typeof ENTRY;
export type ExitStatus = number | NodeJS.Signals | null;

export const ENTRY_POINTS = Object.values(ENTRY).map((e) => e.file);

/** The example app (`node dist/src/main.js`) or a sealing worker (`node dist/src/worker.js`) as a child process. */
export interface NodeService {
  name: string;
  child: ChildProcess;
  /** How it ended: an exit code, or the signal that ended it. */
  exited: Promise<ExitStatus>;
  alive(): boolean;
  output: OutputBuffer;
  /** Sends `signal` and waits for the exit, at most `timeoutMs` (then throws, the process left running). */
  signal(signal: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every service still running (after a failure, say), so that jest can exit. */
export function killAllServices(): void {
  for (const child of running) child.kill('SIGKILL');
}

export async function startService(
  kind: ServiceKind,
  name: string,
  env: Record<string, string>,
  timeoutMs = 90000,
): Promise<NodeService> {
  const { file, ready } = ENTRY[kind];
  const child = spawn(process.execPath, [file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const output = new OutputBuffer();
  child.stdout.on('data', (d: Buffer) => output.append(d));
  child.stderr.on('data', (d: Buffer) => output.append(d));
  const exited = new Promise<ExitStatus>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not print "${ready}" within ${timeoutMs} ms:\n${output.tail()}`)),
      timeoutMs,
    );
    const check = () => {
      if (!output.includes(ready)) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve();
    };
    child.stdout.on('data', check);
    void exited.then((status) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${status}) before it was up:\n${output.tail()}`));
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    exited,
    alive,
    output,
    signal: async (signal, limitMs = 30000) => {
      if (!alive()) return exited;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${name} still running ${limitMs} ms after ${signal}:\n${output.tail()}`)),
          limitMs,
        );
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
