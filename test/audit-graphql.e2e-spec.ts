import { openCheckpoint, parseVerifierKey } from 'audit-ledger';
import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';

const UPDATE =
  'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id role } }';
const EVENT = `id occurredAt recordedAt action entityType entityId tenantId module transactionCode
  operationId origin actor { type id display } source { ip userAgent requestId sessionId } before after
  changes { field before after } metadata chainSeq globalSeq prevHash hash integrity drift { field before after }`;
const TRAIL = `query($type: String!, $id: ID!, $first: Int, $after: String, $from: DateTime, $to: DateTime) {
  auditTrail(entityType: $type, entityId: $id, first: $first, after: $after, from: $from, to: $to) {
    edges { cursor node { ${EVENT} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount
    verification { valid checkedEvents headSeq failures { chainSeq eventId reason } } } }`;
const EVENTS = `query($filter: AuditEventFilter, $first: Int, $after: String, $orderBy: AuditEventOrder) {
  auditEvents(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    edges { cursor node { id action entityId tenantId globalSeq occurredAt actor { id } source { requestId } } }
    pageInfo { hasNextPage endCursor } totalCount } }`;
const FIELD_HISTORY = `query($from: DateTime) { fieldHistory(entityType: "User", field: "role", from: $from) {
  edges { node { before after event { entityId tenantId actor { id } source { ip requestId } } } } totalCount } }`;
const PRIVILEGE = `query($from: DateTime!, $to: DateTime!) { privilegeChanges(from: $from, to: $to) {
  field before after reverted event { id entityId tenantId actor { id } } revertedBy { id actor { id } } } }`;
const REPORT = `query($from: DateTime!, $to: DateTime!, $groupBy: [AuditReportDimension!]!, $filter: AuditEventFilter) {
  auditReport(from: $from, to: $to, groupBy: $groupBy, filter: $filter) { total rows { count keys { dimension value } } } }`;
const ENTITY_AT = 'query($id: ID!, $at: DateTime!) { entityAt(entityType: "User", entityId: $id, at: $at) }';
const VERIFY = `query($id: ID!) { verifyAuditTrail(entityType: "User", entityId: $id) {
  valid checkedEvents headSeq failures { chainSeq eventId reason } } }`;
const LOG = '{ verifyAuditLog { valid mode treeSize witnessedSize checkedEvents failures { reason } } }';
const CHECKPOINTS = '{ auditCheckpoints(first: 5) { origin treeSize rootHash timestamp keyId note } }';
const KEYS = '{ auditKeys { keyId keySetId algorithm publicKey notBefore notAfter status noteVerifierKey } }';

/** Every query of the contract, with variables that make it valid for `userId`. */
const EVERY_QUERY = (userId: string): [string, string, object][] => {
  const range = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };
  return [
    ['auditTrail', TRAIL, { type: 'User', id: userId }],
    ['verifyAuditTrail', VERIFY, { id: userId }],
    ['verifyAuditLog', LOG, {}],
    ['auditEvents', EVENTS, {}],
    ['fieldHistory', FIELD_HISTORY, {}],
    ['entityAt', ENTITY_AT, { id: userId, at: range.to }],
    ['auditReport', REPORT, { ...range, groupBy: ['ACTION'] }],
    ['privilegeChanges', PRIVILEGE, range],
    ['auditCheckpoints', CHECKPOINTS, {}],
    ['auditKeys', KEYS, {}],
  ];
};

describe('audit GraphQL API of the library, over HTTP against the example app', () => {
  let e: ExampleApp;
  const token: Record<string, string> = {};
  let bob: string;
  let erin: string;
  const moments: Record<string, string> = {};
  const rows: Record<string, Record<string, unknown>> = {};
  const gql = async (who: string | null, query: string, variables: object = {}) =>
    e.gql(query, variables, who ? { token: token[who] } : {});
  const ok = async <T = any>(who: string, query: string, variables: object = {}): Promise<T> => {
    const res = await gql(who, query, variables);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data as T;
  };
  const trailLength = async (id: string) =>
    (await ok('grace', VERIFY, { id })).verifyAuditTrail.checkedEvents as number;

  beforeAll(async () => {
    // The test client names its requests (x-request-id) as a trusted proxy on loopback would.
    e = await startExampleApp({ TRUST_PROXY: 'loopback' });
    for (const name of ['alice', 'bob', 'carol', 'dave', 'grace']) token[name] = await e.login(name);
    const { data } = await e.gql('{ users { id username } }', {}, { token: token.alice });
    const id = (name: string) =>
      data.users.find((u: { username: string }) => u.username === name)?.id as string;
    bob = id('bob');
    const globex = await e.gql('{ users { id username } }', {}, { token: token.dave });
    erin = globex.data.users.find((u: { username: string }) => u.username === 'erin').id;

    // The seed scenario: alice elevates bob to admin, bob edits, alice reverts; dave does the same to erin.
    const step = async (name: string, who: string, target: string, input: object, requestId: string) => {
      await new Promise((r) => setTimeout(r, 20));
      moments[`before-${name}`] = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
      const res = await e.gql(
        UPDATE,
        { id: target, input },
        { token: token[who], headers: { 'x-request-id': requestId } },
      );
      expect(res.errors).toBeUndefined();
      await new Promise((r) => setTimeout(r, 20));
      moments[`after-${name}`] = new Date().toISOString();
      rows[`after-${name}`] = (
        await e.db.query('select username, email, role, tenant_id as "tenantId" from users where id = $1', [
          target,
        ])
      )[0];
    };
    await step('escalate', 'alice', bob, { role: 'admin' }, 'gql-escalate');
    await step('edit', 'alice', bob, { email: 'bob@gql.test' }, 'gql-edit');
    await step('revert', 'alice', bob, { role: 'user' }, 'gql-revert');
    await step('globex', 'dave', erin, { role: 'admin' }, 'gql-globex');
    await waitFor(
      async () => (await trailLength(bob)) === 5 && (await trailLength(erin)) === 2,
      'sealed trails',
    );
  });
  afterAll(async () => e.close());

  it('auditTrail: a verified Relay connection in chronological order, paged by cursor, filtered by time', async () => {
    const first = (await ok('carol', TRAIL, { type: 'User', id: bob, first: 2 })).auditTrail;
    expect(first.totalCount).toBe(5);
    expect(first.verification).toEqual({ valid: true, checkedEvents: 5, headSeq: 5, failures: [] });
    expect(first.edges.map((x: any) => x.node.chainSeq)).toEqual([1, 2]);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const all = [...first.edges];
    let after = first.pageInfo.endCursor;
    for (;;) {
      const page = (await ok('carol', TRAIL, { type: 'User', id: bob, first: 2, after })).auditTrail;
      all.push(...page.edges);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(all.map((x: any) => x.node.chainSeq)).toEqual([1, 2, 3, 4, 5]);
    const escalation = all.find((x: any) => x.node.source.requestId === 'gql-escalate').node;
    expect(escalation).toMatchObject({
      action: 'UPDATE',
      entityType: 'User',
      entityId: bob,
      tenantId: 'acme',
      actor: { type: 'USER', display: 'alice' },
      source: { requestId: 'gql-escalate' },
      changes: expect.arrayContaining([{ field: 'role', before: 'user', after: 'admin' }]),
      drift: null,
      // Users are captured at the database: the row change, inside the app's operation.
      origin: 'APP',
      operationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(escalation.integrity).toBe(
      `default::${escalation.integrity.split('::')[1]}::audit/v1.1::${escalation.hash}`,
    );
    expect(all[0].node.after.passwordHash).toBe('[MASKED]');
    const windowed = (
      await ok('carol', TRAIL, {
        type: 'User',
        id: bob,
        from: moments['before-escalate'],
        to: moments['before-revert'],
      })
    ).auditTrail;
    expect(windowed.edges.map((x: any) => x.node.source.requestId)).toEqual(['gql-escalate', 'gql-edit']);
  });

  it('auditEvents: filters by any field, orders both ways, pages by cursor with a total', async () => {
    // The request's own http.request entry (request-level audit) aside.
    const byRequest = (await ok('grace', EVENTS, { filter: { requestId: 'gql-revert', entityType: 'User' } }))
      .auditEvents;
    expect(byRequest.totalCount).toBe(1);
    expect(byRequest.edges[0].node).toMatchObject({ entityId: bob, action: 'UPDATE' });
    const roleChanges = (
      await ok('grace', EVENTS, { filter: { changedField: 'role', entityType: 'User', action: 'UPDATE' } })
    ).auditEvents;
    expect(roleChanges.edges.map((x: any) => x.node.source.requestId)).toEqual([
      'gql-escalate',
      'gql-revert',
      'gql-globex',
    ]);
    const filters = [
      { entityId: bob, actions: ['UPDATE'] },
      { actorId: escalationActor(roleChanges), action: 'UPDATE' },
      { actorType: 'SYSTEM', entityType: 'User' },
      { tenantId: 'globex' },
      { module: 'identity', transactionCode: 'USER_UPDATE' },
      { from: moments['before-edit'], to: moments['before-globex'] },
    ];
    for (const filter of filters) {
      const desc = (await ok('grace', EVENTS, { filter, first: 500, orderBy: 'OCCURRED_AT_DESC' }))
        .auditEvents;
      expect(desc.totalCount).toBeGreaterThan(0);
      const seqs = desc.edges.map((x: any) => x.node.globalSeq);
      // Ordered by when they occurred, not by sealing order: a request's http.request entry is
      // written after its response and may be sealed after the next request's events.
      const times = desc.edges.map((x: any) => x.node.occurredAt as string);
      expect(times).toEqual([...times].sort().reverse());
      // Paging one at a time visits the same events.
      const paged: number[] = [];
      let after: string | null = null;
      do {
        const page: any = (
          await ok('grace', EVENTS, { filter, first: 1, after, orderBy: 'OCCURRED_AT_DESC' })
        ).auditEvents;
        paged.push(...page.edges.map((x: any) => x.node.globalSeq));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after);
      expect(paged).toEqual(seqs);
    }
  });

  it('fieldHistory and privilegeChanges reproduce the escalate-then-revert cover-up', async () => {
    const history = (await ok('grace', FIELD_HISTORY, { from: moments['before-escalate'] })).fieldHistory;
    expect(history.edges.map((x: any) => [x.node.event.entityId, x.node.before, x.node.after])).toEqual([
      [bob, 'user', 'admin'],
      [bob, 'admin', 'user'],
      [erin, 'user', 'admin'],
    ]);
    expect(history.edges[0].node.event.source).toMatchObject({
      ip: expect.any(String),
      requestId: 'gql-escalate',
    });
    const changes = (
      await ok('grace', PRIVILEGE, {
        from: moments['before-escalate'],
        to: new Date(Date.now() + 1000).toISOString(),
      })
    ).privilegeChanges;
    const escalation = changes.find((c: any) => c.event.entityId === bob && c.after === 'admin');
    expect(escalation).toMatchObject({ field: 'role', before: 'user', reverted: true });
    expect(escalation.revertedBy.id).toBe(changes.find((c: any) => c.after === 'user').event.id);
    expect(changes.find((c: any) => c.event.entityId === erin)).toMatchObject({
      reverted: false,
      revertedBy: null,
    });
  });

  it('entityAt replays the verified chain: the state at each moment, and the real row now', async () => {
    const at = async (moment: string) => (await ok('carol', ENTITY_AT, { id: bob, at: moment })).entityAt;
    expect(await at('2000-01-01T00:00:00.000Z')).toBeNull();
    expect((await at(moments['before-escalate'])).role).toBe('user');
    // The real row as it was right after each step.
    for (const step of ['escalate', 'edit', 'revert']) {
      expect([step, await at(moments[`after-${step}`])]).toEqual([
        step,
        expect.objectContaining(rows[`after-${step}`]),
      ]);
    }
    const now = await at(new Date(Date.now() + 1000).toISOString());
    const [row] = await e.db.query<{ role: string; email: string; username: string }>(
      'select role, email, username from users where id = $1',
      [bob],
    );
    expect(now).toMatchObject(row);
    expect(now.passwordHash).toBe('[MASKED]');
  });

  it('auditReport counts by any dimensions, consistent with the search', async () => {
    const from = moments['before-escalate'];
    const to = new Date(Date.now() + 1000).toISOString();
    // Only User events: every query itself adds an AUDIT_QUERY event inside the window.
    const filter = { entityType: 'User' };
    const byAction = (await ok('grace', REPORT, { from, to, groupBy: ['ACTION'], filter })).auditReport;
    const search = (await ok('grace', EVENTS, { filter: { ...filter, from, to } })).auditEvents;
    expect(byAction.total).toBe(search.totalCount);
    const updates = byAction.rows.find((r: any) => r.keys[0].value === 'UPDATE');
    expect(updates.count).toBeGreaterThanOrEqual(4);
    const grouped = (
      await ok('grace', REPORT, {
        from,
        to,
        groupBy: ['DAY', 'HOUR', 'TENANT', 'ACTOR', 'MODULE', 'ENTITY_TYPE', 'TRANSACTION_CODE'],
        filter,
      })
    ).auditReport;
    expect(grouped.total).toBe(byAction.total);
    expect(grouped.rows[0].keys.map((k: any) => k.dimension)).toEqual([
      'DAY',
      'HOUR',
      'TENANT',
      'ACTOR',
      'MODULE',
      'ENTITY_TYPE',
      'TRANSACTION_CODE',
    ]);
    expect(grouped.rows[0].keys[0].value).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
  });

  it('auditCheckpoints and auditKeys give a third party all it needs to check a checkpoint', async () => {
    await waitFor(async () => (await ok('grace', CHECKPOINTS)).auditCheckpoints.length > 0, 'a checkpoint');
    const [checkpoint] = (await ok('grace', CHECKPOINTS)).auditCheckpoints;
    const keys = (await ok('grace', KEYS)).auditKeys;
    const key = keys.find((k: any) => k.keyId === checkpoint.keyId);
    expect(key).toMatchObject({ algorithm: 'ed25519', status: 'ACTIVE', keySetId: 'default' });
    expect(Buffer.from(key.publicKey, 'base64')).toHaveLength(32);
    const opened = openCheckpoint(checkpoint.note, [parseVerifierKey(key.noteVerifierKey)]).checkpoint;
    expect(opened).toMatchObject({ origin: checkpoint.origin, size: checkpoint.treeSize });
    expect(opened.root.toString('base64')).toBe(checkpoint.rootHash);
    const log = (await ok('grace', LOG)).verifyAuditLog;
    expect(log).toMatchObject({ valid: true, mode: 'FULL', failures: [] });
  });

  it('needs a token (UNAUTHENTICATED) and audit:read (FORBIDDEN, recorded as PERMISSION_DENIED) for every query', async () => {
    // The role changes of the scenario revoked bob's first token: a user again, he logs in again.
    token.bob = await e.login('bob');
    const since = new Date().toISOString();
    for (const [name, query, variables] of EVERY_QUERY(bob)) {
      const anonymous = await gql(null, query, variables);
      expect([name, anonymous.errors?.[0]?.extensions?.code]).toEqual([name, 'UNAUTHENTICATED']);
      expect(anonymous.data?.[name as never] ?? null).toBeNull();
      const user = await gql('bob', query, variables);
      expect([name, user.errors?.[0]?.extensions?.code]).toEqual([name, 'FORBIDDEN']);
    }
    const denied = await e.db.query<{ metadata: { query: string } }>(
      `select payload->'metadata' as metadata from audit.outbox where payload->>'action' = 'PERMISSION_DENIED'
       union all select metadata from audit.events where action = 'PERMISSION_DENIED' and entity_id = $1`,
      [bob],
    );
    expect(new Set(denied.map((d) => d.metadata.query))).toEqual(
      new Set(EVERY_QUERY(bob).map(([name]) => name)),
    );
    // Exactly one denial per anonymous query of this test, named after it. By event id: with a
    // separate store the sealer deletes the outbox row just after the sealing transaction commits,
    // so for a moment one event is in both tables. Only what occurred since the loop began counts.
    const anonymous = await e.db.query<{ query: string }>(
      `select m->>'query' as query from (
         select payload->>'id' as id, payload->'metadata' as m from audit.outbox
           where payload->>'action' = 'PERMISSION_DENIED' and entity_id = 'anonymous'
             and (payload->>'occurredAt')::timestamptz >= $1
         union select id::text, metadata from audit.events where action = 'PERMISSION_DENIED'
           and entity_id = 'anonymous' and occurred_at >= $1) d order by 1`,
      [since],
    );
    expect(anonymous.map((r) => r.query)).toEqual(
      EVERY_QUERY(bob)
        .map(([name]) => name)
        .sort(),
    );
  });

  it('isolates tenants in every query: globex sees nothing of acme, acme nothing of globex', async () => {
    for (const [name, query, variables] of EVERY_QUERY(bob)) {
      const res = await gql('dave', query, variables);
      if (name === 'verifyAuditLog' || name === 'auditCheckpoints') {
        expect([name, res.errors?.[0]?.extensions?.code]).toEqual([name, 'FORBIDDEN']);
        continue;
      }
      expect([name, res.errors]).toEqual([name, undefined]);
      expect([name, JSON.stringify(res.data)]).not.toEqual([name, expect.stringContaining(bob)]);
      expect([name, JSON.stringify(res.data)]).not.toEqual([name, expect.stringContaining('"acme"')]);
    }
    const trail = (await ok('dave', TRAIL, { type: 'User', id: bob })).auditTrail;
    expect(trail).toMatchObject({
      totalCount: 0,
      edges: [],
      verification: { valid: true, checkedEvents: 0 },
    });
    const users = { entityType: 'User' };
    const globex = (await ok('dave', EVENTS, { first: 500, filter: users })).auditEvents;
    expect(globex.totalCount).toBeGreaterThan(0);
    expect(globex.edges.every((x: any) => x.node.tenantId === 'globex')).toBe(true);
    const acmeForDave = (await ok('dave', EVENTS, { filter: { tenantId: 'acme' } })).auditEvents;
    expect(acmeForDave.totalCount).toBe(0);
    const carol = (await ok('carol', EVENTS, { first: 500 })).auditEvents;
    expect(carol.edges.every((x: any) => x.node.tenantId === 'acme')).toBe(true);
    const report = (
      await ok('dave', REPORT, {
        from: '2000-01-01T00:00:00.000Z',
        to: '2100-01-01T00:00:00.000Z',
        groupBy: ['TENANT'],
        filter: users,
      })
    ).auditReport;
    expect(report.rows.map((r: any) => r.keys[0].value)).toEqual(['globex']);
    expect(report.total).toBe(globex.totalCount);
  });

  it('records every audit query as AUDIT_QUERY: who looked at what, with which arguments', async () => {
    await ok('carol', EVENTS, { filter: { requestId: 'gql-edit' } });
    const [carolId] = (await e.db.query<{ id: string }>(`select id from users where username = 'carol'`)).map(
      (r) => r.id,
    );
    const recorded = await waitFor(async () => {
      const rows = await e.db.query<{ metadata: any; actor_display: string }>(
        `select metadata, actor_display from audit.events where action = 'AUDIT_QUERY' and entity_id = $1
         and metadata->>'query' = 'auditEvents' and metadata->'arguments'->'filter'->>'requestId' = 'gql-edit'`,
        [carolId],
      );
      return rows[0];
    }, "carol's AUDIT_QUERY event");
    expect(recorded).toMatchObject({ actor_display: 'carol', metadata: { query: 'auditEvents' } });
  });

  it('refuses malformed input with a typed error and no partial data', async () => {
    const cases: [string, object, string][] = [
      [TRAIL, { type: 'User', id: bob, first: 0 }, 'BAD_USER_INPUT'],
      [TRAIL, { type: 'User', id: bob, first: 501 }, 'BAD_USER_INPUT'],
      [TRAIL, { type: 'User', id: bob, after: 'not-a-cursor' }, 'BAD_USER_INPUT'],
      [
        TRAIL,
        { type: 'User', id: bob, from: '2030-01-01T00:00:00.000Z', to: '2020-01-01T00:00:00.000Z' },
        'BAD_USER_INPUT',
      ],
      [TRAIL, { type: 'User', id: bob, from: 'yesterday' }, 'BAD_USER_INPUT'],
      [EVENTS, { first: -1 }, 'BAD_USER_INPUT'],
      [EVENTS, { after: Buffer.from('["trail",1]').toString('base64url') }, 'BAD_USER_INPUT'],
      [EVENTS, { orderBy: 'SIDEWAYS' }, 'BAD_USER_INPUT'],
      [
        EVENTS,
        { filter: { from: '2030-01-01T00:00:00.000Z', to: '2020-01-01T00:00:00.000Z' } },
        'BAD_USER_INPUT',
      ],
      [EVENTS, { filter: { nope: 1 } }, 'BAD_USER_INPUT'],
      [FIELD_HISTORY, { from: 'not a date' }, 'BAD_USER_INPUT'],
      [ENTITY_AT, { id: bob, at: 'never' }, 'BAD_USER_INPUT'],
      [
        REPORT,
        { from: '2030-01-01T00:00:00.000Z', to: '2020-01-01T00:00:00.000Z', groupBy: ['DAY'] },
        'BAD_USER_INPUT',
      ],
      [
        REPORT,
        { from: '2020-01-01T00:00:00.000Z', to: '2030-01-01T00:00:00.000Z', groupBy: ['NOPE'] },
        'BAD_USER_INPUT',
      ],
      [
        REPORT,
        { from: '2020-01-01T00:00:00.000Z', to: '2030-01-01T00:00:00.000Z', groupBy: ['DAY', 'DAY'] },
        'BAD_USER_INPUT',
      ],
      [PRIVILEGE, { from: '2030-01-01T00:00:00.000Z', to: '2020-01-01T00:00:00.000Z' }, 'BAD_USER_INPUT'],
      // Priced at 100,000 rows before it runs: refused as too costly rather than as too large.
      [CHECKPOINTS.replace('first: 5', 'first: 100000'), {}, 'QUERY_TOO_COMPLEX'],
    ];
    for (const [query, variables, code] of cases) {
      const res = await gql('grace', query, variables);
      expect([variables, res.errors?.[0]?.extensions?.code]).toEqual([variables, code]);
      // No partial data: no data at all, or the (nullable) field null.
      expect(Object.values(res.data ?? {}).every((value) => value === null)).toBe(true);
    }
    const deep = '{ auditEvents { edges { node { actor { id } } } } }';
    expect((await gql('grace', deep)).errors).toBeUndefined();
    const fields = 'keyId keySetId algorithm publicKey notBefore notAfter status noteVerifierKey';
    const wide = `{ ${Array.from({ length: 150 }, (_, i) => `k${i}: auditKeys { ${fields} }`).join(' ')} }`;
    const tooComplex = await gql('grace', wide);
    expect(tooComplex.errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      maxComplexity: 50000,
    });
    expect(tooComplex.data ?? null).toBeNull();
  });

  it('answers a stored time no Date holds with AUDIT_CHAIN_TAMPERED naming the event, never an internal error', async () => {
    // recorded_at is not hashed: the chain verifies, and only the mapping to DateTime meets the value.
    await e.db.tamper(
      `update audit.events set recorded_at = 'infinity' where entity_id = $1 and chain_seq = 1`,
      [erin],
    );
    try {
      const tampered = { code: 'AUDIT_CHAIN_TAMPERED', chainSeq: 1, reason: 'UNREADABLE_ROW' };
      const trail = await gql('dave', TRAIL, { type: 'User', id: erin });
      expect(trail.data).toBeNull();
      expect(trail.errors?.[0]?.extensions).toMatchObject(tampered);
      expect(trail.errors?.[0]?.message).not.toMatch(/infinity/i);
      // Search results are not verified: the same verdict, from the mapping.
      const search = await gql('dave', EVENTS, { filter: { entityId: erin } });
      expect(search.errors?.[0]?.extensions).toMatchObject(tampered);
    } finally {
      await e.db.tamper(
        `update audit.events set recorded_at = now() where entity_id = $1 and chain_seq = 1`,
        [erin],
      );
    }
    expect((await ok('dave', TRAIL, { type: 'User', id: erin })).auditTrail.totalCount).toBe(2);
  });

  // Last: it breaks erin's chain for good.
  it('fails auditTrail with AUDIT_CHAIN_TAMPERED after SQL tampering; verifyAuditTrail reports without throwing', async () => {
    await e.db.tamper(
      `update audit.events set actor_display = 'nobody' where entity_id = $1 and chain_seq = 2`,
      [erin],
    );
    const res = await gql('dave', TRAIL, { type: 'User', id: erin });
    expect(res.data).toBeNull();
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'AUDIT_CHAIN_TAMPERED',
      chainSeq: 2,
      reason: 'HASH_MISMATCH',
    });
    const at = await gql('dave', ENTITY_AT, { id: erin, at: new Date().toISOString() });
    expect(at.errors?.[0]?.extensions?.code).toBe('AUDIT_CHAIN_TAMPERED');
    const report = (await ok('dave', VERIFY, { id: erin })).verifyAuditTrail;
    expect(report).toMatchObject({ valid: false, failures: [{ chainSeq: 2, reason: 'HASH_MISMATCH' }] });
  });

  it('verifyAuditLog gives a verdict with reasons after the log is cut in the middle and at its tail, never an error', async () => {
    const [{ last }] = await e.db.query<{ last: number }>(
      'select max(global_seq)::int as last from audit.events',
    );
    // An insider deletes two events from the middle of the log, then its last three.
    await e.db.tamper('delete from audit.events where global_seq in ($1, $2) or global_seq > $3', [
      Math.floor(last / 2),
      Math.floor(last / 2) + 1,
      last - 3,
    ]);
    const res = await gql('grace', LOG);
    expect(res.errors).toBeUndefined();
    const log = res.data.verifyAuditLog;
    expect(log.valid).toBe(false);
    const reasons: string[] = log.failures.map((f: { reason: string }) => f.reason);
    expect(reasons).toContain('GLOBAL_SEQUENCE_GAP');
    // The log head (and the witness, once a checkpoint covered the tail) still count the deleted tail.
    expect(reasons.some((r) => r === 'HEAD_MISMATCH' || r === 'ROLLED_BACK')).toBe(true);
  });
});

function escalationActor(roleChanges: { edges: { node: { actor: { id: string } } }[] }): string {
  return roleChanges.edges[0].node.actor.id;
}
