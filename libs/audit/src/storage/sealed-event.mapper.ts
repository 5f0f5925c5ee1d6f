import type {
  ActorType,
  AuditEvent,
  AuditSource,
  DatabaseFacts,
  EventOrigin,
  FieldChange,
  JsonObject,
  JsonPatchOperation,
  SealedAuditEvent,
} from '../events/audit-event';
import { sortedJson } from '../crypto/canonical-json';
import { hexOf } from '../crypto/event-hash';

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
  operation_id: string | null;
  origin: EventOrigin | null;
  database_facts: DatabaseFacts | null;
}

/**
 * A row as the trail read returns it: its hashes as PostgreSQL's hex text (`encode(hash, 'hex')`),
 * which readers show as is, where bytea costs a Buffer per hash and a hex encoding back.
 */
export type HexEventRow = Omit<EventRow, 'prev_hash' | 'hash'> & { prev_hash: string; hash: string };

/** A hash as bytes: bytea as the driver returns it, or decoded from hex text. */
const bytesOf = (digest: Buffer | string) =>
  typeof digest === 'string' ? Buffer.from(digest, 'hex') : digest;

/**
 * Keyset pages of rows, each page asked for before the previous one is handed out, so PostgreSQL
 * reads the next page (on another core) while the caller works on this one. `read(after, limit)`
 * returns up to `limit` rows after the key `after`: `firstPageSize` (default `pageSize`) for the
 * first page, `pageSize` for the others; a shorter page is the last. A small first page starts
 * the overlap early for reads shorter than one page.
 */
export async function* pagesAhead<R>(
  read: (after: number, limit: number) => Promise<R[]>,
  keyOf: (row: R) => number,
  after: number,
  pageSize: number,
  firstPageSize = pageSize,
): AsyncGenerator<R[]> {
  let next: Promise<R[]> | null = read(after, firstPageSize);
  let limit = firstPageSize;
  while (next) {
    const rows: R[] = await next;
    if (rows.length === 0) return;
    next = rows.length < limit ? null : read(keyOf(rows[rows.length - 1]), pageSize);
    limit = pageSize;
    // NOTE: awaited on the next turn; if the caller stops or throws first, no unhandled rejection.
    next?.catch(() => undefined);
    yield rows;
  }
}

// NOTE: JSONB stores members in its own order; readers get them sorted (and fixed-shape members in
// their documented order). A value already sorted is kept, not copied.
const sorted = (value: JsonObject | null) => sortedJson(value) as JsonObject | null;

// PostgreSQL's text form of a UTC timestamp: '2026-11-22 10:00:00.123+00'.
const PG_UTC = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/**
 * A timestamp as ISO-8601 UTC with milliseconds, as `new Date(value).toISOString()` gives it
 * (sub-millisecond digits dropped), rewritten as text when it is PostgreSQL's UTC form: Date
 * parses that form 5x slower, and reads of long trails parse two per event. A time no Date holds
 * ('infinity', a date BC: only tampering stores one) is shown as stored, and its event fails its
 * hash: mapping a row never throws.
 */
export function isoTimestamp(value: string | Date): string {
  const utc = typeof value === 'string' ? PG_UTC.exec(value) : null;
  // NOTE: joined, not concatenated: `+` and template literals leave a tree of string pieces, and a
  // long trail keeps two per event (a 10,000-event trail kept 2,053 bytes an event, 1,718 joined).
  if (utc) return [utc[1], 'T', utc[2], '.', `${utc[3] ?? ''}000`.slice(0, 3), 'Z'].join('');
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

// NOTE: a jsonb column of another shape than the sealer writes (tampering) fails its event's hash;
// mapping it must not throw before the verifier says so.
const listOf = <T>(value: T[]): T[] => (Array.isArray(value) ? value : []);

/** A stored row as the camelCase event shape readers return. */
export function toSealedEvent(row: EventRow | HexEventRow): SealedAuditEvent {
  const hash = hexOf(row.hash);
  return {
    id: row.id,
    occurredAt: isoTimestamp(row.occurred_at),
    recordedAt: isoTimestamp(row.recorded_at),
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
    changes: listOf(row.changes).map((c) => ({ field: c?.field, before: c?.before, after: c?.after })),
    patch: listOf(row.patch).map((operation) => {
      const { op, path, ...rest } = operation ?? {};
      return { op, path, ...rest };
    }),
    source: {
      ip: row.source?.ip ?? null,
      userAgent: row.source?.userAgent ?? null,
      requestId: row.source?.requestId ?? null,
      sessionId: row.source?.sessionId ?? null,
    },
    metadata: sorted(row.metadata) ?? {},
    operationId: row.operation_id ?? null,
    origin: row.origin ?? null,
    database: databaseFacts(row.database_facts),
    chainSeq: Number(row.chain_seq),
    globalSeq: Number(row.global_seq),
    hashAlg: row.hash_alg,
    prevHash: hexOf(row.prev_hash),
    hash,
    batchTreeSize: row.batch_tree_size === null ? null : Number(row.batch_tree_size),
    keyId: row.key_id,
    keySetId: row.key_set_id,
    integrity:
      row.key_id && row.key_set_id ? [row.key_set_id, row.key_id, row.hash_alg, hash].join('::') : null,
  };
}

/**
 * What to hash of a row a reader also maps: its mapped event, whose members are sorted copies
 * (their canonical text then needs no sorting, about a fifth of a long trail's CPU), unless the
 * mapping changed something the hash covers: `changes` or `patch` not a list of objects (the
 * mapper shows a non-list empty, and an entry that is no object as one) is hashed as stored, so
 * such an edit fails its hash instead of hiding behind the mapping.
 */
export function hashedFieldsOf(row: EventRow | HexEventRow, event: SealedAuditEvent): AuditEvent {
  return isEntryList(row.changes) && isEntryList(row.patch) ? event : recordedFields(row);
}

const isEntryList = (value: unknown) =>
  Array.isArray(value) && value.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e));

/** A stored row's place in its chain, its hashes as bytes. */
export const storedLinkOf = (
  row: Pick<EventRow | HexEventRow, 'id' | 'chain_seq' | 'hash_alg' | 'prev_hash' | 'hash'>,
) => ({
  id: row.id,
  chainSeq: Number(row.chain_seq),
  hashAlg: row.hash_alg,
  prevHash: bytesOf(row.prev_hash),
  hash: bytesOf(row.hash),
});

/**
 * A stored row's recorded fields as the event hash reads them: its JSON as the driver parsed it,
 * not copied and not sorted (the canonical form sorts, and normalizeEvent fills absent members),
 * for verifiers that hash every event they read.
 */
export function recordedFields(
  row: Omit<EventRow, 'recorded_at' | 'key_set_id' | 'prev_hash' | 'hash'>,
): AuditEvent {
  return {
    id: row.id,
    occurredAt: isoTimestamp(row.occurred_at),
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
    operationId: row.operation_id ?? null,
    origin: row.origin ?? null,
    database: row.database_facts ?? null,
  };
}

/** The stored facts in their documented member order (readers and exports show them so). */
function databaseFacts(facts: DatabaseFacts | null | undefined): DatabaseFacts | null {
  return facts ? { transactionId: facts.transactionId, role: facts.role, time: facts.time } : null;
}
