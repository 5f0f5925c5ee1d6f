import { freePort } from '../faults/support/free-port';
import { GraphqlClient } from '../faults/support/graphql-client';
import { killAllServices, startService, type NodeService } from '../faults/support/node-service';
import { createTestDatabase, type TestDatabase } from './test-database';
import { clearQueuePrefix, TEST_REDIS_URL, uniqueQueuePrefix } from './test-redis';

/** The example app as `npm start` runs it: a child process (dist/src/main.js) logging JSON lines. */
export interface ExampleProcess {
  app: NodeService;
  db: TestDatabase;
  /** `http://127.0.0.1:<port>` */
  base: string;
  client: GraphqlClient;
  /** Every line the app wrote (stdout and stderr) but its "listening" line, parsed: pino's NDJSON. */
  records(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * Starts it on a fresh database and queue prefix, with the demo users' `password`, at LOG_LEVEL info,
 * plus `extraEnv`.
 */
export async function startExampleProcess(
  password: string,
  extraEnv: Record<string, string> = {},
): Promise<ExampleProcess> {
  const db = await createTestDatabase();
  const prefix = uniqueQueuePrefix();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const app = await startService('app', 'app', {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    PORT: String(port),
    AUDIT_QUEUE_PREFIX: prefix,
    DEMO_PASSWORD: password,
    JWT_SECRET: `${password}-jwt`,
    AUDIT_KEY_DIR: db.keyDir,
    AUDIT_WITNESS_DIR: db.witnessDir,
    LOG_LEVEL: 'info',
    ...extraEnv,
  });
  return {
    app,
    db,
    base,
    client: new GraphqlClient(base),
    records: () =>
      app.output
        .all()
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('Audit Ledger example listening'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: async () => {
      await app.signal('SIGTERM').catch(() => killAllServices());
      await db.drop();
      await clearQueuePrefix(prefix);
    },
  };
}
