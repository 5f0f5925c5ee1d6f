import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApp } from '../../src/main';
import { createTestDatabase, type TestDatabase } from './test-database';
import { clearQueuePrefix, TEST_REDIS_URL, uniqueQueuePrefix } from './test-redis';

export const E2E_PASSWORD = 'e2e-demo-password';

export interface ExampleApp {
  app: INestApplication;
  db: TestDatabase;
  /** The environment the app was started with (for worker processes to share). */
  env: Record<string, string>;
  gql<T = any>(
    query: string,
    variables?: object,
    opts?: { token?: string; headers?: Record<string, string> },
  ): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>;
  login(username: string, password?: string): Promise<string>;
  /**
   * The app's own events in `audit.outbox` or `audit.events`: key lifecycle events aside, and the
   * `http.request` entries too (written after each response, so not in step with the business events).
   */
  count(table: 'outbox' | 'events'): Promise<number>;
  close(): Promise<void>;
}

/** The example app exactly as `npm start` builds it, on a fresh database and queue prefix. */
export async function startExampleApp(extraEnv: Record<string, string> = {}): Promise<ExampleApp> {
  const db = await createTestDatabase();
  const prefix = uniqueQueuePrefix();
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    AUDIT_QUEUE_PREFIX: prefix,
    DEMO_PASSWORD: E2E_PASSWORD,
    JWT_SECRET: 'e2e-secret',
    AUDIT_KEY_DIR: db.keyDir,
    AUDIT_WITNESS_DIR: db.witnessDir,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  Object.assign(process.env, env);
  const app = await createApp();
  await app.init();
  const server = app.getHttpServer();
  const gql: ExampleApp['gql'] = async (query, variables, opts = {}) => {
    const req = request(server)
      .post('/graphql')
      .set(opts.headers ?? {});
    if (opts.token) req.set('authorization', `Bearer ${opts.token}`);
    const res = await req.send({ query, variables });
    return res.body;
  };
  return {
    app,
    db,
    env,
    gql,
    login: async (username, password = E2E_PASSWORD) => {
      const res = await gql<{ login: { token: string } }>(
        'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
        { u: username, p: password },
      );
      if (!res.data) throw new Error(`login ${username} failed: ${JSON.stringify(res.errors)}`);
      return res.data.login.token;
    },
    count: async (table) =>
      (
        await db.query<{ n: number }>(
          `select count(*)::int as n from audit.${table}
           where entity_type not in ('audit.signing_key', 'http.request')`,
        )
      )[0].n,
    close: async () => {
      await app.close();
      await db.drop();
      await clearQueuePrefix(prefix);
    },
  };
}
