import type {
  ActorType,
  DatabaseFacts,
  EventOrigin,
  JsonObject,
  SealedAuditEvent,
} from '../events/audit-event';
import { HTTP_REQUEST_ENTITY } from '../events/library-entities';

/** The Elastic Common Schema version the documents follow. */
export const ECS_VERSION = '8.11.0';

/** `event.dataset` of every document: lets a SIEM route the stream without a custom parser. */
export const ECS_DATASET = 'audit_ledger.events';

/**
 * A sealed event as an Elastic Common Schema document (docs/export.md "ECS mapping" maps every
 * field). Standard ECS fields carry who/what/when/where; the event's own members, which ECS has no
 * field for, live under the custom `audit_ledger` namespace, as ECS asks of custom fields. The
 * mapping is lossless: `fromEcsDocument` gives back the exact sealed event, so an exported file
 * verifies offline without the database.
 */
export interface EcsDocument {
  '@timestamp': string;
  message: string;
  ecs: { version: string };
  event: {
    id: string;
    kind: 'event';
    action: string;
    category: string[];
    type: string[];
    outcome: 'success' | 'failure';
    created: string;
    dataset: string;
    module: 'audit_ledger';
    sequence: number;
    hash: string;
  };
  user: { id: string; name: string | null };
  source: { ip: string | null };
  user_agent: { original: string | null };
  http: { request: { id: string | null } };
  organization: { id: string | null };
  audit_ledger: {
    actor_type: ActorType;
    entity: { type: string; id: string };
    module: string | null;
    transaction_code: string | null;
    session_id: string | null;
    before: JsonObject | null;
    after: JsonObject | null;
    changes: SealedAuditEvent['changes'];
    patch: SealedAuditEvent['patch'];
    metadata: JsonObject;
    /**
     * The `audit/v1.1` members: null on older events, absent from documents exported before
     * them (read as null, which is what those events hold).
     */
    operation_id: string | null;
    origin: EventOrigin | null;
    database: EcsDatabaseFacts | null;
    chain_seq: number;
    prev_hash: string;
    hash_alg: string;
    batch_tree_size: number | null;
    key_id: string | null;
    key_set_id: string | null;
  };
}

/** `DatabaseFacts` under ECS's snake_case field names. */
export interface EcsDatabaseFacts {
  transaction_id: string;
  role: string;
  time: string;
}

const TYPES: Record<string, string> = { CREATE: 'creation', UPDATE: 'change', DELETE: 'deletion' };

/** ECS categorisation: identity records are `iam`, HTTP requests `web`, every other record `database`. */
function categoryOf(event: SealedAuditEvent): string {
  if (event.entityType === HTTP_REQUEST_ENTITY) return 'web';
  return /user|role|permission|account|session|key/i.test(event.entityType) ? 'iam' : 'database';
}

/** A sealed event as an ECS document (see `EcsDocument`). */
export function toEcsDocument(event: SealedAuditEvent): EcsDocument {
  const failed = event.action.endsWith('_FAILED');
  const verb = failed ? event.action.slice(0, -'_FAILED'.length) : event.action;
  return {
    '@timestamp': event.occurredAt,
    message: `${event.actor.type}:${event.actor.display ?? event.actor.id} ${event.action} ${event.entityType} ${event.entityId}`,
    ecs: { version: ECS_VERSION },
    event: {
      id: event.id,
      kind: 'event',
      action: event.action,
      category: [categoryOf(event)],
      type: [TYPES[verb] ?? 'info'],
      outcome: failed ? 'failure' : 'success',
      created: event.recordedAt,
      dataset: ECS_DATASET,
      module: 'audit_ledger',
      sequence: event.globalSeq,
      hash: event.hash,
    },
    user: { id: event.actor.id, name: event.actor.display },
    source: { ip: event.source.ip },
    user_agent: { original: event.source.userAgent },
    http: { request: { id: event.source.requestId } },
    organization: { id: event.tenantId },
    audit_ledger: {
      actor_type: event.actor.type,
      entity: { type: event.entityType, id: event.entityId },
      module: event.module,
      transaction_code: event.transactionCode,
      session_id: event.source.sessionId,
      before: event.before,
      after: event.after,
      changes: event.changes,
      patch: event.patch,
      metadata: event.metadata,
      operation_id: event.operationId,
      origin: event.origin,
      database: event.database && {
        transaction_id: event.database.transactionId,
        role: event.database.role,
        time: event.database.time,
      },
      chain_seq: event.chainSeq,
      prev_hash: event.prevHash,
      hash_alg: event.hashAlg,
      batch_tree_size: event.batchTreeSize,
      key_id: event.keyId,
      key_set_id: event.keySetId,
    },
  };
}

/** The sealed event an ECS document was made from (the inverse of `toEcsDocument`). */
export function fromEcsDocument(doc: EcsDocument): SealedAuditEvent {
  const a = doc.audit_ledger;
  return {
    id: doc.event.id,
    occurredAt: doc['@timestamp'],
    recordedAt: doc.event.created,
    actor: { type: a.actor_type, id: doc.user.id, display: doc.user.name },
    action: doc.event.action,
    entityType: a.entity.type,
    entityId: a.entity.id,
    tenantId: doc.organization.id,
    module: a.module,
    transactionCode: a.transaction_code,
    before: a.before,
    after: a.after,
    changes: a.changes,
    patch: a.patch,
    source: {
      ip: doc.source.ip,
      userAgent: doc.user_agent.original,
      requestId: doc.http.request.id,
      sessionId: a.session_id,
    },
    metadata: a.metadata,
    operationId: a.operation_id ?? null,
    origin: a.origin ?? null,
    database: databaseFacts(a.database),
    chainSeq: a.chain_seq,
    globalSeq: doc.event.sequence,
    hashAlg: a.hash_alg,
    prevHash: a.prev_hash,
    hash: doc.event.hash,
    batchTreeSize: a.batch_tree_size,
    keyId: a.key_id,
    keySetId: a.key_set_id,
    integrity:
      a.key_id && a.key_set_id ? `${a.key_set_id}::${a.key_id}::${a.hash_alg}::${doc.event.hash}` : null,
  };
}

function databaseFacts(facts: EcsDatabaseFacts | null | undefined): DatabaseFacts | null {
  return facts ? { transactionId: facts.transaction_id, role: facts.role, time: facts.time } : null;
}
