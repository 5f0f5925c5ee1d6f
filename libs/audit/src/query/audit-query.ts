/** Who asks: a tenant-bound reader sees only its tenant's events. */
export interface ReaderScope {
  tenantId: string | null;
}

/** What a search selects (every member optional, all combined with AND). */
export interface AuditEventQuery {
  entityType?: string;
  entityId?: string;
  actorId?: string;
  actorType?: string;
  actions?: string[];
  module?: string;
  tenantId?: string;
  transactionCode?: string;
  requestId?: string;
  /** Every event of one operation (a UUID). */
  operationId?: string;
  /** Events that changed any of these fields. */
  changedFields?: string[];
  /** occurredAt ≥ from. */
  from?: Date;
  /** occurredAt < to. */
  to?: Date;
}

export interface PageRequest {
  first: number;
  /** The position after which the page starts (from a cursor). */
  after: { occurredAt: string; globalSeq: number } | null;
  descending: boolean;
}

export interface EventPage {
  events: (import('../events/audit-event').SealedAuditEvent & {
    drift: import('../events/audit-event').FieldChange[] | null;
  })[];
  hasNextPage: boolean;
  totalCount: number;
}

export type AuditReportDimensionName =
  'ACTION' | 'ACTOR' | 'MODULE' | 'ENTITY_TYPE' | 'TENANT' | 'TRANSACTION_CODE' | 'DAY' | 'HOUR';
