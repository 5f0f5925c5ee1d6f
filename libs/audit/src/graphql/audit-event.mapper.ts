import type { EventWithDrift } from '../query/audit-query.service';
import type { AuditEventModel } from './models/audit-event.model';

/** A stored event as the GraphQL `AuditEvent`. */
export function toEventModel(e: EventWithDrift): AuditEventModel {
  return {
    id: e.id,
    occurredAt: new Date(e.occurredAt),
    recordedAt: new Date(e.recordedAt),
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId,
    tenantId: e.tenantId,
    module: e.module,
    transactionCode: e.transactionCode,
    operationId: e.operationId,
    origin: e.origin,
    database: e.database && { ...e.database, time: new Date(e.database.time) },
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
