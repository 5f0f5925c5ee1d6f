import { toJsonValue } from '../capture/to-json-value';
import type { JsonObject, SealedAuditEvent } from '../events/audit-event';
import type { AuditEventEntity } from './audit-event.entity';

// JSONB stores keys in its own order; readers get them sorted, and fixed-shape members in their documented order.
const sorted = (value: JsonObject | null) => toJsonValue(value) as JsonObject | null;

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
    before: sorted(row.before),
    after: sorted(row.after),
    changes: row.changes.map(({ field, before, after }) => ({ field, before, after })),
    patch: row.patch.map(({ op, path, ...rest }) => ({ op, path, ...rest })),
    source: {
      ip: row.source.ip ?? null,
      userAgent: row.source.userAgent ?? null,
      requestId: row.source.requestId ?? null,
      sessionId: row.source.sessionId ?? null,
    },
    metadata: sorted(row.metadata) ?? {},
    chainSeq: Number(row.chainSeq),
    globalSeq: Number(row.globalSeq),
    hashAlg: row.hashAlg,
    prevHash: row.prevHash.toString('hex'),
    hash: row.hash.toString('hex'),
    batchTreeSize: row.batchTreeSize === null ? null : Number(row.batchTreeSize),
    keyId: row.keyId,
    keySetId: row.keySetId,
    integrity:
      row.keyId && row.keySetId
        ? `${row.keySetId}::${row.keyId}::${row.hashAlg}::${row.hash.toString('hex')}`
        : null,
  };
}
