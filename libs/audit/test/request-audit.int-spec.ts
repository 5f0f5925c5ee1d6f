import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoggerService } from '@nestjs/common';
import request from 'supertest';
import { waitFor } from '../../../test/support/wait-for';
import { HTTP_REQUEST_ACTION, HTTP_REQUEST_ENTITY } from '../src';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';
import { ProbeController } from './fixtures/probe.controller';

type Line = { level: string; message: unknown };

/** Keeps every line the app logs, as the app's logger receives it. */
class CapturingLogger implements LoggerService {
  readonly lines: Line[] = [];
  log = (message: unknown) => this.lines.push({ level: 'log', message });
  warn = (message: unknown) => this.lines.push({ level: 'warn', message });
  error = (message: unknown) => this.lines.push({ level: 'error', message });
  debug = () => undefined;
  verbose = () => undefined;
}

const ann = JSON.stringify({ sub: 'u-ann', username: 'ann', tenantId: 'acme' });

describe('request-level audit (HTTP)', () => {
  let f: FixtureApp;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    f = await startFixtureApp({
      // The test client names its requests (x-request-id) as a trusted proxy on loopback would.
      trustProxy: 'loopback',
      requestAudit: {
        enabled: true,
        seal: true,
        // Leaves /probe/quiet/* out: only the failures that are always recorded get through.
        filter: (_req, { path }) => !path.startsWith('/probe/quiet/'),
      },
    });
    f.app.useLogger(logger);
  });
  afterAll(async () => f?.close());

  const server = () => f.app.getHttpServer();
  const entryLines = (requestId: string) =>
    logger.lines.filter((l) => (l.message as { msg?: string; requestId?: string })?.requestId === requestId);
  const sealedEntry = (requestId: string) =>
    waitFor(async () => {
      const [event] = await f.trail(requestId, HTTP_REQUEST_ENTITY);
      return event;
    }, `the sealed entry of ${requestId}`);
  const stored = async (requestId: string) =>
    (
      await f.db.query<{ n: number }>(
        `select ((select count(*) from audit.outbox where entity_type = $1 and entity_id = $2)
              + (select count(*) from audit.events where entity_type = $1 and entity_id = $2))::int as n`,
        [HTTP_REQUEST_ENTITY, requestId],
      )
    )[0].n;

  it('seals a request with method, path, status, duration, request id, actor, IP and user agent; never its body', async () => {
    await request(server())
      .post('/probe/echo?token=query-string-secret')
      .set('x-test-user', ann)
      .set('x-request-id', 'req-normal-1')
      .set('user-agent', 'probe-agent/1.0')
      .set('cookie', 'session=cookie-secret')
      .send({ password: 'body-secret-value', note: 'body-note-value' })
      .expect(201);

    const event = await sealedEntry('req-normal-1');
    expect(event).toMatchObject({
      action: HTTP_REQUEST_ACTION,
      entityType: HTTP_REQUEST_ENTITY,
      entityId: 'req-normal-1',
      chainSeq: 1,
      tenantId: 'acme',
      actor: { type: 'USER', id: 'u-ann', display: 'ann' },
      source: {
        ip: expect.stringMatching(/127\.0\.0\.1$/),
        userAgent: 'probe-agent/1.0',
        requestId: 'req-normal-1',
      },
      before: null,
      after: null,
    });
    expect(event.metadata).toEqual({
      method: 'POST',
      path: '/probe/echo',
      statusCode: 201,
      durationMs: expect.any(Number),
      outcome: 'success',
    });
    expect(event.metadata.durationMs).toBeGreaterThan(0);

    const [line, ...more] = entryLines('req-normal-1');
    expect(more).toEqual([]);
    expect(line).toEqual({
      level: 'log',
      message: {
        msg: 'http.request',
        ...event.metadata,
        requestId: 'req-normal-1',
        actor: event.actor,
        ip: event.source.ip,
        userAgent: 'probe-agent/1.0',
      },
    });
    const recorded = JSON.stringify([event, line]);
    for (const secret of ['body-secret-value', 'body-note-value', 'query-string-secret', 'cookie-secret'])
      expect(recorded).not.toContain(secret);
  });

  it('leaves out what the filter excludes, but records 400, 401, 403 and 422 anyway (warn)', async () => {
    for (const status of [200, 404])
      await request(server())
        .get(`/probe/quiet/${status}`)
        .set('x-request-id', `quiet-${status}`)
        .expect(status);
    for (const status of [400, 401, 403, 422])
      await request(server())
        .get(`/probe/quiet/${status}`)
        .set('x-request-id', `quiet-${status}`)
        .expect(status);

    for (const status of [400, 401, 403, 422]) {
      const event = await sealedEntry(`quiet-${status}`);
      expect(event.metadata).toMatchObject({
        path: `/probe/quiet/${status}`,
        statusCode: status,
        outcome: 'failure',
      });
      expect(event.actor).toEqual({ type: 'USER', id: 'anonymous', display: null });
      expect(entryLines(`quiet-${status}`)).toEqual([
        { level: 'warn', message: expect.objectContaining({ msg: 'http.request', statusCode: status }) },
      ]);
    }
    // Both were answered before the four above were sent; their entries are decided at 'finish'.
    for (const status of [200, 404]) {
      expect(await stored(`quiet-${status}`)).toBe(0);
      expect(entryLines(`quiet-${status}`)).toEqual([]);
    }
  });

  it('logs a failure outside the filter as warn and seals it', async () => {
    await request(server()).get('/probe/status/500').set('x-request-id', 'status-500').expect(500);
    const event = await sealedEntry('status-500');
    expect(event.metadata).toMatchObject({ statusCode: 500, outcome: 'failure' });
    expect(entryLines('status-500')).toEqual([
      { level: 'warn', message: expect.objectContaining({ statusCode: 500 }) },
    ]);
  });

  it('records a request whose client went away before the answer as aborted', async () => {
    const { port } = (server().listening ? server() : server().listen(0)).address() as AddressInfo;
    const client = httpRequest({ port, path: '/probe/held', headers: { 'x-request-id': 'req-aborted' } });
    client.on('error', () => undefined);
    client.end();
    await ProbeController.held.started;
    client.destroy();
    const event = await sealedEntry('req-aborted');
    ProbeController.held.release();
    expect(event.metadata).toMatchObject({ method: 'GET', path: '/probe/held', outcome: 'aborted' });
    expect(entryLines('req-aborted')).toEqual([
      { level: 'warn', message: expect.objectContaining({ outcome: 'aborted' }) },
    ]);
  });

  it('logs a failed write and carries on: the response is not affected, the process does not crash', async () => {
    await f.db.query('alter table audit.outbox rename to outbox_away');
    try {
      await request(server()).get('/probe/status/200').set('x-request-id', 'req-unsealed').expect(200);
      await waitFor(
        async () =>
          logger.lines.some((l) => l.level === 'error' && String(l.message).includes('req-unsealed')),
        'the error line of the lost entry',
      );
    } finally {
      await f.db.query('alter table audit.outbox_away rename to outbox');
    }
    expect(entryLines('req-unsealed')).toEqual([
      { level: 'log', message: expect.objectContaining({ statusCode: 200 }) },
    ]);
    await request(server()).get('/probe/status/200').set('x-request-id', 'req-after').expect(200);
    expect((await sealedEntry('req-after')).metadata).toMatchObject({ statusCode: 200 });
    expect(await stored('req-unsealed')).toBe(0);
  });
});
