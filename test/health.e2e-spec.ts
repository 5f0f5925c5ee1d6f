import request from 'supertest';
import { startPrivateRedis, type PrivateRedis } from './faults/support/private-redis';
import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';

describe('GET /health (terminus): database and audit pipeline', () => {
  let e: ExampleApp;
  beforeAll(async () => (e = await startExampleApp()));
  afterAll(async () => e.close());

  const health = () => request(e.app.getHttpServer()).get('/health');

  it('is up with the pipeline figures once the worker has sealed and checkpointed', async () => {
    const res = await waitFor(async () => {
      const r = await health();
      return r.status === 200 && r;
    }, 'a healthy pipeline');
    expect(res.body).toMatchObject({
      status: 'ok',
      info: {
        database: { status: 'up' },
        audit: { status: 'up', outboxBacklog: expect.any(Number), queue: { failed: 0 }, problems: [] },
      },
    });
    expect(res.body.info.audit.lastCheckpointAgeMs).toBeGreaterThanOrEqual(0);
  });

  it('GET /metrics exposes the pipeline in Prometheus text format', async () => {
    const sealed = await e.count('events');
    expect(sealed).toBeGreaterThan(0);
    const res = await request(e.app.getHttpServer()).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(res.text)?.[1]);
    // Every seeded event was counted when committed and again when sealed.
    expect(value('audit_events_recorded_total')).toBeGreaterThanOrEqual(sealed);
    expect(value('audit_events_sealed_total')).toBeGreaterThanOrEqual(sealed);
    expect(value('audit_sealing_latency_seconds_count')).toBe(value('audit_events_sealed_total'));
    expect(Number.isInteger(value('audit_outbox_backlog'))).toBe(true);
    expect(res.text).toMatch(/^audit_queue_jobs\{state="failed"\} 0$/m);
  });

  it('is down (503) with the reason when an event has waited too long to be sealed', async () => {
    // An event committed an hour ago and never sealed (a poison payload the worker cannot seal).
    await e.db.query(
      `insert into audit.outbox (id, entity_type, entity_id, payload, created_at)
       values (gen_random_uuid(), 'Broken', 'b1', '{}', now() - interval '1 hour')`,
    );
    const res = await health().expect(503);
    expect(res.body.status).toBe('error');
    expect(res.body.error.audit.status).toBe('down');
    expect(res.body.error.audit.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^the oldest unsealed event has waited \d+ s$/)]),
    );
    expect(res.body.info.database.status).toBe('up');
    // The stuck event shows in the backlog gauge too.
    const metrics = await request(e.app.getHttpServer()).get('/metrics').expect(200);
    expect(Number(/^audit_outbox_backlog (\d+)$/m.exec(metrics.text)?.[1])).toBeGreaterThanOrEqual(1);
  });
});

describe('GET /health and /metrics while Redis is down (a redis-server of the test own)', () => {
  let e: ExampleApp;
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    e = await startExampleApp({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await redis.start();
    await e.close();
    await redis.kill();
  });

  // A bound on the wait, not a speed claim: before the probes were bounded these never answered.
  const get = (path: string) => request(e.app.getHttpServer()).get(path).timeout(10000);

  it('answers 503 naming Redis, /metrics answers with the queue marked stale, then 200 once it is back', async () => {
    await waitFor(async () => (await get('/health')).status === 200, 'a healthy pipeline');
    const before = await get('/metrics').expect(200);
    expect(before.text).toMatch(/^audit_queue_up 1$/m);

    await redis.kill();
    const down = await get('/health');
    expect(down.status).toBe(503);
    expect(down.body.error.audit.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Redis \(the sealing queue\) does not answer within \d+ ms$/),
      ]),
    );
    expect(down.body.error.audit.queue).toBeNull();
    // PostgreSQL still answers: its figures are there, and only Redis is named.
    expect(down.body.info.database.status).toBe('up');
    expect(down.body.error.audit.outboxBacklog).toEqual(expect.any(Number));
    const metrics = await get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^audit_queue_up 0$/m);
    expect(metrics.text).toMatch(/^audit_store_up 1$/m);
    // The last known counts stay, marked stale by audit_queue_up 0.
    expect(metrics.text).toMatch(/^audit_queue_jobs\{state="failed"\} \d+$/m);

    await redis.start();
    await waitFor(async () => (await get('/health')).status === 200, 'health back once Redis is');
    expect((await get('/metrics').expect(200)).text).toMatch(/^audit_queue_up 1$/m);
  });
});
