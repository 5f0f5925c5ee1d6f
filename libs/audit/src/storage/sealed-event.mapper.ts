import type { SealedAuditEvent } from '../events/audit-event';
import type { AuditEventEntity } from './audit-event.entity';

/** A stored row as the camelCase event shape readers return. */
export function toSealedEvent(row: AuditEventEntity): SealedAuditEvent {
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    recordedAt: row.recordedAt.toISOString(),
    actor: {
      type: row.actorType as SealedAuditEvent['actor']['type'],
      id: row.actorId,
      display: row.actorDisplay,
    },
    action: row.action,
    entityType: row.entityType,
    entityId: row.entityId,
    tenantId: row.tenantId,
    module: row.module,
    transactionCode: row.transactionCode,
    before: row.before,
    after: row.after,
    changes: row.changes,
    patch: row.patch,
    source: row.source,
    metadata: row.metadata,
    chainSeq: Number(row.chainSeq),
  };
}
