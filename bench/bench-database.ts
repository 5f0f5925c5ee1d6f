import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A PostgreSQL database of one scenario's own, on the test server (TEST_DATABASE_ADMIN_URL). */
export interface BenchDatabase {
  name: string;
  url: string;
  /** Drops it, disconnecting whoever is still connected. */
  drop(): Promise<void>;
}

async function asAdmin(sql: string): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A new database, empty or a copy of `template` (which nobody may be connected to). */
export async function createBenchDatabase(template?: BenchDatabase): Promise<BenchDatabase> {
  const name = `audit_bench_${randomBytes(4).toString('hex')}`;
  await asAdmin(`create database "${name}"${template ? ` template "${template.name}"` : ''}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => asAdmin(`drop database if exists "${name}" with (force)`),
  };
}
