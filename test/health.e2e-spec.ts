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
  });
});
