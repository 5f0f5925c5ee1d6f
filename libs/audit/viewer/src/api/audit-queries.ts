import { ApiError } from './api-error';
import { graphql } from './graphql-client';

/** An event as the viewer reads it (a subset of the API's AuditEvent). */
export interface AuditEvent {
  id: string;
  occurredAt: string;
  action: string;
  entityType: string;
  entityId: string;
  tenantId: string | null;
  module: string | null;
  operationId: string | null;
  actor: { type: string; id: string; display: string | null };
  source: { ip: string | null; userAgent: string | null; requestId: string | null };
  changes: { field: string; before: unknown; after: unknown }[];
  chainSeq: number;
  globalSeq: number;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: PageInfo;
}

export interface ChainVerification {
  valid: boolean;
  checkedEvents: number;
  headSeq: number;
  failures: { chainSeq: number; eventId: string | null; reason: string; detail: string }[];
}

export interface LogVerification {
  valid: boolean;
  mode: string;
  treeSize: number;
  witnessedSize: number;
  checkedEvents: number;
  checkedCheckpoints: number;
  failures: { reason: string; globalSeq: number | null; detail: string }[];
}

export interface PrivilegeChange {
  field: string;
  before: unknown;
  after: unknown;
  reverted: boolean;
  event: AuditEvent;
  revertedBy: AuditEvent | null;
}

export interface AuditKey {
  keyId: string;
  algorithm: string;
  status: string;
  notBefore: string;
  notAfter: string | null;
  compromisedAt: string | null;
}

export interface AuditCheckpoint {
  treeSize: number;
  rootHash: string;
  timestamp: string;
  keyId: string;
}

export type ReportDimension = 'DAY' | 'ACTION' | 'ACTOR';

export interface ReportRow {
  keys: { dimension: string; value: string | null }[];
  count: number;
}

/** The search filters, by their AuditEventFilter names. */
export interface EventFilter {
  entityType?: string;
  entityId?: string;
  actorId?: string;
  action?: string;
  module?: string;
  tenantId?: string;
  requestId?: string;
  operationId?: string;
  changedField?: string;
  from?: string;
  to?: string;
}

const EVENT = `id occurredAt action entityType entityId tenantId module operationId
  actor { type id display } source { ip userAgent requestId } changes { field before after } chainSeq globalSeq`;
const VERIFICATION = 'valid checkedEvents headSeq failures { chainSeq eventId reason detail }';

export async function searchEvents(
  filter: EventFilter,
  first: number,
  after: string | null,
  newestFirst: boolean,
): Promise<Connection<AuditEvent>> {
  const data = await graphql<{ auditEvents: Connection<AuditEvent> }>(
    `query ViewerSearch($filter: AuditEventFilter, $first: Int, $after: String, $orderBy: AuditEventOrder) {
      auditEvents(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
        edges { cursor node { ${EVENT} } } pageInfo { hasNextPage endCursor } } }`,
    { filter, first, after, orderBy: newestFirst ? 'OCCURRED_AT_DESC' : 'OCCURRED_AT_ASC' },
  );
  return data.auditEvents;
}

export async function trailPage(
  entityType: string,
  entityId: string,
  first: number,
  after: string | null,
): Promise<Connection<AuditEvent> & { verification: ChainVerification }> {
  const data = await graphql<{ auditTrail: Connection<AuditEvent> & { verification: ChainVerification } }>(
    `query ViewerTrail($type: String!, $id: ID!, $first: Int, $after: String) {
      auditTrail(entityType: $type, entityId: $id, first: $first, after: $after) {
        edges { cursor node { ${EVENT} } } pageInfo { hasNextPage endCursor } verification { ${VERIFICATION} } } }`,
    { type: entityType, id: entityId, first, after },
  );
  return data.auditTrail;
}

export async function verifyTrail(entityType: string, entityId: string): Promise<ChainVerification> {
  const data = await graphql<{ verifyAuditTrail: ChainVerification }>(
    `query ViewerVerifyTrail($type: String!, $id: ID!) {
      verifyAuditTrail(entityType: $type, entityId: $id) { ${VERIFICATION} } }`,
    { type: entityType, id: entityId },
  );
  return data.verifyAuditTrail;
}

export async function entityAt(entityType: string, entityId: string, at: string): Promise<unknown> {
  const data = await graphql<{ entityAt: unknown }>(
    `
      query ViewerEntityAt($type: String!, $id: ID!, $at: DateTime!) {
        entityAt(entityType: $type, entityId: $id, at: $at)
      }
    `,
    { type: entityType, id: entityId, at },
  );
  return data.entityAt;
}

export async function fieldHistory(
  entityType: string,
  field: string,
  range: { from?: string; to?: string },
  first: number,
  after: string | null,
): Promise<Connection<{ before: unknown; after: unknown; event: AuditEvent }>> {
  const data = await graphql<{
    fieldHistory: Connection<{ before: unknown; after: unknown; event: AuditEvent }>;
  }>(
    `query ViewerFieldHistory($type: String!, $field: String!, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
      fieldHistory(entityType: $type, field: $field, from: $from, to: $to, first: $first, after: $after) {
        edges { cursor node { before after event { ${EVENT} } } } pageInfo { hasNextPage endCursor } } }`,
    { type: entityType, field, ...range, first, after },
  );
  return data.fieldHistory;
}

export async function privilegeChanges(from: string, to: string): Promise<PrivilegeChange[]> {
  const data = await graphql<{ privilegeChanges: PrivilegeChange[] }>(
    `query ViewerPrivilegeChanges($from: DateTime!, $to: DateTime!) {
      privilegeChanges(from: $from, to: $to) {
        field before after reverted event { ${EVENT} } revertedBy { ${EVENT} } } }`,
    { from, to },
  );
  return data.privilegeChanges;
}

export async function auditKeys(): Promise<AuditKey[]> {
  const data = await graphql<{ auditKeys: AuditKey[] }>(
    'query ViewerKeys { auditKeys { keyId algorithm status notBefore notAfter compromisedAt } }',
  );
  return data.auditKeys;
}

export async function auditCheckpoints(first: number): Promise<AuditCheckpoint[]> {
  const data = await graphql<{ auditCheckpoints: AuditCheckpoint[] }>(
    `
      query ViewerCheckpoints($first: Int) {
        auditCheckpoints(first: $first) {
          treeSize
          rootHash
          timestamp
          keyId
        }
      }
    `,
    { first },
  );
  return data.auditCheckpoints;
}

export async function verifyLog(): Promise<LogVerification> {
  const data = await graphql<{ verifyAuditLog: LogVerification }>(`
    query ViewerVerifyLog {
      verifyAuditLog {
        valid
        mode
        treeSize
        witnessedSize
        checkedEvents
        checkedCheckpoints
        failures {
          reason
          globalSeq
          detail
        }
      }
    }
  `);
  return data.verifyAuditLog;
}

export type ConflictPolicy = 'ABORT' | 'SKIP_CONFLICTING' | 'OVERWRITE';

export interface RevertChange {
  field: string;
  currentValue: unknown;
  restoreValue: unknown;
  conflict: boolean;
  lastChange: {
    id: string;
    occurredAt: string;
    actor: { type: string; id: string; display: string | null };
  } | null;
}

/** What a revert would do now (the API's AuditRevertPreview, the parts the viewer shows). */
export interface RevertPreview {
  entityType: string;
  entityId: string;
  headSeq: number;
  mode: string;
  blocked: boolean;
  changes: RevertChange[];
  skippedFields: string[];
  notRestorable: { field: string; reason: string }[];
}

const PREVIEW = `entityType entityId headSeq mode blocked skippedFields notRestorable { field reason }
  changes { field currentValue restoreValue conflict lastChange { id occurredAt actor { type id display } } }`;

export async function previewRevert(eventId: string, onConflict: ConflictPolicy): Promise<RevertPreview> {
  const data = await graphql<{ previewRevert: RevertPreview }>(
    `query ViewerPreviewRevert($eventId: ID!, $onConflict: AuditRevertConflictPolicy) {
      previewRevert(eventId: $eventId, onConflict: $onConflict) { ${PREVIEW} } }`,
    { eventId, onConflict },
  );
  return data.previewRevert;
}

export async function revertChange(
  eventId: string,
  onConflict: ConflictPolicy,
  expectedHeadSeq: number,
  reason: string | null,
): Promise<{ applied: boolean; operationId: string | null; appliedFields: string[] }> {
  const data = await graphql<{
    revertChange: { applied: boolean; operationId: string | null; appliedFields: string[] };
  }>(
    `
      mutation ViewerRevert(
        $eventId: ID!
        $onConflict: AuditRevertConflictPolicy
        $expectedHeadSeq: Int
        $reason: String
      ) {
        revertChange(
          eventId: $eventId
          onConflict: $onConflict
          expectedHeadSeq: $expectedHeadSeq
          reason: $reason
        ) {
          applied
          operationId
          appliedFields
        }
      }
    `,
    { eventId, onConflict, expectedHeadSeq, reason },
  );
  return data.revertChange;
}

/** The last log verification the ledger recorded (an `audit.log_verification` event), if visible. */
export async function lastRecordedVerification(): Promise<{
  occurredAt: string;
  actor: { type: string; id: string; display: string | null };
  metadata: unknown;
} | null> {
  const data = await graphql<{
    auditEvents: Connection<{
      occurredAt: string;
      actor: { type: string; id: string; display: string | null };
      metadata: unknown;
    }>;
  }>(`
    query ViewerLastLogVerification {
      auditEvents(filter: { entityType: "audit.log_verification" }, first: 1, orderBy: OCCURRED_AT_DESC) {
        edges {
          node {
            occurredAt
            actor {
              type
              id
              display
            }
            metadata
          }
        }
      }
    }
  `);
  return data.auditEvents.edges[0]?.node ?? null;
}

export async function auditReport(
  from: string,
  to: string,
  groupBy: ReportDimension,
): Promise<{ total: number; rows: ReportRow[] }> {
  const data = await graphql<{ auditReport: { total: number; rows: ReportRow[] } }>(
    `
      query ViewerReport($from: DateTime!, $to: DateTime!, $groupBy: [AuditReportDimension!]!) {
        auditReport(from: $from, to: $to, groupBy: $groupBy) {
          total
          rows {
            count
            keys {
              dimension
              value
            }
          }
        }
      }
    `,
    { from, to, groupBy: [groupBy] },
  );
  return data.auditReport;
}

/** The app's login mutation (viewer.login), built from names the config checked. */
export async function login(
  names: { mutation: string; tokenField: string; usernameArg: string; passwordArg: string },
  username: string,
  password: string,
): Promise<string> {
  const data = await graphql<Record<string, Record<string, unknown> | null>>(
    `mutation ViewerLogin($u: String!, $p: String!) {
      ${names.mutation}(${names.usernameArg}: $u, ${names.passwordArg}: $p) { ${names.tokenField} } }`,
    { u: username, p: password },
  );
  const token = data[names.mutation]?.[names.tokenField];
  if (typeof token !== 'string' || !token)
    throw new ApiError('BAD_RESPONSE', 'The login answered without a token.');
  return token;
}
