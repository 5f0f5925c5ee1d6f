import type { AuditActor, JsonObject } from './audit-event';

/** A domain event with no entity snapshot (`LOGIN_SUCCESS`, `PERMISSION_DENIED` …), for `AuditService.record`. */
export interface RecordAuditEventInput {
  /** Upper-case action name. */
  action: string;
  /** What the event is about, e.g. `User` and the user's id (or the attempted username of a failed login). */
  entityType: string;
  entityId: string;
  /** Default: the principal's tenant. */
  tenantId?: string | null;
  module?: string | null;
  transactionCode?: string | null;
  metadata?: JsonObject;
  /** Overrides the context's actor, e.g. the user who just logged in. */
  actor?: AuditActor;
}
