import { AuditChainTamperedError } from '../errors/audit-chain-tampered.error';
import type { SealedAuditEvent } from '../events/audit-event';
import type { EventWithDrift } from '../query/audit-query.service';
import type { AuditEventModel } from './models/audit-event.model';

/** A stored event as the GraphQL `AuditEvent`. */
export function toEventModel(e: EventWithDrift): AuditEventModel {
  return {
    id: e.id,
    occurredAt: timeOf(e, e.occurredAt, 'occurred_at'),
    recordedAt: timeOf(e, e.recordedAt, 'recorded_at'),
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId,
    tenantId: e.tenantId,
    module: e.module,
    transactionCode: e.transactionCode,
    operationId: e.operationId,
    origin: e.origin,
    database: e.database && { ...e.database, time: timeOf(e, e.database.time, 'database_facts.time') },
    actor: e.actor,
    source: e.source,
    before: e.before,
    after: e.after,
    changes: e.changes,
    metadata: e.metadata,
    chainSeq: e.chainSeq,
    globalSeq: e.globalSeq,
    prevHash: e.prevHash,
    hash: e.hash,
    integrity: e.integrity,
    drift: e.drift,
  };
}

/**
 * A stored time as a DateTime. One no Date holds ('infinity', a date BC) was never written by the
 * ledger: the row was edited outside it. Search results are not verified and `recorded_at` is not
 * hashed, so such a value can reach this mapping: it is answered as tampering (a verdict naming
 * the event), not as a fault of the server. NOTE: the value itself stays out of the answer.
 */
function timeOf(e: SealedAuditEvent, value: string, column: string): Date {
  const time = new Date(value);
  if (!Number.isNaN(time.getTime())) return time;
  throw new AuditChainTamperedError(e.entityType, e.entityId, [
    {
      chainSeq: e.chainSeq,
      eventId: e.id,
      reason: 'UNREADABLE_ROW',
      detail: `the stored ${column} is no time a Date holds`,
    },
  ]);
}
