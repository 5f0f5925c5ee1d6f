import { eventHash } from '../../crypto/event-hash';
import type { SealedAuditEvent } from '../../events/audit-event';

/** Seals an event for real: its hash over its fields under its `hashAlg`, and its integrity line. */
function sealed(event: Omit<SealedAuditEvent, 'hash' | 'integrity'>): SealedAuditEvent {
  const prevHash = Buffer.from(event.prevHash, 'hex');
  const hash = eventHash(event, event.chainSeq, prevHash, event.hashAlg).toString('hex');
  return { ...event, hash, integrity: `${event.keySetId}::${event.keyId}::${event.hashAlg}::${hash}` };
}

/** An `audit/v1` event, sealed before operations, origins and database facts: they are null. */
export const V1_EVENT = sealed({
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
  operationId: null,
  origin: null,
  database: null,
  chainSeq: 4,
  globalSeq: 91,
  hashAlg: 'audit/v1',
  prevHash: 'aa'.repeat(32),
  batchTreeSize: 93,
  keyId: 'f83f1c23',
  keySetId: 'default',
});

/** An `audit/v1.1` row change the database captured inside an application operation. */
export const V1_1_EVENT = sealed({
  ...V1_EVENT,
  id: '01936b2e-0000-7000-8000-000000000002',
  action: 'UPDATE',
  operationId: '01936b2e-0000-7000-8000-0000000000aa',
  origin: 'APP',
  database: { transactionId: '8812', role: 'app', time: '2026-11-22T10:00:00.004Z' },
  chainSeq: 5,
  globalSeq: 92,
  hashAlg: 'audit/v1.1',
});

/** An `audit/v1.1` change made outside the application (psql): no operation, no request. */
export const DATABASE_EVENT = sealed({
  ...V1_EVENT,
  id: '01936b2e-0000-7000-8000-000000000003',
  actor: { type: 'DATABASE', id: 'postgres', display: null },
  action: 'UPDATE',
  tenantId: null,
  module: null,
  transactionCode: null,
  source: { ip: null, userAgent: null, requestId: null, sessionId: null },
  metadata: {},
  operationId: null,
  origin: 'DATABASE',
  database: { transactionId: '8813', role: 'postgres', time: '2026-11-22T10:00:00.090Z' },
  chainSeq: 6,
  globalSeq: 93,
  hashAlg: 'audit/v1.1',
});
