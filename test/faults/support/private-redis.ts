import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port';
import { OutputBuffer } from './output-buffer';

/**
 * A redis-server of the suite's own on a free port, without persistence: killing it loses every
 * queued job, as a real outage of an unpersisted Redis does; it restarts empty on the same port.
 */
export interface PrivateRedis {
  port: number;
  url: string;
  /** Starts the server (again, after kill()) and waits until it accepts connections; no-op while it runs. */
  start(): Promise<void>;
  /** SIGKILL: the outage. */
  kill(): Promise<void>;
  log(): OutputBuffer;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const log = new OutputBuffer();
  let child: ChildProcess | undefined;
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    start: async () => {
      if (child) return;
      const server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = server;
      let started = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`redis-server did not start:\n${log.tail()}`)),
          20000,
        );
        server.stderr.on('data', (d: Buffer) => log.append(d));
        server.stdout.on('data', (d: Buffer) => {
          log.append(d);
          started += d.toString();
          if (started.includes('Ready to accept connections')) {
            clearTimeout(timer);
            resolve();
          }
        });
        server.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`redis-server exited (${code ?? signal}):\n${log.tail()}`));
        });
        server.once('error', reject);
      });
    },
    kill: async () => {
      const server = child;
      child = undefined;
      if (!server || server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
      log.append('\n--- killed (SIGKILL) ---\n');
    },
    log: () => log,
  };
  await redis.start();
  return redis;
}
