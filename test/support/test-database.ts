import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** A PostgreSQL database of one test file's own, dropped when the file is done. */
export interface TestDatabase {
  name: string;
  url: string;
  /** Runs SQL as the superuser, bypassing the app: what a test uses to inspect. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs SQL as an insider with superuser rights would to tamper: the audit tables' append-only
   * triggers disabled for the statement (in its transaction), then enabled again.
   */
  tamper<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` on a connection of its own, as psql would: outside the app, with no audit context. */
  session<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  /** The signing-key and witness directories that belong with this database (AUDIT_KEY_DIR, AUDIT_WITNESS_DIR). */
  keyDir: string;
  witnessDir: string;
  drop(): Promise<void>;
}

// The append-only triggers of the audit migrations (Migration20261122200000AppendOnly).
const AUDIT_TRIGGERS = [
  ...['events', 'batches', 'checkpoints', 'log_verifications', 'archive_segments', 'archive_heads'].flatMap(
    (t) => [
      [t, `${t}_append_only`],
      [t, `${t}_no_truncate`],
    ],
  ),
  ['signing_keys', 'signing_keys_lifecycle'],
  ['signing_keys', 'signing_keys_no_truncate'],
];

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `audit_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  return {
    name,
    url: url.toString(),
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    tamper: async <T>(sql: string, params?: unknown[]) => {
      await client.query('begin');
      try {
        for (const [table, trigger] of AUDIT_TRIGGERS) {
          await client.query(`alter table audit.${table} disable trigger ${trigger}`);
        }
        const rows = (await client.query(sql, params)).rows as T[];
        for (const [table, trigger] of AUDIT_TRIGGERS) {
          await client.query(`alter table audit.${table} enable always trigger ${trigger}`);
        }
        await client.query('commit');
        return rows;
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    },
    session: async (fn) => {
      const own = new Client({ connectionString: url.toString() });
      await own.connect();
      try {
        return await fn(own);
      } finally {
        await own.end();
      }
    },
    keyDir: join(dir, 'keys'),
    witnessDir: join(dir, 'witness'),
    drop: async () => {
      await rm(dir, { recursive: true, force: true });
      await client.end();
      const dropper = new Client({ connectionString: ADMIN_URL });
      await dropper.connect();
      await dropper.query(`drop database if exists "${name}" with (force)`);
      await dropper.end();
    },
  };
}
