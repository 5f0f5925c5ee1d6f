/**
 * Who caused an event. Calls outside any request are attributed to a `SYSTEM` actor, never dropped;
 * a row change the database captured with no application context names the `DATABASE` role that
 * made it (psql, a migration, another service).
 */
export type ActorType = 'USER' | 'SYSTEM' | 'API_KEY' | 'DATABASE';

/**
 * How an event reached the ledger, decided by the database, never by the payload:
 * `APP`: a row change captured by the database inside an application transaction that named its
 * context (actor, request, operation); `DATABASE`: a row change captured by the database with no
 * application context; `ASSERTED`: an event the application wrote to the outbox itself (domain
 * events, the unit-of-work path of tables not captured at the database): its snapshots are the
 * application's word. Null on events sealed before `audit/v1.1`.
 */
export type EventOrigin = 'APP' | 'DATABASE' | 'ASSERTED';

/** Facts PostgreSQL stamped on the outbox row itself; the application cannot set them. */
export interface DatabaseFacts {
  /** `txid_current()` of the transaction that wrote the row (decimal text). */
  transactionId: string;
  /** `session_user`: the database role that was logged in. */
  role: string;
  /** `clock_timestamp()` when the row was written (UTC ISO-8601, milliseconds). */
  time: string;
}

export interface AuditActor {
  type: ActorType;
  /** Stable identifier of the principal (user id, key id, process name for SYSTEM). */
  id: string;
  /** Human-readable name at the time of the event (username, key label). */
  display: string | null;
}

/** Where the event came from. Every field is null outside an HTTP/GraphQL request. */
export interface AuditSource {
  ip: string | null;
  userAgent: string | null;
  /** Correlation id: the request's `X-Request-ID`, carried into jobs the request starts. */
  requestId: string | null;
  sessionId: string | null;
}

/** One changed field; `field` is a dotted path for nested objects. Masked fields carry the mask. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** One RFC 6902 JSON Patch operation (as produced by fast-json-patch's `compare`). */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** A plain, JSON-safe object: what snapshots, metadata and events are made of. */
export type JsonObject = { [key: string]: unknown };

/**
 * An audit event as recorded: who did what, to which record, when and from where.
 * This is the shape written to the outbox, sealed into `audit.events` and returned by readers.
 */
export interface AuditEvent {
  /** UUID v7: time-ordered, so ids sort by creation. */
  id: string;
  /** UTC, millisecond precision, ISO-8601. */
  occurredAt: string;
  actor: AuditActor;
  /** `CREATE` / `UPDATE` / `DELETE` or any custom upper-case name; a failed attempt ends in `_FAILED`. */
  action: string;
  entityType: string;
  entityId: string;
  tenantId: string | null;
  module: string | null;
  transactionCode: string | null;
  /** State before the change (null on CREATE and for domain events). */
  before: JsonObject | null;
  /** State after the change (null on DELETE and for domain events). */
  after: JsonObject | null;
  changes: FieldChange[];
  /** The same change as an RFC 6902 JSON Patch from `before` to `after`. */
  patch: JsonPatchOperation[];
  source: AuditSource;
  metadata: JsonObject;
  /**
   * The operation the event belongs to: every row an `@Auditable` call (or one application
   * transaction) changed shares it. Null for changes made outside the application and for events
   * sealed before `audit/v1.1`.
   */
  operationId?: string | null;
  /** How the event reached the ledger (see EventOrigin); set by the sealer. */
  origin?: EventOrigin | null;
  /** What the database stamped on the event's outbox row; set by the sealer. */
  database?: DatabaseFacts | null;
}

/** A sealed event: the recorded event plus its place in the entity's chain and in the global log. */
export interface SealedAuditEvent extends AuditEvent {
  /** 1, 2, 3 … per (entityType, entityId), gapless, in commit order. */
  chainSeq: number;
  /** 1, 2, 3 … over the whole store, gapless: the event's leaf index in the global log is globalSeq - 1. */
  globalSeq: number;
  operationId: string | null;
  origin: EventOrigin | null;
  database: DatabaseFacts | null;
  /** The event hash algorithm (`audit/v1.1`, or `audit/v1` for events sealed before it; see docs/integrity.md). */
  hashAlg: string;
  /** Hash of the previous event of the entity (hex; 64 zeros for the first). */
  prevHash: string;
  /** SHA-256 over the domain prefix and the canonical (RFC 8785) hashed fields (hex). */
  hash: string;
  /** When the worker sealed it (UTC ISO-8601). */
  recordedAt: string;
  /** The tree size at the end of the event's sealing batch: the signed batch statement's key. */
  batchTreeSize: number | null;
  /** The key that signed the event's batch (signed-note key hash, hex) and its key set. */
  keyId: string | null;
  keySetId: string | null;
  /** `keySetId::keyId::hashAlg::hash`; null for an unsigned event. */
  integrity: string | null;
}
