import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { AUDIT_QUEUE } from 'audit-ledger';
import type { SealJob } from '../../../libs/audit/src/outbox/seal-job';
import { waitFor } from '../../support/wait-for';
import { createFaultDatabase, type FaultDatabase } from './fault-database';
import { freePort } from './free-port';
import { FAULTS_PASSWORD, GraphqlClient } from './graphql-client';
import { countLedger } from './ledger-count';
import { startService, type NodeService } from './node-service';
import type { PrivatePostgres } from './private-postgres';
import type { PrivateRedis } from './private-redis';
import { WriteLedger } from './write-ledger';
import { Writers } from './writers';

/** The servers the whole suite shares: its own PostgreSQL and Redis, never the machine's. */
export interface FaultServers {
  pg: PrivatePostgres;
  redis: PrivateRedis;
}

/** One answer of a probe: HTTP status (0: none in time), time taken, body. */
export interface ProbeAnswer {
  status: number;
  ms: number;
  body: string;
}

/** A stalled job (its worker killed) runs again this soon (AUDIT_JOB_LOCK_MS; the default is 30 s). */
const JOB_LOCK_MS = 2000;

/**
 * One scenario's world: a fresh database, queue prefix, key and witness directories and app port;
 * the app and worker processes it starts; the ledger of its writes.
 */
export class FaultContext {
  readonly ledger = new WriteLedger();
  readonly client: GraphqlClient;
  /** The users the writers write to: the entities whose trails are verified at the end. */
  targets: string[] = [];
  app?: NodeService;
  private readonly services: NodeService[] = [];
  private readonly queues: Queue<SealJob>[] = [];
  private appCount = 0;
  private workerCount = 0;

  private constructor(
    readonly scenario: string,
    readonly servers: FaultServers,
    readonly db: FaultDatabase,
    readonly queuePrefix: string,
    private readonly dir: string,
    private readonly appPort: number,
  ) {
    this.client = new GraphqlClient(`http://127.0.0.1:${appPort}`);
  }

  static async create(scenario: string, servers: FaultServers): Promise<FaultContext> {
    const db = await createFaultDatabase(servers.pg);
    const dir = await mkdtemp(join(tmpdir(), `${db.name}-`));
    const prefix = `audit-faults-${randomBytes(6).toString('hex')}`;
    return new FaultContext(scenario, servers, db, prefix, dir, await freePort());
  }

  /** The environment of the app and of every worker (`overrides` last). */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.db.url,
      REDIS_URL: this.servers.redis.url,
      PORT: String(this.appPort),
      AUDIT_QUEUE_PREFIX: this.queuePrefix,
      AUDIT_INPROCESS_WORKER: 'false',
      DEMO_PASSWORD: FAULTS_PASSWORD,
      JWT_SECRET: 'faults-secret',
      AUDIT_KEY_DIR: join(this.dir, 'keys'),
      AUDIT_WITNESS_DIR: join(this.dir, 'witness'),
      AUDIT_JOB_LOCK_MS: String(JOB_LOCK_MS),
      // The suite's client names each request (x-request-id) as a proxy in front of the app
      // would: trusted from loopback only, as a deployment trusts its own proxy.
      TRUST_PROXY: 'loopback',
      ...overrides,
    };
  }

  /** Starts the app (always on this scenario's port, so clients survive a restart). */
  async startApp(overrides: Record<string, string> = {}): Promise<NodeService> {
    const name = ++this.appCount === 1 ? 'app' : `app-${this.appCount}`;
    this.app = await this.start(startService('app', name, this.env(overrides)));
    return this.app;
  }

  /** Starts a worker; several may start at once, on a store with no signing key yet too. */
  async startWorker(overrides: Record<string, string> = {}): Promise<NodeService> {
    return this.start(startService('worker', `worker-${++this.workerCount}`, this.env(overrides)));
  }

  /** Worker processes still running. */
  workers(): NodeService[] {
    return this.services.filter((s) => s.name.startsWith('worker-') && s.alive());
  }

  /** The sealing queue as BullMQ sees it from outside (the scenario's prefix on the private Redis). */
  queue(): Queue<SealJob> {
    const queue = new Queue<SealJob>(AUDIT_QUEUE, {
      connection: { url: this.servers.redis.url },
      prefix: this.queuePrefix,
    });
    this.queues.push(queue);
    return queue;
  }

  /** Writers over `users` users they create first (the app must be up). */
  async writers(users = 16): Promise<Writers> {
    const writers = await Writers.prepare(this.client, this.ledger, users);
    this.targets.push(...writers.targets);
    return writers;
  }

  /**
   * GET /health and /metrics as an orchestrator and a scraper would, each given `timeoutMs`:
   * the status (0 when no answer came in time) and how long it took.
   */
  async probe(timeoutMs = 2000): Promise<{ health: ProbeAnswer; metrics: ProbeAnswer }> {
    const get = async (path: string): Promise<ProbeAnswer> => {
      const started = Date.now();
      try {
        const res = await fetch(`${this.client.baseUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
        return { status: res.status, ms: Date.now() - started, body: await res.text() };
      } catch {
        return { status: 0, ms: Date.now() - started, body: '' };
      }
    };
    const [health, metrics] = await Promise.all([get('/health'), get('/metrics')]);
    return { health, metrics };
  }

  /** Waits until every committed write is sealed and the outbox is empty; false when time ran out. */
  async settle(timeoutMs: number): Promise<boolean> {
    return waitFor(
      async () => {
        const [{ n }] = await this.db.query<{ n: number }>('select count(*)::int as n from audit.outbox');
        return n === 0 && (await countLedger(this.db, this.ledger)).missing === 0;
      },
      'every committed write sealed',
      timeoutMs,
      500,
    ).catch(() => false);
  }

  /** The tail of every process's output and of both servers' logs, for failure messages. */
  diagnostics(): string {
    const tails = this.services.map(
      (s) =>
        `--- ${s.name} (${s.alive() ? 'running' : `exited ${s.child.exitCode ?? s.child.signalCode}`}) ---\n${s.output.tail()}`,
    );
    const notOk = this.ledger.failureSamples();
    return [
      ...(notOk.length
        ? [`--- writes that were not ok (first ${notOk.length}) ---\n${notOk.join('\n')}`]
        : []),
      ...tails,
      `--- private postgres ---\n${this.servers.pg.log().tail(2000)}`,
      `--- private redis ---\n${this.servers.redis.log().tail(1000)}`,
    ].join('\n');
  }

  /**
   * Kills every process the scenario started, drops its database, removes its directories; keeps
   * each process's output in FAULTS_LOG_DIR when set.
   */
  async dispose(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
    await Promise.all(this.services.map((s) => s.signal('SIGKILL').catch(() => undefined)));
    const logs = process.env.FAULTS_LOG_DIR;
    if (logs) {
      await mkdir(logs, { recursive: true });
      for (const s of this.services)
        await writeFile(join(logs, `${this.scenario}.${s.name}.log`), s.output.all());
    }
    await this.db.drop();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async start(starting: Promise<NodeService>): Promise<NodeService> {
    const service = await starting;
    this.services.push(service);
    return service;
  }
}
