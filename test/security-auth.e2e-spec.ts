import { JwtService } from '@nestjs/jwt';
import Redis from 'ioredis';
import request from 'supertest';
import { LoginThrottle, LoginThrottledException } from '../src/auth/login-throttle';
import { pseudonymKey, usernamePseudonym } from '../src/auth/username-pseudonym';
import { startExampleApp, type ExampleApp } from './support/example-app';
import { clearQueuePrefix, TEST_REDIS_URL, uniqueQueuePrefix } from './support/test-redis';
import { waitFor } from './support/wait-for';

const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }';
const CREATE = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';
const EVENTS = '{ auditEvents(first: 500) { edges { node { tenantId } } } }';
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Issue #15, replayed against the example app as it starts by default (no TRUST_PROXY, login
 * throttle on), on real PostgreSQL and Redis: each attack of the report, and what it gets now.
 */
describe('hostile input and stale credentials (issue #15)', () => {
  let e: ExampleApp;
  const ids: Record<string, string> = {};
  const server = () => e.app.getHttpServer();
  const attempt = (u: string, p: string) => e.gql<{ login: { token: string } }>(LOGIN, { u, p });
  const history = (id: string, token: string) =>
    request(server()).get(`/users/${id}/audit`).set('authorization', `Bearer ${token}`);
  const createUser = async (token: string, username: string, role: string, tenantId: string) => {
    const input = { username, email: `${username}@x.test`, password: `${username}-password`, role, tenantId };
    const res = await e.gql<{ createUser: { id: string } }>(CREATE, { input }, { token });
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.createUser.id;
  };
  /** Sealed LOGIN_FAILURE reasons of one entity, once there are `total` of them. */
  const failureReasons = (entityId: string, total: number) =>
    waitFor(async () => {
      const rows = await e.db.query<{ reason: string }>(
        `select metadata->>'reason' as reason from audit.events where action = 'LOGIN_FAILURE' and entity_id = $1`,
        [entityId],
      );
      return rows.length === total && rows.map((r) => r.reason);
    }, `${total} sealed LOGIN_FAILURE events of ${entityId}`);
  const count = (reasons: string[], reason: string) => reasons.filter((r) => r === reason).length;

  beforeAll(async () => {
    e = await startExampleApp();
    const alice = await e.login('alice');
    const dave = await e.login('dave');
    for (const token of [alice, dave]) {
      const { data } = await e.gql<{ users: { id: string; username: string }[] }>(
        '{ users { id username } }',
        {},
        { token },
      );
      for (const u of data!.users) ids[u.username] = u.id;
    }
  });
  afterAll(async () => e.close());

  describe('revoked rights', () => {
    it("refuses a deleted auditor's token (401), for audit reads too", async () => {
      const alice = await e.login('alice');
      const ivan = await createUser(alice, 'ivan', 'auditor', 'acme');
      const token = await e.login('ivan', 'ivan-password');
      expect((await e.gql(EVENTS, {}, { token })).errors).toBeUndefined();

      await e.gql('mutation($id: ID!) { deleteUser(id: $id) }', { id: ivan }, { token: alice });
      const read = await e.gql(EVENTS, {}, { token });
      expect(read.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(read.data ?? null).toBeNull();
      await history(ids.bob, token).expect(401);
    });

    it("refuses a demoted admin's earlier token: it cannot create an admin", async () => {
      const alice = await e.login('alice');
      const judy = (ids.judy = await createUser(alice, 'judy', 'admin', 'acme'));
      const judyAsAdmin = await e.login('judy', 'judy-password');
      await e.gql(UPDATE, { id: judy, input: { role: 'user' } }, { token: alice });

      const input = {
        username: 'mallory',
        email: 'm@x.test',
        password: 'mallory-pw',
        role: 'admin',
        tenantId: 'acme',
      };
      const stale = await e.gql(CREATE, { input }, { token: judyAsAdmin });
      expect(stale.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      // Logged in again, judy has her current rights: a user's.
      const fresh = await e.gql(CREATE, { input }, { token: await e.login('judy', 'judy-password') });
      expect(fresh.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(await e.db.query("select 1 from users where username = 'mallory'")).toHaveLength(0);
    });

    it('refuses a token once its user is deactivated, even by a statement outside the app', async () => {
      const dave = await e.login('dave');
      await createUser(dave, 'kate', 'auditor', 'globex');
      const token = await e.login('kate', 'kate-password');
      expect((await e.gql(EVENTS, {}, { token })).errors).toBeUndefined();
      await e.db.query("update users set active = false where username = 'kate'");
      expect((await e.gql(EVENTS, {}, { token })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('takes role and tenant from the database: a signed token without tenantId (or with forged claims) reads as its user', async () => {
      const jwt = new JwtService({ secret: e.env.JWT_SECRET });
      const [{ credentials_version: ver }] = await e.db.query<{ credentials_version: number }>(
        'select credentials_version from users where id = $1',
        [ids.carol],
      );
      // carol, a tenant auditor of acme, signs herself a global auditor's token (right secret).
      const forged = await jwt.signAsync({
        sub: ids.carol,
        ver,
        username: 'carol',
        role: 'admin',
        tenantId: null,
      });
      const noClaim = await jwt.signAsync({ sub: ids.carol, ver, username: 'carol', role: 'auditor' });
      for (const token of [forged, noClaim]) {
        const { data, errors } = await e.gql(EVENTS, {}, { token });
        expect(errors).toBeUndefined();
        const tenants = new Set(
          data.auditEvents.edges.map((x: { node: { tenantId: string } }) => x.node.tenantId),
        );
        expect([...tenants]).toEqual(['acme']);
      }
      // A token of the old shape (claims, no credentials version) is no token at all.
      const legacy = await jwt.signAsync({ sub: ids.carol, username: 'carol', role: 'auditor' });
      expect((await e.gql(EVENTS, {}, { token: legacy })).errors?.[0].extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
    });
  });

  describe('login throttling', () => {
    it('a hundred wrong passwords (40 one by one, 60 at once), then the right one: throttled, and audited', async () => {
      const answers: (string | undefined)[] = [];
      for (let i = 0; i < 40; i++)
        answers.push((await attempt('bob', `guess-${i}`)).errors?.[0].extensions?.code);
      const parallel = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt('bob', `guess-p${i}`)));
      answers.push(...parallel.map((r) => r.errors?.[0].extensions?.code));
      expect(count(answers as string[], 'UNAUTHENTICATED')).toBe(5);
      expect(count(answers as string[], 'TOO_MANY_REQUESTS')).toBe(95);

      const right = await attempt('bob', e.env.DEMO_PASSWORD);
      expect(right.data ?? null).toBeNull();
      expect(right.errors?.[0].extensions).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        originalError: { retryAfterSeconds: expect.any(Number) },
      });
      const reasons = await failureReasons(ids.bob, 101);
      expect(count(reasons, 'BAD_PASSWORD')).toBe(5);
      expect(count(reasons, 'THROTTLED')).toBe(96);
    });

    it('60 parallel guesses are counted before any password check: at most 5 are checked', async () => {
      const parallel = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt('erin', `p-${i}`)));
      const codes = parallel.map((r) => r.errors?.[0].extensions?.code as string);
      expect(count(codes, 'UNAUTHENTICATED')).toBe(5);
      expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(55);
      expect((await attempt('erin', e.env.DEMO_PASSWORD)).errors?.[0].extensions?.code).toBe(
        'TOO_MANY_REQUESTS',
      );
      const reasons = await failureReasons(ids.erin, 61);
      expect(count(reasons, 'BAD_PASSWORD')).toBe(5);
    });

    it('never throttles the right password: failures below the limit are forgotten on success', async () => {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 4; i++) await attempt('alice', `wrong-${round}-${i}`);
        expect((await attempt('alice', e.env.DEMO_PASSWORD)).data?.login.token).toEqual(expect.any(String));
      }
      for (let i = 0; i < 20; i++) await e.login('alice');
    });
  });

  describe('the login throttle on its own (real Redis)', () => {
    const limits = {
      perUserIpFailures: 2,
      perUserIpWindowSeconds: 60,
      perIpFailures: 3,
      perIpWindowSeconds: 60,
    };
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (error: unknown) => (error instanceof LoginThrottledException ? error.retryAfterSeconds : error),
      );

    it('limits failures per IP whatever the username, and leaves other IPs alone', async () => {
      const prefix = uniqueQueuePrefix();
      const throttle = new LoginThrottle(TEST_REDIS_URL, prefix, limits);
      try {
        for (const user of ['u1', 'u2', 'u3']) await throttle.attempt(user, '198.51.100.1');
        expect(await refused(throttle.attempt('u4', '198.51.100.1'))).toEqual(expect.any(Number));
        expect(await refused(throttle.attempt('u4', '198.51.100.2'))).toBeNull();
        // A refused (username, IP) attempt spends nothing of its IP's budget.
        await throttle.attempt('v', '198.51.100.3');
        await throttle.attempt('v', '198.51.100.3');
        for (let i = 0; i < 5; i++)
          expect(await refused(throttle.attempt('v', '198.51.100.3'))).toBeGreaterThan(0);
        expect(await refused(throttle.attempt('w', '198.51.100.3'))).toBeNull();
      } finally {
        await throttle.close();
        await clearQueuePrefix(prefix);
      }
    });

    it('keeps limiting in memory while Redis does not answer', async () => {
      const throttle = new LoginThrottle('redis://127.0.0.1:1', 'unreachable', limits);
      try {
        await throttle.attempt('u', '198.51.100.9');
        await throttle.attempt('u', '198.51.100.9');
        expect(await refused(throttle.attempt('u', '198.51.100.9'))).toEqual(expect.any(Number));
      } finally {
        await throttle.close();
      }
    });
  });

  describe('unauthenticated input', () => {
    it('seals an unknown username only as a keyed hash: a password typed there is nowhere in the audit tables or Redis', async () => {
      const typed = 'Tr0ub4dor&3-typed-as-username';
      expect((await attempt(typed, 'whatever')).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      const hmac = usernamePseudonym(pseudonymKey(e.env.JWT_SECRET), typed);
      const [reason] = await failureReasons(`username-hmac:${hmac}`, 1);
      expect(reason).toBe('UNKNOWN_USER');

      for (const table of ['events', 'outbox']) {
        const [{ n }] = await e.db.query<{ n: number }>(
          `select count(*)::int as n from audit.${table} t where t::text like $1`,
          [`%${typed}%`],
        );
        expect([table, n]).toEqual([table, 0]);
      }
      const redis = new Redis(TEST_REDIS_URL);
      try {
        const keys = await redis.keys(`${e.env.AUDIT_QUEUE_PREFIX}:*`);
        expect(keys.some((k) => k.includes(typed))).toBe(false);
        expect(keys.some((k) => k.includes(hmac))).toBe(true);
      } finally {
        redis.disconnect();
      }
    });

    it('refuses a 90 KB username (or a NUL) with BAD_USER_INPUT before any lookup, and seals no giant row', async () => {
      const huge = `${'u'.repeat(90 * 1024)}-huge`;
      for (const [u, p] of [
        [huge, 'x'],
        ['grace', 'pass\u0000word'],
      ]) {
        const res = await attempt(u, p);
        expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0].message).not.toContain('uuuu');
      }
      const reasons = await waitFor(async () => {
        const rows = await e.db.query<{ reason: string }>(
          `select metadata->>'reason' as reason from audit.events
           where action = 'LOGIN_FAILURE' and metadata->>'reason' = 'INVALID_INPUT'`,
        );
        return rows.length === 2 && rows;
      }, 'two INVALID_INPUT failures');
      expect(reasons).toHaveLength(2);
      const [{ longest }] = await e.db.query<{ longest: number }>(
        'select max(length(t::text))::int as longest from audit.events t',
      );
      expect(longest).toBeLessThan(10_000);
    });
  });

  describe('GET /users/:id/audit', () => {
    const denials = (readerId: string) =>
      e.db.query<{ reason: string; id: string }>(
        `select metadata->>'reason' as reason, metadata->'arguments'->>'id' as id from audit.outbox o
           cross join lateral (select o.payload->'metadata' as metadata) m
           where o.payload->>'action' = 'PERMISSION_DENIED' and o.payload->>'entityId' = $1
         union all
         select metadata->>'reason', metadata->'arguments'->>'id' from audit.events
           where action = 'PERMISSION_DENIED' and entity_id = $1`,
        [readerId],
      );

    it("answers another tenant's user exactly as a user that does not exist (404), recording both as PERMISSION_DENIED", async () => {
      const dave = await e.login('dave');
      const missing = '01900000-0000-7000-8000-000000000000';
      const foreign = await history(ids.bob, dave).expect(404);
      const absent = await history(missing, dave).expect(404);
      expect(foreign.body).toEqual(JSON.parse(JSON.stringify(absent.body).replaceAll(missing, ids.bob)));

      const refused = await waitFor(async () => {
        const rows = await denials(ids.dave);
        return rows.length >= 2 && rows;
      }, "dave's refusals");
      const reasonOf = (id: string) => refused.find((r) => r.id === id)?.reason.replaceAll(id, '<id>');
      expect(reasonOf(ids.bob)).toBe('No user <id> in tenant globex.');
      expect(reasonOf(missing)).toBe(reasonOf(ids.bob));
    });

    it('records an allowed read as AUDIT_QUERY, and a reader without the permission as PERMISSION_DENIED (403)', async () => {
      const carol = await e.login('carol');
      expect((await history(ids.bob, carol).expect(200)).body.length).toBeGreaterThan(0);
      await waitFor(async () => {
        const [row] = await e.db.query(
          `select 1 from audit.events where action = 'AUDIT_QUERY' and entity_id = $1
             and metadata->>'query' = 'userHistory' and metadata->'arguments'->>'id' = $2 and tenant_id = 'acme'`,
          [ids.carol, ids.bob],
        );
        return row;
      }, "carol's AUDIT_QUERY");

      // judy, demoted to user above: no audit:read.
      const user = await e.login('judy', 'judy-password');
      const reader = ids.judy;
      await history(ids.bob, user).expect(403);
      const refused = await waitFor(async () => {
        const rows = await denials(reader);
        return rows.length > 0 && rows;
      }, 'the refusal of a user');
      expect(refused[0].reason).toMatch(/audit:read/);
    });

    it('shows tamper details only to a reader the user belongs to, and nothing but code, position and reason', async () => {
      const dave = await e.login('dave');
      const leo = await createUser(dave, 'leo', 'user', 'globex');
      await waitFor(async () => (await history(leo, dave)).status === 200, "leo's sealed CREATE");
      await e.db.tamper(
        `update audit.events set actor_display = 'nobody' where entity_id = $1 and chain_seq = 1`,
        [leo],
      );

      const owner = await history(leo, dave).expect(500);
      expect(owner.body).toEqual({
        statusCode: 500,
        code: 'AUDIT_CHAIN_TAMPERED',
        message: 'The audit trail failed verification',
        chainSeq: 1,
        reason: 'HASH_MISMATCH',
      });
      const alice = await e.login('alice');
      const outsider = await history(leo, alice).expect(404);
      expect(outsider.body).toEqual({
        statusCode: 404,
        message: `No audit history for user ${leo}`,
        error: 'Not Found',
      });
    });
  });

  describe('request metadata', () => {
    it('does not take x-request-id or X-Forwarded-For from a client reaching the app directly', async () => {
      const alice = await e.login('alice');
      const res = await request(server())
        .patch(`/users/${ids.bob}`)
        .set('authorization', `Bearer ${alice}`)
        .set('x-request-id', 'another-tenants-request')
        .set('x-forwarded-for', '203.0.113.9')
        .send({ email: 'bob@request-id.test' })
        .expect(200);
      const assigned = res.headers['x-request-id'];
      expect(assigned).toMatch(UUID_V7);

      const source = await waitFor(async () => {
        const [row] = await e.db.query<{ source: { ip: string; requestId: string } }>(
          `select source from audit.events where entity_id = $1 and action = 'UPDATE' and source->>'requestId' = $2`,
          [ids.bob, assigned],
        );
        return row?.source;
      }, "bob's email change");
      expect(source.requestId).toBe(assigned);
      expect(source.ip).not.toBe('203.0.113.9');
      expect(source.ip).toMatch(/127\.0\.0\.1|::1/);
      expect(
        await e.db.query("select 1 from audit.events where source->>'requestId' = 'another-tenants-request'"),
      ).toHaveLength(0);
    });
  });
});
