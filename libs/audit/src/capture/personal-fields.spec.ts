import { ERASED_VALUE, MASKED_VALUE } from '../audit.constants';
import { newSubjectKey, openPersonalValue, sealPersonalValue } from '../crypto/personal-data-envelope';
import { AuditableMisconfiguredError } from '../errors/auditable-misconfigured.error';
import type { AuditEvent } from '../events/audit-event';
import { UNKNOWN_VALUE, driftedFields } from './drift';
import { FieldMasker } from './field-masker';
import { envelopeSubjects, protectEvent, revealEvent, type SealValue } from './personal-fields';
import { fieldChanges, jsonPatch } from './snapshot-diff';

const masker = new FieldMasker(/password/i, []);

function event(before: AuditEvent['before'], after: AuditEvent['after'], entityId = 'u1'): AuditEvent {
  return {
    id: 'e1',
    occurredAt: '2026-11-23T10:00:00.000Z',
    actor: { type: 'USER', id: 'admin', display: 'admin' },
    action: before && after ? 'UPDATE' : before ? 'DELETE' : 'CREATE',
    entityType: 'User',
    entityId,
    tenantId: 'acme',
    module: null,
    transactionCode: null,
    before,
    after,
    changes: fieldChanges(before, after, masker),
    patch: jsonPatch(before, after, masker),
    source: { ip: null, userAgent: null, requestId: null, sessionId: null },
    metadata: {},
  };
}

/** A readable stand-in for an envelope: which subject's key, which field, which value. */
const tag: SealValue = (subject, field, value) => `<${subject}:${field}:${JSON.stringify(value)}>`;
const policy = { fields: ['email', 'address'], subjectField: null };

describe('protectEvent', () => {
  it('replaces every appearance of a personal value (snapshots, changes, patch) and nothing else', () => {
    const before = { email: 'a@x.test', role: 'user', address: { city: 'A', zip: '1' }, nick: null };
    const after = { email: 'b@x.test', role: 'admin', address: { city: 'B', zip: '1' }, nick: null };
    const protectedEvent = protectEvent(event(before, after), policy, tag);
    expect(protectedEvent.before).toEqual({
      email: '<u1:email:"a@x.test">',
      role: 'user',
      address: '<u1:address:{"city":"A","zip":"1"}>',
      nick: null,
    });
    expect(protectedEvent.after!.email).toBe('<u1:email:"b@x.test">');
    expect(protectedEvent.changes).toEqual([
      { field: 'address.city', before: '<u1:address:"A">', after: '<u1:address:"B">' },
      { field: 'email', before: '<u1:email:"a@x.test">', after: '<u1:email:"b@x.test">' },
      { field: 'role', before: 'user', after: 'admin' },
    ]);
    expect(protectedEvent.patch).toEqual(
      expect.arrayContaining([
        { op: 'replace', path: '/email', value: '<u1:email:"b@x.test">' },
        { op: 'replace', path: '/address/city', value: '<u1:address:"B">' },
        { op: 'replace', path: '/role', value: 'admin' },
      ]),
    );
    expect(JSON.stringify(protectedEvent)).not.toMatch(/"a@x\.test"|"b@x\.test"|"city":"A"/);
  });

  it('keeps null values and events of no personal field as they are', () => {
    const created = protectEvent(event(null, { email: null, role: 'user' }), policy, tag);
    expect(created.after).toEqual({ email: null, role: 'user' });
    expect(created.patch).toContainEqual({ op: 'add', path: '/email', value: null });
  });

  it('takes the subject from subjectField, per side, and refuses a personal value without one', () => {
    const orders = { fields: ['shippingName'], subjectField: 'customerId' };
    const moved = protectEvent(
      event({ customerId: 'c1', shippingName: 'Ann' }, { customerId: 'c2', shippingName: 'Bob' }, 'o1'),
      orders,
      tag,
    );
    expect(moved.changes).toContainEqual({
      field: 'shippingName',
      before: '<c1:shippingName:"Ann">',
      after: '<c2:shippingName:"Bob">',
    });
    for (const customerId of [undefined, MASKED_VALUE]) {
      expect(() => protectEvent(event(null, { customerId, shippingName: 'Ann' }, 'o1'), orders, tag)).toThrow(
        AuditableMisconfiguredError,
      );
    }
  });
});

describe('revealEvent', () => {
  const key = newSubjectKey();
  const seal: SealValue = (subject, field, value) => sealPersonalValue(key, subject, field, value);

  it('opens what protectEvent sealed, drift changes included, and lists the subjects it needs', () => {
    const original = event({ email: 'a@x.test', role: 'user' }, { email: 'b@x.test', role: 'user' });
    const sealed = protectEvent(original, policy, seal);
    expect(envelopeSubjects([{ ...sealed, drift: sealed.changes }])).toEqual(['u1']);
    const open = (e: Parameters<typeof openPersonalValue>[1], field: string) =>
      openPersonalValue(key, e, field);
    const revealed = revealEvent({ ...sealed, drift: sealed.changes }, open);
    expect(revealed).toEqual({ ...original, drift: original.changes });
  });

  it('lists every subject revealEvent opens, wherever its envelope sits (the two walk the same places)', () => {
    const sealedFor = (subject: string) => sealPersonalValue(key, subject, 'f', 'v');
    const hidden = {
      ...event({ f: sealedFor('s1') }, { f: sealedFor('s2') }),
      changes: [{ field: 'f', before: sealedFor('s3'), after: sealedFor('s4') }],
      patch: [{ op: 'replace' as const, path: '/f', value: sealedFor('s5') }],
      drift: [{ field: 'f', before: sealedFor('s6'), after: null }],
    };
    const opened: string[] = [];
    revealEvent(hidden, (envelope) => opened.push(envelope.subject));
    expect(opened.sort()).toEqual(['s1', 's2', 's3', 's4', 's5', 's6']);
    expect(envelopeSubjects([hidden]).sort()).toEqual(opened);
  });

  it('reads an erased subject’s values as the marker', () => {
    const sealed = protectEvent(event(null, { email: 'a@x.test' }), policy, seal);
    const revealed = revealEvent(sealed, () => ERASED_VALUE);
    expect(revealed.after).toEqual({ email: ERASED_VALUE });
    expect(revealed.patch).toEqual([{ op: 'add', path: '/email', value: ERASED_VALUE }]);
  });
});

describe('drift over personal values', () => {
  const key = newSubjectKey();
  const env = (value: string) => sealPersonalValue(key, 'u1', 'email', value);
  const decrypt = (field: string, value: unknown) =>
    typeof value === 'object' && value !== null
      ? openPersonalValue(key, value as ReturnType<typeof env>, field)
      : value;

  it('raises no drift for the same value sealed twice (random IVs), even without keys', () => {
    expect(driftedFields({ email: env('a@x.test') }, { email: env('a@x.test') })).toEqual([]);
    expect(driftedFields({ email: env('a@x.test') }, { email: env('a@x.test') }, decrypt)).toEqual([]);
  });

  it('detects a changed plaintext when the values can be decrypted, never when they cannot', () => {
    expect(driftedFields({ email: env('a@x.test') }, { email: env('b@x.test') }, decrypt)).toEqual(['email']);
    expect(
      driftedFields({ email: env('a@x.test') }, { email: env('b@x.test') }, () => UNKNOWN_VALUE),
    ).toEqual([]);
    expect(driftedFields({ email: env('a@x.test') }, { email: ERASED_VALUE })).toEqual([]);
  });

  it('diffs envelopes as whole values in a drift event', () => {
    const [a, b] = [env('a@x.test'), env('b@x.test')];
    expect(fieldChanges({ email: a }, { email: b }, masker)).toEqual([
      { field: 'email', before: a, after: b },
    ]);
    expect(jsonPatch({ email: a, n: 1 }, { email: b, n: 2 }, masker)).toEqual([
      { op: 'replace', path: '/n', value: 2 },
      { op: 'replace', path: '/email', value: b },
    ]);
    expect(jsonPatch({ email: a }, { email: ERASED_VALUE }, masker)).toEqual([
      { op: 'replace', path: '/email', value: ERASED_VALUE },
    ]);
  });
});
