import { AuditSubjectErasure } from 'audit-ledger';
import { startExampleApp, type ExampleApp } from './support/example-app';
import { waitFor } from './support/wait-for';

const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';
const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const DELETE = 'mutation($id: ID!) { deleteUser(id: $id) }';
const EVENT =
  'id action chainSeq operationId occurredAt actor { id display } changes { field before after } metadata before after';
const TRAIL = `query($id: ID!) { auditTrail(entityType: "User", entityId: $id, first: 500) {
  edges { node { ${EVENT} } } verification { valid headSeq } } }`;
const CHANGE = `field currentValue restoreValue expectedValue conflict lastChange { id actor { id display } occurredAt }`;
const PREVIEW = `action entityType entityId revertOf headSeq onConflict mode blocked patch currentState resultingState
  changes { ${CHANGE} } conflicts { ${CHANGE} } skippedFields notRestorable { field reason }`;
const PREVIEW_REVERT = `query($eventId: ID!, $onConflict: AuditRevertConflictPolicy) {
  previewRevert(eventId: $eventId, onConflict: $onConflict) { ${PREVIEW} } }`;
const PREVIEW_RESTORE = `query($id: ID!, $at: DateTime, $chainSeq: Int) {
  previewRestore(entityType: "User", entityId: $id, at: $at, chainSeq: $chainSeq) { ${PREVIEW} } }`;
const REVERT = `mutation($eventId: ID!, $onConflict: AuditRevertConflictPolicy, $expectedHeadSeq: Int, $reason: String) {
  revertChange(eventId: $eventId, onConflict: $onConflict, expectedHeadSeq: $expectedHeadSeq, reason: $reason) {
    applied operationId appliedFields preview { ${PREVIEW} } } }`;
const RESTORE = `mutation($id: ID!, $at: DateTime, $chainSeq: Int, $expectedHeadSeq: Int) {
  restoreEntity(entityType: "User", entityId: $id, at: $at, chainSeq: $chainSeq, expectedHeadSeq: $expectedHeadSeq) {
    applied operationId appliedFields preview { ${PREVIEW} } } }`;
const PRIVILEGE = `query($from: DateTime!, $to: DateTime!) { privilegeChanges(from: $from, to: $to) {
  field before after reverted event { id entityId } revertedBy { id action } } }`;
const REFUSALS = `query($from: DateTime) { auditEvents(filter: { entityType: "audit.query", from: $from }, first: 200) {
  edges { node { action actor { id } metadata } } } }`;

type Event = {
  id: string;
  action: string;
  chainSeq: number;
  operationId: string | null;
  actor: { id: string };
  changes: { field: string; before: unknown; after: unknown }[];
  metadata: Record<string, any>;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
};

describe('revert and restore over GraphQL, against the example app', () => {
  let e: ExampleApp;
  const token: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const started = new Date().toISOString();

  const gql = (who: string | null, query: string, variables: object = {}) =>
    e.gql(query, variables, who ? { token: token[who] } : {});
  const ok = async <T = any>(who: string, query: string, variables: object = {}): Promise<T> => {
    const res = await gql(who, query, variables);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data as T;
  };
  const codeOf = async (who: string | null, query: string, variables: object) =>
    (await gql(who, query, variables)).errors?.[0]?.extensions?.code;
  const row = async (id: string) =>
    (
      await e.db.query<Record<string, unknown>>(
        'select username, email, role, active, tenant_id as "tenantId" from users where id = $1',
        [id],
      )
    )[0];
  /** The sealed trail, once it holds `length` events (or once `until` accepts it). */
  const trail = async (id: string, until: number | ((events: Event[]) => boolean)): Promise<Event[]> => {
    let events: Event[] = [];
    const done = typeof until === 'number' ? (list: Event[]) => list.length >= until : until;
    await waitFor(async () => {
      const res = await gql('grace', TRAIL, { id });
      events = (res.data?.auditTrail.edges ?? []).map((x: { node: Event }) => x.node);
      return done(events);
    }, `sealed events of ${id}`);
    return events;
  };
  const reverts = (events: Event[]) => events.filter((x) => x.action === 'REVERT');
  const update = async (who: string, id: string, input: object) => ok(who, UPDATE, { id, input });
  const createUser = async (username: string, role = 'user') => {
    const { createUser } = await ok('alice', CREATE, {
      input: {
        username,
        email: `${username}@acme.test`,
        password: 'a-long-password-1',
        role,
        tenantId: 'acme',
      },
    });
    return createUser.id as string;
  };
  const pause = () => new Promise((r) => setTimeout(r, 20));

  beforeAll(async () => {
    e = await startExampleApp({ TRUST_PROXY: 'loopback' });
    for (const name of ['alice', 'bob', 'carol', 'dave', 'grace']) token[name] = await e.login(name);
    const { users } = await ok('grace', '{ users { id username } }');
    for (const u of users as { id: string; username: string }[]) ids[u.username] = u.id;
    // A second acme admin: "someone else" who changes a record after the change to revert.
    ids.zoe = await createUser('zoe', 'admin');
    token.zoe = await e.login('zoe', 'a-long-password-1');
  });
  afterAll(async () => e.close());

  it('reverts an escalation through previewRevert → revertChange, keeping what the user did since', async () => {
    await update('alice', ids.bob, { role: 'admin' });
    // The escalation revoked bob's token (credentialsVersion): he logs in again and acts.
    token.bob = await e.login('bob');
    await update('bob', ids.bob, { email: 'bob.new@acme.test' });
    // Bob's logins are events of his record too: wait for his own change, the last before the revert.
    const before = await trail(ids.bob, (list) =>
      list.some((x) => x.changes.some((c) => c.field === 'email' && c.after === 'bob.new@acme.test')),
    );
    const escalation = before.find((x) => x.changes.some((c) => c.field === 'role' && c.after === 'admin'))!;

    const { previewRevert: preview } = await ok('alice', PREVIEW_REVERT, { eventId: escalation.id });
    expect(preview).toMatchObject({
      action: 'REVERT',
      entityType: 'User',
      entityId: ids.bob,
      revertOf: [escalation.id],
      headSeq: before[before.length - 1].chainSeq,
      mode: 'UPDATE',
      blocked: false,
      conflicts: [],
      patch: [{ op: 'replace', path: '/role', value: 'user' }],
    });
    expect(preview.changes.map((c: any) => [c.field, c.currentValue, c.restoreValue])).toEqual([
      ['role', 'admin', 'user'],
    ]);
    expect(preview.resultingState).toMatchObject({
      role: 'user',
      email: 'bob.new@acme.test',
      passwordHash: '[MASKED]',
    });
    // What the ledger shows but the app's restorer never writes, and why.
    expect(preview.notRestorable).toEqual(
      expect.arrayContaining([{ field: 'credentialsVersion', reason: 'NOT_WRITABLE' }]),
    );

    const { revertChange } = await ok('alice', REVERT, {
      eventId: escalation.id,
      expectedHeadSeq: preview.headSeq,
      reason: 'unauthorised escalation',
    });
    expect(revertChange).toMatchObject({ applied: true, appliedFields: ['role'] });
    expect(await row(ids.bob)).toMatchObject({ role: 'user', email: 'bob.new@acme.test' });

    const after = await trail(ids.bob, (list) => reverts(list).length === 1);
    const [revert] = reverts(after);
    expect(revert).toMatchObject({
      action: 'REVERT',
      operationId: revertChange.operationId,
      actor: { id: ids.alice },
      changes: expect.arrayContaining([{ field: 'role', before: 'admin', after: 'user' }]),
    });
    expect(revert.metadata).toMatchObject({
      revertOf: [escalation.id],
      reason: 'unauthorised escalation',
      onConflict: 'ABORT',
    });

    const { privilegeChanges } = await ok('grace', PRIVILEGE, {
      from: started,
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    const flagged = privilegeChanges.find((c: any) => c.event.id === escalation.id);
    expect(flagged).toMatchObject({ reverted: true, revertedBy: { id: revert.id, action: 'REVERT' } });

    // Reverting the revert works: it is an ordinary change of the record.
    const { revertChange: again } = await ok('alice', REVERT, { eventId: revert.id });
    expect(again.applied).toBe(true);
    expect((await row(ids.bob)).role).toBe('admin');
    const undone = reverts(await trail(ids.bob, (list) => reverts(list).length === 2))[1];
    expect(undone.metadata.revertOf).toEqual([revert.id]);
    await ok('alice', REVERT, { eventId: undone.id });
    expect((await row(ids.bob)).role).toBe('user');
  });

  it('lists a conflict when someone else changed the field since; ABORT, SKIP_CONFLICTING and OVERWRITE each', async () => {
    const hank = await createUser('hank');
    await update('alice', hank, { role: 'admin', email: 'hank.changed@acme.test' });
    await update('zoe', hank, { role: 'auditor' });
    const events = await trail(hank, 3);
    const target = events[1];
    const { previewRevert: preview } = await ok('alice', PREVIEW_REVERT, { eventId: target.id });
    expect(preview.blocked).toBe(true);
    expect(preview.conflicts).toEqual([
      expect.objectContaining({
        field: 'role',
        currentValue: 'auditor',
        restoreValue: 'user',
        expectedValue: 'admin',
        lastChange: expect.objectContaining({
          id: events[2].id,
          actor: expect.objectContaining({ id: ids.zoe }),
        }),
      }),
    ]);
    expect(preview.changes.map((c: any) => [c.field, c.conflict])).toEqual([
      ['email', false],
      ['role', true],
    ]);

    // ABORT (the default): refused with the fields named, nothing written, the attempt recorded.
    const refused = await gql('alice', REVERT, { eventId: target.id });
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'AUDIT_REVERT_CONFLICT',
      fields: ['role'],
    });
    expect(await row(hank)).toMatchObject({ role: 'auditor', email: 'hank.changed@acme.test' });
    const failed = (await trail(hank, 4))[3];
    expect(failed).toMatchObject({ action: 'REVERT_FAILED', changes: [] });
    expect(failed.metadata).toMatchObject({
      revertOf: [target.id],
      error: { code: 'AUDIT_REVERT_CONFLICT' },
    });

    // SKIP_CONFLICTING: the email goes back, zoe's role stays.
    const { revertChange: skip } = await ok('alice', REVERT, {
      eventId: target.id,
      onConflict: 'SKIP_CONFLICTING',
    });
    expect(skip).toMatchObject({ applied: true, appliedFields: ['email'] });
    expect(skip.preview.skippedFields).toEqual(['role']);
    expect(await row(hank)).toMatchObject({ role: 'auditor', email: 'hank@acme.test' });
    const skipped = (await trail(hank, 5))[4];
    expect(skipped.metadata).toMatchObject({ appliedFields: ['email'], skippedFields: ['role'] });

    // OVERWRITE: the role goes back too, over zoe's change.
    const { revertChange: overwrite } = await ok('alice', REVERT, {
      eventId: target.id,
      onConflict: 'OVERWRITE',
    });
    expect(overwrite).toMatchObject({ applied: true, appliedFields: ['role'] });
    expect(await row(hank)).toMatchObject({ role: 'user', email: 'hank@acme.test' });
  });

  it('refuses a stale expectedHeadSeq and writes nothing', async () => {
    const ida = await createUser('ida');
    await update('alice', ida, { role: 'admin' });
    const events = await trail(ida, 2);
    const { previewRevert: preview } = await ok('alice', PREVIEW_REVERT, { eventId: events[1].id });
    await update('alice', ida, { email: 'ida.later@acme.test' });
    await trail(ida, 3);
    const stale = await gql('alice', REVERT, { eventId: events[1].id, expectedHeadSeq: preview.headSeq });
    expect(stale.errors?.[0]?.extensions?.code).toBe('AUDIT_REVERT_STALE');
    expect((await row(ida)).role).toBe('admin');
  });

  it('restores a record to a point in time (by date and by chain position), as a RESTORE operation', async () => {
    const jan = await createUser('jan');
    await trail(jan, 1);
    await pause();
    const then = new Date().toISOString();
    await pause();
    await update('alice', jan, { email: 'jan.two@acme.test' });
    await update('alice', jan, { role: 'admin', username: 'jan2' });
    const events = await trail(jan, 3);
    const byDate = (await ok('alice', PREVIEW_RESTORE, { id: jan, at: then })).previewRestore;
    const bySeq = (await ok('alice', PREVIEW_RESTORE, { id: jan, chainSeq: 1 })).previewRestore;
    expect(byDate.resultingState).toEqual(bySeq.resultingState);
    expect(byDate).toMatchObject({
      action: 'RESTORE',
      mode: 'UPDATE',
      blocked: false,
      revertOf: [events[1].id, events[2].id],
      resultingState: expect.objectContaining({ username: 'jan', email: 'jan@acme.test', role: 'user' }),
    });
    expect(byDate.changes.map((c: any) => [c.field, c.lastChange.id])).toEqual([
      ['email', events[1].id],
      ['role', events[2].id],
      ['username', events[2].id],
    ]);
    const { restoreEntity } = await ok('alice', RESTORE, {
      id: jan,
      at: then,
      expectedHeadSeq: byDate.headSeq,
    });
    expect(restoreEntity.applied).toBe(true);
    expect(await row(jan)).toMatchObject({ username: 'jan', email: 'jan@acme.test', role: 'user' });
    const restored = (await trail(jan, 4))[3];
    expect(restored).toMatchObject({ action: 'RESTORE', operationId: restoreEntity.operationId });
    expect(restored.metadata).toMatchObject({
      revertOf: [events[1].id, events[2].id],
      restoredTo: { at: then },
    });
  });

  it('re-creates a deleted user with its id; the masked password is not restored but replaced', async () => {
    const kim = await createUser('kim');
    await update('alice', kim, { email: 'kim.two@acme.test' });
    await ok('alice', DELETE, { id: kim });
    const events = await trail(kim, 3);
    expect(await row(kim)).toBeUndefined();
    const { previewRestore: preview } = await ok('alice', PREVIEW_RESTORE, { id: kim, chainSeq: 2 });
    expect(preview).toMatchObject({ mode: 'CREATE', currentState: null, revertOf: [events[2].id] });
    expect(preview.notRestorable).toEqual([{ field: 'passwordHash', reason: 'MASKED' }]);
    const { restoreEntity } = await ok('alice', RESTORE, { id: kim, chainSeq: 2 });
    expect(restoreEntity.applied).toBe(true);
    expect(await row(kim)).toEqual({
      username: 'kim',
      email: 'kim.two@acme.test',
      role: 'user',
      active: true,
      tenantId: 'acme',
    });
    const [{ password_hash: hash }] = await e.db.query<{ password_hash: string }>(
      'select password_hash from users where id = $1',
      [kim],
    );
    expect(hash).not.toContain('MASKED');
    const recreated = (await trail(kim, 4))[3];
    expect(recreated).toMatchObject({ action: 'RESTORE', before: null });
    expect(recreated.after).toMatchObject({ id: kim, email: 'kim.two@acme.test' });
  });

  it('never writes an erased value: personal data of an erased subject is listed as not restorable', async () => {
    const lou = await createUser('lou');
    await update('alice', lou, { email: 'lou.two@acme.test' });
    await trail(lou, 2);
    await e.app.get(AuditSubjectErasure).erase(lou, { reason: 'e2e erasure' });
    const { previewRestore: preview } = await ok('alice', PREVIEW_RESTORE, { id: lou, chainSeq: 1 });
    expect(preview.notRestorable).toEqual(
      expect.arrayContaining([
        { field: 'email', reason: 'ERASED' },
        { field: 'username', reason: 'ERASED' },
      ]),
    );
    expect(JSON.stringify(preview.patch)).not.toContain('[ERASED]');
  });

  it('refuses without the revert permission or outside the tenant, and records every refusal', async () => {
    const target = (await trail(ids.bob, 2))[1];
    const rowBefore = await row(ids.bob);
    token.bob = await e.login('bob'); // his role changed above, which revoked his earlier tokens
    const args = { eventId: target.id };
    expect(await codeOf(null, REVERT, args)).toBe('UNAUTHENTICATED');
    expect(await codeOf('carol', PREVIEW_REVERT, args)).toBe('FORBIDDEN'); // auditor: reads, never reverts
    expect(await codeOf('carol', REVERT, args)).toBe('FORBIDDEN');
    expect(await codeOf('bob', REVERT, args)).toBe('FORBIDDEN');
    // Another tenant's admin: the event does not exist for him.
    expect(await codeOf('dave', REVERT, args)).toBe('NOT_FOUND');
    expect(await codeOf('dave', PREVIEW_RESTORE, { id: ids.bob, chainSeq: 1 })).toBe('NOT_FOUND');
    expect(await row(ids.bob)).toEqual(rowBefore);

    await waitFor(async () => {
      const { auditEvents } = await ok('grace', REFUSALS, { from: started });
      const seen = auditEvents.edges.map((x: any) => x.node);
      const has = (action: string, actor: string, query: string) =>
        seen.some((n: any) => n.action === action && n.actor.id === actor && n.metadata.query === query);
      return (
        has('PERMISSION_DENIED', ids.carol, 'revertChange') &&
        has('PERMISSION_DENIED', ids.carol, 'previewRevert') &&
        has('PERMISSION_DENIED', ids.bob, 'revertChange') &&
        has('AUDIT_QUERY', ids.dave, 'revertChange')
      );
    }, 'the refused attempts in the ledger');
    const { auditEvents } = await ok('grace', REFUSALS, { from: started });
    const carol = auditEvents.edges
      .map((x: any) => x.node)
      .find((n: any) => n.actor.id === ids.carol && n.metadata.query === 'revertChange');
    expect(carol.metadata.reason).toContain('audit:revert');
  });

  it('refuses an event that changed no state: nothing to revert', async () => {
    token.bob = await e.login('bob');
    const login = (await trail(ids.bob, 2)).find((x) => x.action === 'LOGIN_SUCCESS')!;
    expect(await codeOf('alice', PREVIEW_REVERT, { eventId: login.id })).toBe('AUDIT_NOT_REVERTIBLE');
    expect(await codeOf('alice', PREVIEW_REVERT, { eventId: 'not-a-uuid' })).toBe('BAD_USER_INPUT');
    // A record id its key's column cannot hold (users.id is a uuid) is no record, not a server error.
    expect(await codeOf('alice', PREVIEW_RESTORE, { id: 'not-a-uuid', chainSeq: 1 })).toBe('NOT_FOUND');
    expect(await codeOf('alice', RESTORE, { id: `${ids.bob}x`, chainSeq: 1 })).toBe('NOT_FOUND');
    expect(await codeOf('alice', PREVIEW_REVERT, { eventId: '01a23aa1-7c64-714d-b4fd-81ff764e9fad' })).toBe(
      'NOT_FOUND',
    );
  });

  it('refuses to plan or write on a tampered trail', async () => {
    const max = await createUser('max');
    await update('alice', max, { role: 'admin' });
    const events = await trail(max, 2);
    await e.db.tamper(
      `update audit.events set after = jsonb_set(after, '{role}', '"auditor"') where id = $1`,
      [events[1].id],
    );
    expect(await codeOf('alice', PREVIEW_REVERT, { eventId: events[1].id })).toBe('AUDIT_CHAIN_TAMPERED');
    expect(await codeOf('alice', REVERT, { eventId: events[1].id })).toBe('AUDIT_CHAIN_TAMPERED');
    expect(await codeOf('alice', RESTORE, { id: max, chainSeq: 1 })).toBe('AUDIT_CHAIN_TAMPERED');
    expect((await row(max)).role).toBe('admin');
  });
});
