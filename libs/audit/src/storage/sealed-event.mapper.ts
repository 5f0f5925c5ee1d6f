import type { EntityManager, QBFilterQuery, QueryOrderMap } from '@mikro-orm/postgresql';
import { toJsonValue } from '../capture/to-json-value';
import type {
  ActorType,
  AuditEvent,
  AuditSource,
  FieldChange,
  JsonObject,
  JsonPatchOperation,
  SealedAuditEvent,
} from '../events/audit-event';
import { AuditEventEntity } from './audit-event.entity';

/** A row of `audit.events` as the driver returns it (bigints and timestamps as text). */
export interface EventRow {
  id: string;
  entity_type: string;
  entity_id: string;
  chain_seq: string;
  global_seq: string;
  hash_alg: string;
  prev_hash: Buffer;
  hash: Buffer;
  tenant_id: string | null;
  action: string;
  actor_type: string;
  actor_id: string;
  actor_display: string | null;
  module: string | null;
  transaction_code: string | null;
  occurred_at: string | Date;
  recorded_at: string | Date;
  before: JsonObject | null;
  after: JsonObject | null;
  changes: FieldChange[];
  patch: JsonPatchOperation[];
  source: Partial<AuditSource>;
  metadata: JsonObject;
  batch_tree_size: string | null;
  key_set_id: string | null;
  key_id: string | null;
}

/**
 * Events matching a filter, as raw rows: reads that verify or page through thousands of events
 * skip entity hydration, which costs several times the query itself.
 */
export async function findEventRows(
  em: EntityManager,
  where: QBFilterQuery<AuditEventEntity>,
  options: { orderBy?: QueryOrderMap<AuditEventEntity>; limit?: number } = {},
): Promise<EventRow[]> {
  const qb = em.createQueryBuilder(AuditEventEntity).select('*').where(where);
  if (options.orderBy) qb.orderBy(options.orderBy);
  if (options.limit !== undefined) qb.limit(options.limit);
  return qb.execute<EventRow[]>('all', false);
}

// JSONB stores keys in its own order; readers get them sorted, and fixed-shape members in their documented order.
const sorted = (value: JsonObject | null) => toJsonValue(value) as JsonObject | null;

/** A stored row as the camelCase event shape readers return. */
export function toSealedEvent(row: EventRow): SealedAuditEvent {
  const hash = row.hash.toString('hex');
  return {
    id: row.id,
    occurredAt: new Date(row.occurred_at).toISOString(),
    recordedAt: new Date(row.recorded_at).toISOString(),
    actor: {
      type: row.actor_type as SealedAuditEvent['actor']['type'],
      id: row.actor_id,
      display: row.actor_display,
    },
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    tenantId: row.tenant_id,
    module: row.module,
    transactionCode: row.transaction_code,
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
    chainSeq: Number(row.chain_seq),
    globalSeq: Number(row.global_seq),
    hashAlg: row.hash_alg,
    prevHash: row.prev_hash.toString('hex'),
    hash,
    batchTreeSize: row.batch_tree_size === null ? null : Number(row.batch_tree_size),
    keyId: row.key_id,
    keySetId: row.key_set_id,
    integrity:
      row.key_id && row.key_set_id ? `${row.key_set_id}::${row.key_id}::${row.hash_alg}::${hash}` : null,
  };
}

/**
 * A stored row's recorded fields as the event hash reads them: its JSON as the driver parsed it,
 * not copied and not sorted (the canonical form sorts, and normalizeEvent fills absent members),
 * for verifiers that hash every event they read.
 */
export function recordedFields(row: EventRow): AuditEvent {
  return {
    id: row.id,
    // NOTE: text as MikroORM's connection returns it; normalizeEvent parses it to ISO-8601 once.
    occurredAt: typeof row.occurred_at === 'string' ? row.occurred_at : row.occurred_at.toISOString(),
    actor: { type: row.actor_type as ActorType, id: row.actor_id, display: row.actor_display },
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    tenantId: row.tenant_id,
    module: row.module,
    transactionCode: row.transaction_code,
    before: row.before,
    after: row.after,
    changes: row.changes,
    patch: row.patch,
    source: row.source as AuditSource,
    metadata: row.metadata,
  };
}
