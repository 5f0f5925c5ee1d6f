import { ERASED_VALUE, MASKED_VALUE } from '../audit.constants';
import type { JsonObject, SealedAuditEvent } from '../events/audit-event';
import { replayState } from '../query/state-replay';
import { decide, fieldsChangedBy, planChange, type RevertPlan } from './revert-plan';

let seq = 0;
/** A sealed state change of one record: only what the planner reads is real. */
function event(before: JsonObject | null, after: JsonObject | null, actor = 'alice'): SealedAuditEvent {
  seq += 1;
  return {
    id: `e${seq}`,
    chainSeq: seq,
    action: before === null ? 'CREATE' : after === null ? 'DELETE' : 'UPDATE',
    actor: { type: 'USER', id: actor, display: actor },
    before,
    after,
    patch: [],
  } as unknown as SealedAuditEvent;
}

const all = (_field: string) => true;
const bob = {
  id: 'b',
  username: 'bob',
  email: 'bob@acme.test',
  role: 'user',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

beforeEach(() => {
  seq = 0;
});

/** The plan that reverts `target` with `later` events after it and the record now at `current`. */
function revertOf(
  target: SealedAuditEvent,
  later: SealedAuditEvent[],
  current: JsonObject | null,
  writable = all,
) {
  return planChange({
    current,
    wanted: target.before,
    expected: target.after,
    later,
    writable,
    fields: target.before && target.after ? fieldsChangedBy(target) : undefined,
  });
}

describe('planChange and decide: reverting one update', () => {
  it('puts back only the fields the event changed, keeping later changes of other fields', () => {
    const escalate = event(bob, { ...bob, role: 'admin' }, 'alice');
    const email = event({ ...bob, role: 'admin' }, { ...bob, role: 'admin', email: 'new@acme.test' }, 'bob');
    const current = { ...bob, role: 'admin', email: 'new@acme.test' };
    const plan = revertOf(escalate, [email], current);
    expect(plan.mode).toBe('UPDATE');
    expect(plan.fields.map((f) => [f.field, f.currentValue, f.restoreValue, f.conflict])).toEqual([
      ['role', 'admin', 'user', false],
    ]);
    const decision = decide(plan, 'ABORT');
    expect(decision.blocked).toBe(false);
    expect(decision.patch).toEqual([{ op: 'replace', path: '/role', value: 'user' }]);
    expect(decision.result).toEqual({ ...bob, email: 'new@acme.test' });
  });

  it('names the later change of the same field as a conflict, with who made it', () => {
    const escalate = event(bob, { ...bob, role: 'admin' }, 'alice');
    const again = event({ ...bob, role: 'admin' }, { ...bob, role: 'auditor' }, 'carol');
    const plan = revertOf(escalate, [again], { ...bob, role: 'auditor' });
    const [role] = plan.fields;
    expect(role).toMatchObject({
      field: 'role',
      currentValue: 'auditor',
      expectedValue: 'admin',
      conflict: true,
    });
    expect(role.lastChange?.actor.id).toBe('carol');
  });

  it('ABORT refuses a conflict, SKIP_CONFLICTING writes only the rest, OVERWRITE writes all', () => {
    const change = event(bob, { ...bob, role: 'admin', email: 'x@acme.test' });
    const again = event(
      { ...bob, role: 'admin', email: 'x@acme.test' },
      { ...bob, role: 'auditor', email: 'x@acme.test' },
    );
    const plan = revertOf(change, [again], { ...bob, role: 'auditor', email: 'x@acme.test' });
    const abort = decide(plan, 'ABORT');
    expect([abort.blocked, abort.applied.length, abort.skipped.map((f) => f.field)]).toEqual([
      true,
      0,
      ['email', 'role'],
    ]);
    // A blocked preview still shows the whole plan.
    expect(abort.patch).toHaveLength(2);
    const skip = decide(plan, 'SKIP_CONFLICTING');
    expect([skip.blocked, skip.applied.map((f) => f.field), skip.skipped.map((f) => f.field)]).toEqual([
      false,
      ['email'],
      ['role'],
    ]);
    expect(skip.result).toMatchObject({ role: 'auditor', email: 'bob@acme.test' });
    const overwrite = decide(plan, 'OVERWRITE');
    expect(overwrite.result).toMatchObject({ role: 'user', email: 'bob@acme.test' });
  });

  it('counts a change not in the sealed trail as a conflict without an author', () => {
    const escalate = event(bob, { ...bob, role: 'admin' });
    const [role] = revertOf(escalate, [], { ...bob, role: 'auditor' }).fields;
    expect([role.conflict, role.lastChange]).toEqual([true, null]);
  });

  it('leaves masked, erased and unwritable values out, and says why', () => {
    const before = { ...bob, role: 'user', passwordHash: MASKED_VALUE, email: ERASED_VALUE, updatedAt: 't1' };
    const after = {
      ...bob,
      role: 'admin',
      passwordHash: MASKED_VALUE,
      email: 'e@acme.test',
      updatedAt: 't2',
    };
    const plan = revertOf(event(before, after), [], after, (f) => f !== 'updatedAt');
    expect(plan.fields.map((f) => f.field)).toEqual(['role']);
    expect(plan.notRestorable).toEqual([
      { field: 'email', reason: 'ERASED' },
      { field: 'updatedAt', reason: 'NOT_WRITABLE' },
    ]);
    expect(JSON.stringify(decide(plan, 'OVERWRITE').patch)).not.toMatch(/MASKED|ERASED/);
  });

  it('finds a mask nested in a JSON value', () => {
    const before = { ...bob, settings: { apiToken: MASKED_VALUE, theme: 'dark' } };
    const after = { ...bob, settings: { theme: 'light' } };
    expect(revertOf(event(before, after), [], after).notRestorable).toEqual([
      { field: 'settings', reason: 'MASKED' },
    ]);
  });

  it('plans nothing when the record already has the values', () => {
    const plan = revertOf(event(bob, { ...bob, role: 'admin' }), [], bob);
    expect([plan.mode, plan.fields]).toEqual(['NONE', []]);
    expect(decide(plan, 'ABORT')).toMatchObject({ mode: 'NONE', patch: [], result: bob });
  });

  it('escapes field names in JSON pointers (RFC 6901)', () => {
    const plan = revertOf(event({ 'a/b~c': 1 }, { 'a/b~c': 2 }), [], { 'a/b~c': 2 });
    expect(decide(plan, 'ABORT').patch).toEqual([{ op: 'replace', path: '/a~1b~0c', value: 1 }]);
  });
});

describe('planChange and decide: creations and deletions', () => {
  it('reverts a creation by deleting the record; a change since is a conflict of the delete', () => {
    const create = event(null, bob);
    const clean: RevertPlan = revertOf(create, [], bob);
    expect(decide(clean, 'ABORT')).toMatchObject({ mode: 'DELETE', blocked: false, result: null });
    expect(decide(clean, 'ABORT').patch).toEqual([{ op: 'replace', path: '', value: null }]);
    const later = event(bob, { ...bob, email: 'z@acme.test' }, 'bob');
    const changed = revertOf(create, [later], { ...bob, email: 'z@acme.test' });
    expect(changed.fields.filter((f) => f.conflict).map((f) => f.field)).toEqual(['email']);
    expect(decide(changed, 'ABORT').blocked).toBe(true);
    // A delete cannot leave a field out: SKIP_CONFLICTING skips all of it.
    expect(decide(changed, 'SKIP_CONFLICTING')).toMatchObject({
      mode: 'NONE',
      patch: [],
      result: changed.current,
    });
    expect(decide(changed, 'OVERWRITE')).toMatchObject({ mode: 'DELETE', result: null });
  });

  it('reverts a deletion by re-creating the record from its last state', () => {
    const remove = event({ ...bob, passwordHash: MASKED_VALUE }, null);
    const plan = revertOf(remove, [], null);
    expect(plan.mode).toBe('CREATE');
    expect(plan.notRestorable).toEqual([{ field: 'passwordHash', reason: 'MASKED' }]);
    const decision = decide(plan, 'ABORT');
    expect(decision.patch).toEqual([{ op: 'add', path: '', value: bob }]);
    expect(decision.result).toEqual(bob);
  });

  it('calls a record re-created since the deletion a conflict of every differing field', () => {
    const remove = event(bob, null);
    const plan = revertOf(remove, [], { ...bob, email: 'other@acme.test' });
    expect(plan.fields.map((f) => [f.field, f.conflict])).toEqual([['email', true]]);
  });
});

describe('planChange: restoring a point in time', () => {
  it('returns every field to its value then, against the head of the trail', () => {
    const events = [
      event(null, bob),
      event(bob, { ...bob, role: 'admin' }, 'alice'),
      event({ ...bob, role: 'admin' }, { ...bob, role: 'admin', email: 'n@acme.test' }, 'bob'),
    ];
    for (const e of events) (e as { patch: unknown }).patch = patchOf(e);
    const point = (e: SealedAuditEvent) => e.chainSeq <= 1;
    const head = replayState(events);
    const plan = planChange({
      current: head,
      wanted: replayState(events, point),
      expected: head,
      later: events.filter((e) => !point(e)),
      writable: all,
    });
    expect(plan.fields.map((f) => [f.field, f.restoreValue, f.conflict, f.lastChange?.actor.id])).toEqual([
      ['email', 'bob@acme.test', false, 'bob'],
      ['role', 'user', false, 'alice'],
    ]);
    expect(decide(plan, 'ABORT').result).toEqual(bob);
  });
});

/** The RFC 6902 patch a sealed event carries, for the replay. */
function patchOf(e: SealedAuditEvent) {
  if (e.before === null) return [{ op: 'add', path: '', value: e.after }];
  return Object.keys(e.after ?? {})
    .filter((k) => e.before![k] !== e.after![k])
    .map((k) => ({ op: 'replace', path: `/${k}`, value: e.after![k] }));
}
