import type { SealedAuditEvent } from '../events/audit-event';
import { checkLink } from '../verification/chain-verifier';
import { fromEcsDocument, toEcsDocument, type EcsDocument } from './ecs-document';
import { DATABASE_EVENT, V1_1_EVENT, V1_EVENT } from './testdata/sealed-events';

/** The failures of an event's link check against its recorded predecessor (none when it verifies). */
function linkFailures(event: SealedAuditEvent): string[] {
  const failures: string[] = [];
  const prev = { chainSeq: event.chainSeq - 1, hash: Buffer.from(event.prevHash, 'hex') };
  checkLink(event, prev, (_seq, _id, reason) => failures.push(reason));
  return failures;
}

const viaJson = (event: SealedAuditEvent) =>
  fromEcsDocument(JSON.parse(JSON.stringify(toEcsDocument(event))) as EcsDocument);

describe('ECS mapping', () => {
  it('puts who, what, when and where in the standard ECS fields', () => {
    const doc = toEcsDocument(V1_EVENT);
    expect(doc['@timestamp']).toBe(V1_EVENT.occurredAt);
    expect(doc.event).toMatchObject({
      id: V1_EVENT.id,
      action: 'UPDATE_FAILED',
      outcome: 'failure',
      type: ['change'],
      category: ['iam'],
      sequence: 91,
      created: V1_EVENT.recordedAt,
    });
    expect(doc.user).toEqual({ id: 'u1', name: 'alice' });
    expect(doc.source.ip).toBe('10.0.0.7');
    expect(doc.user_agent.original).toBe('ua/1');
    expect(doc.http.request.id).toBe('r1');
    expect(doc.organization.id).toBe('acme');
  });

  it('maps a plain record change to database/success', () => {
    const doc = toEcsDocument({ ...V1_EVENT, action: 'CREATE', entityType: 'Invoice' });
    expect(doc.event).toMatchObject({ outcome: 'success', type: ['creation'], category: ['database'] });
  });

  it('puts the operation, the origin and the database facts under audit_ledger', () => {
    expect(toEcsDocument(V1_1_EVENT).audit_ledger).toMatchObject({
      operation_id: '01936b2e-0000-7000-8000-0000000000aa',
      origin: 'APP',
      database: { transaction_id: '8812', role: 'app', time: '2026-11-22T10:00:00.004Z' },
    });
    expect(toEcsDocument(DATABASE_EVENT).audit_ledger).toMatchObject({
      actor_type: 'DATABASE',
      operation_id: null,
      origin: 'DATABASE',
    });
    expect(toEcsDocument(V1_EVENT).audit_ledger).toMatchObject({
      operation_id: null,
      origin: null,
      database: null,
    });
  });

  it.each([
    ['an audit/v1 event (its v1.1 members null)', V1_EVENT],
    ['an audit/v1.1 event with all three members', V1_1_EVENT],
    ['an audit/v1.1 event made outside the application', DATABASE_EVENT],
  ])('survives JSON and gives back the exact sealed event: %s', (_, event) => {
    expect(viaJson(event)).toEqual(event);
    expect(linkFailures(viaJson(event))).toEqual([]);
  });

  it('reads a document exported before audit/v1.1 as an event with null members, which verifies', () => {
    const doc = toEcsDocument(V1_EVENT);
    const { operation_id: _o, origin: _r, database: _d, ...ledger } = doc.audit_ledger;
    const event = fromEcsDocument({ ...doc, audit_ledger: ledger as EcsDocument['audit_ledger'] });
    expect(event).toEqual(V1_EVENT);
    expect(linkFailures(event)).toEqual([]);
  });

  it.each([
    ['operation_id', { operation_id: '01936b2e-0000-7000-8000-0000000000bb' }],
    ['origin', { origin: 'ASSERTED' }],
    ['database', { database: { transaction_id: '8812', role: 'admin', time: '2026-11-22T10:00:00.004Z' } }],
    ['database (removed)', { database: null }],
  ])('a changed %s no longer matches the event hash', (_, change) => {
    const doc = toEcsDocument(V1_1_EVENT);
    const changed = fromEcsDocument({
      ...doc,
      audit_ledger: { ...doc.audit_ledger, ...change } as EcsDocument['audit_ledger'],
    });
    expect(linkFailures(changed)).toEqual(['HASH_MISMATCH']);
  });

  it('refuses an audit/v1 event that gained a member v1 does not hash', () => {
    const doc = toEcsDocument(V1_EVENT);
    const forged = fromEcsDocument({ ...doc, audit_ledger: { ...doc.audit_ledger, origin: 'APP' } });
    expect(linkFailures(forged)).toEqual(['HASH_MISMATCH']);
  });
});
