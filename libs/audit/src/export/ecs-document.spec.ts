import type { SealedAuditEvent } from '../events/audit-event';
import { fromEcsDocument, toEcsDocument } from './ecs-document';

const SEALED: SealedAuditEvent = {
  id: '01936b2e-0000-7000-8000-000000000001',
  occurredAt: '2026-11-22T10:00:00.000Z',
  recordedAt: '2026-11-22T10:00:00.120Z',
  actor: { type: 'USER', id: 'u1', display: 'alice' },
  action: 'UPDATE_FAILED',
  entityType: 'User',
  entityId: 'u2',
  tenantId: 'acme',
  module: 'identity',
  transactionCode: 'USER_UPDATE',
  before: { role: 'user' },
  after: { role: 'admin', nested: { a: [1, null] } },
  changes: [{ field: 'role', before: 'user', after: 'admin' }],
  patch: [{ op: 'replace', path: '/role', value: 'admin' }],
  source: { ip: '10.0.0.7', userAgent: 'ua/1', requestId: 'r1', sessionId: 's1' },
  metadata: { reason: 'x' },
  chainSeq: 4,
  globalSeq: 91,
  hashAlg: 'audit/v1',
  prevHash: 'aa'.repeat(32),
  hash: 'bb'.repeat(32),
  batchTreeSize: 93,
  keyId: 'f83f1c23',
  keySetId: 'default',
  integrity: `default::f83f1c23::audit/v1::${'bb'.repeat(32)}`,
};

describe('ECS mapping', () => {
  it('puts who, what, when and where in the standard ECS fields', () => {
    const doc = toEcsDocument(SEALED);
    expect(doc['@timestamp']).toBe(SEALED.occurredAt);
    expect(doc.event).toMatchObject({
      id: SEALED.id,
      action: 'UPDATE_FAILED',
      outcome: 'failure',
      type: ['change'],
      category: ['iam'],
      sequence: 91,
      created: SEALED.recordedAt,
    });
    expect(doc.user).toEqual({ id: 'u1', name: 'alice' });
    expect(doc.source.ip).toBe('10.0.0.7');
    expect(doc.user_agent.original).toBe('ua/1');
    expect(doc.http.request.id).toBe('r1');
    expect(doc.organization.id).toBe('acme');
  });

  it('maps a plain record change to database/success', () => {
    const doc = toEcsDocument({ ...SEALED, action: 'CREATE', entityType: 'Invoice' });
    expect(doc.event).toMatchObject({ outcome: 'success', type: ['creation'], category: ['database'] });
  });

  it('survives JSON and gives back the exact sealed event', () => {
    const text = JSON.stringify(toEcsDocument(SEALED));
    expect(fromEcsDocument(JSON.parse(text))).toEqual(SEALED);
  });
});
