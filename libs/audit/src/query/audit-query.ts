/** Earliest date-time a query may name: no audit event predates it. */
export const EARLIEST_QUERY_DATE = new Date('1970-01-01T00:00:00.000Z');
/** Latest date-time a query may name (or reach by adding a window): the last with a four-digit year. */
export const LATEST_QUERY_DATE = new Date('9999-12-31T23:59:59.999Z');

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
  events: (import('../events/audit-event.js').SealedAuditEvent & {
    drift: import('../events/audit-event.js').FieldChange[] | null;
  })[];
  hasNextPage: boolean;
  totalCount: number;
}

export type AuditReportDimensionName =
  'ACTION' | 'ACTOR' | 'MODULE' | 'ENTITY_TYPE' | 'TENANT' | 'TRANSACTION_CODE' | 'DAY' | 'HOUR';
