import { existsSync } from 'node:fs';
import { appSigkillBeforeEnqueue } from './scenarios/app-sigkill-before-enqueue.scenario';
import { duplicateDelivery } from './scenarios/duplicate-delivery.scenario';
import { load } from './scenarios/load.scenario';
import { poisonEvent } from './scenarios/poison-event.scenario';
import { postgresRestart } from './scenarios/postgres-restart.scenario';
import { redisDown } from './scenarios/redis-down.scenario';
import { sigtermGraceful } from './scenarios/sigterm-graceful.scenario';
import { workerSigkillUnderLoad } from './scenarios/worker-sigkill-under-load.scenario';
import { FaultReport } from './support/fault-report';
import type { FaultScenario } from './support/fault-scenario';
import { ENTRY_POINTS, killAllServices } from './support/node-service';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis';
import { runScenario } from './support/run-scenario';

/** The scenarios, in order; each row of the final table is one of them. */
const SCENARIOS: FaultScenario[] = [
  redisDown,
  appSigkillBeforeEnqueue,
  workerSigkillUnderLoad,
  postgresRestart,
  duplicateDelivery,
  sigtermGraceful,
  load,
  poisonEvent,
];

/**
 * `npm run test:faults`: every scenario drives the compiled app and sealing workers as real
 * processes against a PostgreSQL and a Redis of the suite's own, and counts its writes: every
 * committed one sealed exactly once, none that failed, every chain and the log whole.
 * FAULTS_LOAD_SECONDS: length of the load scenario (60). FAULTS_REPORT: a file for the table as
 * JSON. FAULTS_LOG_DIR: a directory for every process's output, per scenario.
 */
describe('fault injection: committed vs sealed under real process, Redis and PostgreSQL failures', () => {
  const report = new FaultReport();
  let pg: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;

  beforeAll(async () => {
    const missing = ENTRY_POINTS.filter((file) => !existsSync(file));
    if (missing.length) throw new Error(`${missing.join(', ')} missing: run npm run build first`);
    pg = await startPrivatePostgres();
    redis = await startPrivateRedis();
  }, 120000);

  afterAll(async () => {
    report.publish();
    killAllServices();
    await redis?.kill();
    await pg?.destroy();
  }, 60000);

  for (const scenario of SCENARIOS) {
    it(scenario.name, () => runScenario({ pg: pg!, redis: redis! }, scenario, report), scenario.timeoutMs);
  }
});
