import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { PrivatePostgres } from './private-postgres';

/** A fresh database of one scenario on the private server, inspected as the superuser. */
export interface FaultDatabase {
  name: string;
  url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

async function admin(pg: PrivatePostgres, sql: string): Promise<void> {
  const client = new Client({ connectionString: pg.url() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createFaultDatabase(pg: PrivatePostgres): Promise<FaultDatabase> {
  const name = `audit_faults_${randomBytes(6).toString('hex')}`;
  await admin(pg, `create database "${name}"`);
  const url = pg.url(name);
  // A pool, not one client: it reconnects after the server restarts under it.
  const pool = new Pool({ connectionString: url, max: 2 });
  // A session cut by a restart is reported here; the next query gets a new one.
  pool.on('error', () => undefined);
  return {
    name,
    url,
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
    drop: async () => {
      await pool.end();
      await admin(pg, `drop database if exists "${name}" with (force)`);
    },
  };
}
