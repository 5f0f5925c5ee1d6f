import type { AuditActor, AuditSource } from '../events/audit-event';

/**
 * Who is acting and from where, as captured for one event. Serialisable, so that work a request
 * starts (a BullMQ job, a deferred task) can carry it and record the originating actor and
 * correlation id: see `AuditContextService.snapshot()` and `run()`.
 */
export interface AuditContextSnapshot {
  actor: AuditActor;
  tenantId: string | null;
  source: AuditSource;
}
