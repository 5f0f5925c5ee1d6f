import type { AuditEvent } from './audit-event';

/**
 * An event in its one stored and hashed shape: absent values null, `occurredAt` as ISO-8601 with
 * milliseconds, changes and source reduced to their documented members. The sealer stores and
 * hashes this form of the outbox payload, and a verifier hashes it again from the stored row, so
 * a payload written by another producer can never make the two disagree.
 */
export function normalizeEvent(event: AuditEvent): AuditEvent {
  return {
    id: event.id,
    occurredAt: new Date(event.occurredAt).toISOString(),
    actor: { type: event.actor.type, id: event.actor.id, display: event.actor.display ?? null },
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    tenantId: event.tenantId ?? null,
    module: event.module ?? null,
    transactionCode: event.transactionCode ?? null,
    before: event.before ?? null,
    after: event.after ?? null,
    changes: (event.changes ?? []).map((c) => ({
      field: c.field,
      before: c.before ?? null,
      after: c.after ?? null,
    })),
    patch: event.patch ?? [],
    source: {
      ip: event.source?.ip ?? null,
      userAgent: event.source?.userAgent ?? null,
      requestId: event.source?.requestId ?? null,
      sessionId: event.source?.sessionId ?? null,
    },
    metadata: event.metadata ?? {},
    operationId: event.operationId ?? null,
    origin: event.origin ?? null,
    database: event.database
      ? {
          transactionId: event.database.transactionId,
          role: event.database.role,
          time: event.database.time,
        }
      : null,
  };
}
