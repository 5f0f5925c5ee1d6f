import { randomBytes } from 'node:crypto';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { AUDIT_ENTITIES, AUDIT_MIGRATIONS } from 'audit-ledger';
import { type SqlSession, sqlOf } from '#audit/storage/sql-session';

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

/**
 * Applies the library's migrations to `url` (as the schema owner, as an app's deployment does),
 * then runs `use` on the same connection, for the scenario's own tables; closes it afterwards.
 */
export async function withAuditSchema<T>(url: string, use: (db: SqlSession) => Promise<T>): Promise<T> {
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: url,
    entities: AUDIT_ENTITIES,
    extensions: [Migrator],
    migrations: { migrationsList: AUDIT_MIGRATIONS, silent: true, snapshot: false },
  });
  try {
    await orm.migrator.up();
    return await use(sqlOf(orm.em));
  } finally {
    await orm.close(true);
  }
}
