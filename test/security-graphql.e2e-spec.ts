import { Logger } from '@nestjs/common';
import fs from 'node:fs';
import request from 'supertest';
import { leaksIn, startExampleAppWithoutNodeEnv } from './support/leaks';
import type { ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';

const EVENTS = `query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) { edges { cursor node { id } } } }`;
const PRIVILEGE =
  'query($from: DateTime!, $to: DateTime!) { privilegeChanges(from: $from, to: $to) { field } }';
const CREATE = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id username tenantId } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';
/** The largest page (api.maxPageSize) with every field of an event. */
const FULL_PAGE =
  'auditEvents(first: 500) { edges { cursor node { id occurredAt recordedAt action entityType entityId tenantId module transactionCode operationId origin actor { type id display } source { ip userAgent requestId sessionId } before after changes { field before after } metadata chainSeq globalSeq prevHash hash integrity } } }';
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Hostile input and internal errors (issue #15): every observed case, replayed. Bad input is a
 * typed client error; an internal error reaches the client only as `Internal server error` with an
 * errorId, and the log carries the id, never the values.
 */
describe('hostile GraphQL and REST input', () => {
  let e: ExampleApp;
  const token: Record<string, string> = {};
  /** Every log line written while a test runs: Nest loggers and pino's writes to stdout/stderr. */
  let logged: string[] = [];
  const spies: jest.SpyInstance[] = [];

  const post = (body: unknown, who?: string) => {
    const req = request(e.app.getHttpServer()).post('/graphql');
    if (who) req.set('authorization', `Bearer ${token[who]}`);
    return req.send(body as object);
  };
  /** The response, checked: no 5xx, and none of the leak patterns. */
  const gql = async (who: string | null, query: string, variables: object = {}) => {
    const res = await post({ query, variables }, who ?? undefined);
    expect([res.status, leaksIn(res.text)]).toEqual([res.status < 500 ? res.status : 'not 5xx', []]);
    return { status: res.status, body: res.body as { data?: any; errors?: any[] } };
  };
  const codeOf = (res: { body: { errors?: any[] } }) => res.body.errors?.[0]?.extensions?.code;
  const deniedCount = async () =>
    (
      await e.db.query<{ n: number }>(
        `select (select count(*) from audit.outbox where payload->>'action' = 'PERMISSION_DENIED')::int
              + (select count(*) from audit.events where action = 'PERMISSION_DENIED')::int as n`,
      )
    )[0].n;

  beforeAll(async () => {
    e = await startExampleAppWithoutNodeEnv();
    for (const who of ['alice', 'carol', 'grace']) token[who] = await e.login(who);
    const capture =
      (name: string) =>
      (...args: unknown[]) => {
        logged.push(`${name} ${args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ')}`);
      };
    for (const level of ['error', 'warn', 'log', 'debug', 'verbose', 'fatal'] as const)
      spies.push(jest.spyOn(Logger.prototype, level).mockImplementation(capture(`nest.${level}`)));
    const writeSync = fs.writeSync.bind(fs);
    spies.push(
      jest.spyOn(fs, 'writeSync').mockImplementation((fd: number, data: unknown, ...rest: unknown[]) => {
        if (fd === 1 || fd === 2) logged.push(String(data));
        return (writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
      }),
    );
  });
  beforeEach(() => {
    logged = [];
  });
  afterAll(async () => {
    for (const spy of spies) spy.mockRestore();
    await e?.close();
  });

  it('refuses dates outside 1970..9999 and numbers past them as BAD_USER_INPUT, not SQL errors', async () => {
    for (const from of [
      '0000-01-01T00:00:00Z',
      '+275760-09-13T00:00:00Z',
      '1969-12-31T23:59:59Z',
      'yesterday',
    ])
      expect([from, codeOf(await gql('grace', EVENTS, { filter: { from } }))]).toEqual([
        from,
        'BAD_USER_INPUT',
      ]);
    const far = await gql(
      'grace',
      '{ privilegeChanges(from: "2020-01-01T00:00:00Z", to: 8640000000000000) { field } }',
    );
    expect(codeOf(far)).toBe('BAD_USER_INPUT');
    const range = await gql('grace', PRIVILEGE, {
      from: '2020-01-01T00:00:00Z',
      to: '9999-12-31T23:59:59.999Z',
    });
    expect(range.body.errors).toBeUndefined();
  });

  it('refuses crafted, oversized and foreign cursors as BAD_USER_INPUT', async () => {
    const crafted = [
      cursor(['events:asc', '0000-01-01T00:00:00.000Z', 1]),
      cursor(['events:asc', '+275760-09-13T00:00:00.000Z', 1]),
      cursor(['events:asc', '2026-01-01T00:00:00.000Z\u0000', 1]),
      cursor(['events:asc', '2026-01-01T00:00:00.000Z', -1]),
      cursor(['events:asc', '2026-01-01T00:00:00.000Z', 1e300]),
      cursor(['events:asc', 'x'.repeat(400), 1]),
      'A'.repeat(100_000),
      '!!!',
    ];
    for (const after of crafted)
      expect([after.slice(0, 40), codeOf(await gql('grace', EVENTS, { after }))]).toEqual([
        after.slice(0, 40),
        'BAD_USER_INPUT',
      ]);
  });

  it('refuses NUL, lone surrogates and overlong strings in audit arguments before recording them', async () => {
    for (const entityType of ['User\u0000', 'User\uD800', '\uDC00', 'x'.repeat(513)])
      expect(codeOf(await gql('carol', EVENTS, { filter: { entityType } }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql('carol', EVENTS, { filter: { actions: Array(101).fill('UPDATE') } }))).toBe(
      'BAD_USER_INPUT',
    );
    const emoji = await gql('carol', EVENTS, { filter: { entityType: 'User 😀' } });
    expect(emoji.body.errors).toBeUndefined();
    // The input cannot suppress the record of a refusal: anonymous, with a NUL, is still recorded.
    const deniedBefore = await deniedCount();
    expect(codeOf(await gql(null, EVENTS, { filter: { entityType: 'probe\u0000' } }))).toBe(
      'UNAUTHENTICATED',
    );
    await waitFor(async () => (await deniedCount()) === deniedBefore + 1, 'the refusal recorded');
  });

  it('refuses a login and a createUser with a NUL without SQL, value or hash in the answer or the log', async () => {
    const login = await gql(
      null,
      'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      {
        u: 'alice\u0000-probe-login',
        p: 'secret-probe-password',
      },
    );
    expect(codeOf(login)).toBe('BAD_USER_INPUT');
    const input = (fields: object) => ({
      input: {
        username: 'probe',
        email: 'probe@example.test',
        password: 'secret-probe-password',
        role: 'user',
        tenantId: 'acme',
        ...fields,
      },
    });
    const create = await gql('alice', CREATE, input({ tenantId: 'acme\u0000probe' }));
    expect(codeOf(create)).toBe('BAD_REQUEST');
    // class-validator's isEmail throws a URIError on a lone surrogate: found by the fuzz test.
    const surrogate = await gql('alice', CREATE, input({ email: 'a\uD857b@example.test' }));
    expect(codeOf(surrogate)).toBe('BAD_REQUEST');
    const deactivate = await gql('alice', 'mutation($t: String!) { deactivateTenantUsers(tenantId: $t) }', {
      t: 'acme\u0000probe',
    });
    expect(codeOf(deactivate)).toBe('BAD_REQUEST');
    const log = logged.join('\n');
    for (const secret of ['-probe-login', 'secret-probe-password', 'scrypt', 'insert into'])
      expect(log).not.toContain(secret);
  });

  it('masks an internal error: Internal server error with an errorId, logged once by id without the values', async () => {
    const bob = (await e.db.query<{ id: string }>("select id from users where username = 'bob'"))[0].id;
    await e.db.query(
      "alter table users add constraint security_probe check (email not like '%probe-secret%')",
    );
    try {
      const res = await gql('alice', UPDATE, { id: bob, input: { email: 'probe-secret@example.test' } });
      expect(res.body.errors).toHaveLength(1);
      const [error] = res.body.errors!;
      expect(error).toEqual({
        message: 'Internal server error',
        path: ['updateUser'],
        locations: expect.any(Array),
        extensions: { code: 'INTERNAL_SERVER_ERROR', errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      });
      const lines = logged.filter((line) => line.includes(error.extensions.errorId));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/"errorClass":"\w+"/);
      expect(lines[0]).toContain('"sqlState":"23514"');
      const log = logged.join('\n');
      expect(log).not.toContain('probe-secret');
      expect(log).not.toMatch(/update "users"|security_probe/i);
    } finally {
      await e.db.query('alter table users drop constraint security_probe');
    }
  });

  it('answers REST 500s as {statusCode, message, errorId} only', async () => {
    await e.db.query(
      "alter table users add constraint security_probe check (email not like '%probe-secret%')",
    );
    try {
      const bob = (await e.db.query<{ id: string }>("select id from users where username = 'bob'"))[0].id;
      const res = await request(e.app.getHttpServer())
        .patch(`/users/${bob}`)
        .set('authorization', `Bearer ${token.alice}`)
        .send({ email: 'probe-secret@example.test' });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        statusCode: 500,
        message: 'Internal server error',
        errorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(logged.join('\n')).not.toContain('probe-secret');
      expect(logged.join('\n')).toContain(res.body.errorId);
    } finally {
      await e.db.query('alter table users drop constraint security_probe');
    }
    const malformed = await request(e.app.getHttpServer())
      .post('/graphql')
      .set('content-type', 'application/json')
      .send('{"query": "{ auditKeys { keyId } }"');
    expect(malformed.status).toBeLessThan(500);
    expect(leaksIn(malformed.text)).toEqual([]);
  });

  it('answers a cyclic fragment and a fragment bomb with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const cyclic = await gql(
      'grace',
      '{ ...A } fragment A on Query { auditKeys { keyId } ...B } fragment B on Query { ...A }',
    );
    expect([cyclic.status, codeOf(cyclic)]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    const unknown = await gql('grace', '{ ...Missing }');
    expect([unknown.status, codeOf(unknown)]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    const n = 40;
    const bomb = Array.from({ length: n }, (_, i) =>
      i === n - 1
        ? `fragment F${i} on Query { auditKeys { keyId } }`
        : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    const started = Date.now();
    const res = await gql('grace', `{ ...F0 } ${bomb.join(' ')}`);
    expect([res.status, codeOf(res)]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses costly queries with 400 QUERY_TOO_COMPLEX before anything runs', async () => {
    const many = (n: number, field: string) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
    const cases = [
      many(499, 'verifyAuditTrail(entityType: "User", entityId: "refused-probe") { valid }'),
      many(3, 'verifyAuditLog { valid }'),
      many(100, 'auditEvents(first: 500) { edges { node { id action entityId } } }'),
      many(50, 'verifyAuditTrail(entityType: "User", entityId: "refused-probe") { valid }'),
      many(3, FULL_PAGE),
    ];
    for (const query of cases) {
      const res = await gql('grace', query);
      expect([res.status, codeOf(res), res.body.data]).toEqual([400, 'QUERY_TOO_COMPLEX', undefined]);
    }
    expect(codeOf(await gql('grace', many(2, 'verifyAuditLog { valid }')))).toBeUndefined();
    expect(codeOf(await gql('grace', many(1, FULL_PAGE)))).toBeUndefined();
    // Refused before the read guard ran: the later query is recorded, the refused ones are not.
    await waitFor(
      async () =>
        (
          await e.db.query(
            "select 1 from audit.events where action = 'AUDIT_QUERY' and metadata->>'query' = 'verifyAuditLog'",
          )
        ).length > 0,
      'the allowed query recorded',
    );
    expect(
      await e.db.query("select 1 from audit.events where metadata::text like '%refused-probe%'"),
    ).toEqual([]);
  });

  it('hides schema hints and stack traces from clients', async () => {
    for (const query of ['{ auditEvnts { totalCount } }', '{ auditEvents(frist: 1) { totalCount } }']) {
      const res = await gql('grace', query);
      expect(codeOf(res)).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    const badEnum = await gql(
      'grace',
      'query($o: AuditEventOrder) { auditEvents(orderBy: $o) { totalCount } }',
      {
        o: 'OCCURRED_AT_AS',
      },
    );
    expect(codeOf(badEnum)).toBe('BAD_USER_INPUT');
    const badField = await gql('grace', EVENTS, { filter: { entityTyp: 'User' } });
    expect(codeOf(badField)).toBe('BAD_USER_INPUT');
  });
});

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
