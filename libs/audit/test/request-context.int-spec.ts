import request from 'supertest';
import { startFixtureApp, type FixtureApp } from './fixtures/fixture-app';

const alice = JSON.stringify({ sub: 'u-alice', username: 'alice', tenantId: 'acme', sid: 'sess-1' });

describe('request context from CLS (HTTP), and its propagation into jobs', () => {
  let f: FixtureApp;
  let sealed = 0;

  beforeAll(async () => {
    f = await startFixtureApp({ trustProxy: 'loopback' });
  });
  afterAll(async () => f.close());

  const openAccount = async (name: string) => {
    const account = await f.accounts.open({ name, email: `${name}@x.test`, tenantId: 'acme' });
    await f.sealed(++sealed);
    return account;
  };

  it('records the authenticated actor, client IP behind a trusted proxy, user agent, request and session ids', async () => {
    const account = await openAccount('ctx1');
    const res = await request(f.app.getHttpServer())
      .patch(`/accounts/${account.id}`)
      .set('x-test-user', alice)
      .set('x-request-id', 'req-from-client-42')
      .set('x-forwarded-for', '203.0.113.7')
      .set('user-agent', 'audit-test/1.0')
      .send({ name: 'ctx1-renamed' })
      .expect(200);
    expect(res.headers['x-request-id']).toBe('req-from-client-42');
    await f.sealed(++sealed);

    const [, event] = await f.trail(account.id);
    expect(event.actor).toEqual({ type: 'USER', id: 'u-alice', display: 'alice' });
    expect(event.source).toEqual({
      ip: '203.0.113.7',
      userAgent: 'audit-test/1.0',
      requestId: 'req-from-client-42',
      sessionId: 'sess-1',
    });
  });

  it('generates a request id when none (or a malformed one) is sent, and returns it', async () => {
    const account = await openAccount('ctx2');
    const res = await request(f.app.getHttpServer())
      .patch(`/accounts/${account.id}`)
      .set('x-request-id', 'has spaces and\ttabs')
      .send({ name: 'ctx2-renamed' })
      .expect(200);
    const generated = res.headers['x-request-id'];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await f.sealed(++sealed);

    const [, event] = await f.trail(account.id);
    expect(event.source.requestId).toBe(generated);
    // No principal on the request: an anonymous user, not SYSTEM.
    expect(event.actor).toEqual({ type: 'USER', id: 'anonymous', display: null });
  });

  it('wraps @Auditable route handlers too (controllers are bound before onModuleInit)', async () => {
    const account = await openAccount('ctx3');
    await request(f.app.getHttpServer())
      .post(`/accounts/${account.id}/suspend`)
      .set('x-test-user', alice)
      .expect(201);
    await f.sealed(++sealed);

    const [, event] = await f.trail(account.id);
    expect(event).toMatchObject({
      action: 'SUSPEND',
      transactionCode: 'SUSPEND_VIA_HTTP',
      actor: { id: 'u-alice' },
    });
    expect(event.changes.map((c) => c.field)).toEqual(['closedAt']);
  });

  it('carries the originating actor and request id into a BullMQ job the request starts', async () => {
    const account = await openAccount('ctx4');
    await request(f.app.getHttpServer())
      .post(`/accounts/${account.id}/rename-later`)
      .set('x-test-user', alice)
      .set('x-request-id', 'req-job-origin')
      .send({ name: 'renamed-by-job' })
      .expect(201);
    await f.sealed(++sealed);

    const [, event] = await f.trail(account.id);
    expect(event.action).toBe('RENAME');
    expect(event.actor).toEqual({ type: 'USER', id: 'u-alice', display: 'alice' });
    expect(event.source.requestId).toBe('req-job-origin');
  });
});
