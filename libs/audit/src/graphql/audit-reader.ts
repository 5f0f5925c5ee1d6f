import type { AuditActor } from '../events/audit-event';

/** Who runs an audit query, as the read guard resolved them. */
export interface AuditReader {
  actor: AuditActor;
  /** The only tenant whose events this reader sees; null for a global auditor. */
  tenantId: string | null;
}

/** Where the read guard leaves the reader on the request. */
export const AUDIT_READER = Symbol('audit:reader');
