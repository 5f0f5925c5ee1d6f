import request from 'supertest';
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
