import type { PersonalDataPolicy } from './capture/personal-fields';
import type { AuditActor } from './events/audit-event';
import type { ArchiveSink } from './archive/archive-sink';
import type { AuditEventSink } from './forwarding/audit-event-sink';
import type { AuditKeyProvider } from './keys/audit-key-provider';
import type { DeadLetter } from './outbox/dead-letter';
import type { AuditedRequest } from './request/audited-request';
import type { AuditWitness } from './witness/audit-witness';
import type { AuditViewerOptions, ResolvedViewerOptions } from './viewer/audit-viewer-options.interface';

/** The incoming HTTP request as the context resolvers see it (an Express request). */
export type AuditRequest = {
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string };
  user?: unknown;
  [key: string]: unknown;
};

/** Options of `AuditModule.forRoot` / `forRootAsync`. Every field is optional; defaults are documented. */
export interface AuditModuleOptions {
  /**
   * Field names matching this pattern are masked wherever they appear (top level or nested).
   * Default: `/password|secret|token|api[-_]?key|ssn|credit[-_]?card/i`.
   */
  maskedFieldPattern?: RegExp;
  /** Extra field names to mask (case-insensitive), on top of the pattern and `@AuditMasked()`. Default: none. */
  maskedFields?: string[];
  /**
   * Derives the actor from the authenticated request. Default: reads `req.user`
   * (`sub` or `id` → id, `username`/`name`/`email` → display, `type` → actor type, else USER).
   */
  actorResolver?: (req: AuditRequest) => AuditActor | null | undefined;
  /**
   * Tenant of the principal: a tenant id, or `null` for a global principal (it reads every
   * tenant's events). `undefined` means unknown, and fails closed: audit reads are refused
   * (recorded as PERMISSION_DENIED with the reason), so a principal that lost its tenant never
   * reads as global. Events it records carry no tenant. Default: `req.user.tenantId`, where a
   * principal without that member (or with a non-scalar value) resolves to `undefined`; set
   * `tenantId: null` explicitly on global principals. Used when the entity has no tenant field.
   */
  tenantResolver?: (req: AuditRequest) => string | null | undefined;
  /** Session id of the request. Default: `req.user.sid` (a JWT's session claim), else null. */
  sessionIdResolver?: (req: AuditRequest) => string | null | undefined;
  /**
   * Which proxies to trust, as Express' `trust proxy`: `false` (default), `true`, a hop count, or
   * addresses/subnets. The client IP is read from `X-Forwarded-For` through trusted hops only
   * (default: the socket address), and an incoming request id (`requestIdHeader`) is kept only
   * when the socket's peer is trusted (default: never, a UUID v7 is generated). A logger that
   * assigns `req.id` should use `requestIdResolver(trustProxy)`, the same rule.
   */
  trustProxy?: boolean | number | string | string[];
  /**
   * Header carrying the correlation id in and out (taken in from trusted proxies only, see
   * `trustProxy`). Default: `x-request-id`.
   */
  requestIdHeader?: string;
  /** The actor recorded for calls outside any request. Default: `{ id: 'system', display: 'system' }`. */
  systemActor?: { id: string; display?: string };
  /** Entity field that holds the tenant. Default: `tenantId`. */
  tenantField?: string;
  /**
   * Seal events in this process. Default: true (false: run worker processes instead;
   * `auditOptionsFromEnv` maps `AUDIT_INPROCESS_WORKER=false`).
   */
  inProcessWorker?: boolean;
  /**
   * Sealing jobs processed at once per worker process. Default: 1: a job seals everything waiting
   * (in transactions of `sealBatchEvents`), not only its own events, so more jobs at once add
   * transactions that compete for the CPU with the one holding the log head (sealing with 2
   * processes of 1 job each ran at 1.2x to 1.4x the rate of 2 processes of 4 on 2 cores:
   * docs/performance.md). Run more worker processes to seal in parallel; raise it where
   * PostgreSQL has cores to spare. `auditOptionsFromEnv` maps `AUDIT_WORKER_CONCURRENCY`.
   */
  workerConcurrency?: number;
  /**
   * Events one sealing transaction takes at most, over at most a tenth as many records (and no
   * more than 200): bounds the transaction, its memory and how long it holds the log head. Larger
   * batches amortise the transaction's fixed round trips. Default: 2000.
   */
  sealBatchEvents?: number;
  /** When an `@Auditable` method throws, also record the failed attempt as `<ACTION>_FAILED`. Default: false. */
  recordFailures?: boolean;
  /**
   * The relay re-enqueues outbox rows still unsealed after `graceMs` (lost enqueue, Redis down, crash
   * between commit and enqueue). Runs in every worker process. Default: every 5000 ms, grace 10000 ms,
   * up to 500 rows a pass.
   */
  relay?: { intervalMs?: number; graceMs?: number; batchSize?: number };
  /** Attempts and first backoff of a sealing job before BullMQ marks it failed. Default: 10 attempts, 500 ms. */
  jobAttempts?: number;
  jobBackoffMs?: number;
  /**
   * How long a worker's lock on a sealing job lasts; a job whose worker died (SIGKILL, host lost)
   * runs again on another worker within about twice this. Default: 30000 ms.
   */
  jobLockMs?: number;
  /**
   * The log's name: the first line of every checkpoint and the name of its signing keys (no white
   * space, no `+`). Default: `audit-ledger/log`.
   */
  logOrigin?: string;
  /** Key set named in each event's integrity string. Default: `default`. */
  keySetId?: string;
  /**
   * Where the Ed25519 signing keys come from (DirectoryKeyProvider, EnvKeyProvider, or your KMS).
   * Default, for development only: the directory `.audit/keys` under the working directory, where
   * the first key is created on first start (announced at startup; git-ignore `.audit/`).
   */
  keyProvider?: AuditKeyProvider;
  /**
   * The external witness that holds the latest checkpoint and the published keys, outside the
   * database's trust domain. Default, for development only: the directory `.audit/witness` under
   * the working directory (announced at startup).
   */
  witness?: AuditWitness;
  /**
   * Checkpoint cadence (worker processes): a checkpoint once `everyEvents` events are unsealed by
   * any checkpoint, else every `intervalMs` if the log grew, else a heartbeat every `heartbeatMs`.
   * Default: 10000 events, 10000 ms, 60000 ms. NOTE: each checkpoint rewrites the heads-map paths of
   * every record sealed since the last one; under a backlog, fewer and larger checkpoints cost far
   * less per event, and in steady traffic `intervalMs` bounds the unwitnessed window anyway.
   */
  checkpoint?: { everyEvents?: number; intervalMs?: number; heartbeatMs?: number };
  /** Rotate the signing key when the active key is this old; 0 disables. Default: 30 days. */
  keyRotationIntervalMs?: number;
  /** How far in the future a checkpoint's timestamp may be before it is rejected. Default: 300000 ms. */
  maxClockSkewMs?: number;
  /**
   * Worker threads that hash events for full log verification (`verifyAuditLog`, the CLI's
   * `verify`), started on first use, never keeping the process alive; 0 hashes in the calling
   * thread. Default: one less than the machine's cores, at most 4.
   */
  verificationThreads?: number;
  /**
   * How far an event the application wrote to the outbox itself (origin ASSERTED) may date its
   * `occurredAt` from the database's clock when the row was written (`clock_timestamp()`, stamped
   * by PostgreSQL): further, and the sealer refuses it (poison: retried, then a dead letter and
   * its alert), so the application cannot back-date or post-date what it asserts. Captured row
   * changes take the database's time and are never checked. Default: 60000 ms.
   */
  maxEventClockSkewMs?: number;
  /**
   * The longest string (in UTF-8 bytes) an event may seal: longer values in snapshots, changes,
   * patches and metadata keep their start, followed by `…[truncated <bytes> bytes, sha256:<hex>]`
   * (the original's length and hash). Identifiers, the request's source and object keys are
   * bounded to 512 bytes; NUL and lone surrogates become U+FFFD (docs/capture.md, "Bounded
   * input"). At least 512. Default: 8192.
   */
  maxSealedStringBytes?: number;
  /**
   * Where `audit-ledger archive` / `retention apply` write archive segments. Default: the
   * directory `.audit/archive`.
   */
  archiveSink?: ArchiveSink;
  /**
   * Personal data, per entity type (the MikroORM class name, as in events' `entityType`). The
   * values of `fields` (top-level snapshot fields; a nested value is covered by its top-level
   * field) are encrypted with a key of their subject before the event reaches the outbox, wherever
   * they appear (before, after, changes, patch), so that `AuditSubjectErasure.erase(subjectId)`
   * makes them unreadable everywhere while every chain still verifies. `subjectField`: the snapshot
   * field holding the subject id (default: the entity id); it cannot be a personal field itself.
   * Default: none (nothing is encrypted).
   */
  personalData?: Record<string, { fields: string[]; subjectField?: string }>;
  /**
   * The key-encryption key that wraps every subject key (base64 of 32 bytes); it never goes to
   * the database. Default: read from `subjectKeyEncryptionKeyFile`.
   */
  subjectKeyEncryptionKey?: string;
  /**
   * The file holding the key-encryption key when `subjectKeyEncryptionKey` is not given, created
   * (mode 0600) when the first subject key is made. Default: `.audit/keys/subject-kek`.
   */
  subjectKeyEncryptionKeyFile?: string;
  /** The audit GraphQL API (`AuditModule.forRoot({ graphql: false })` leaves it out). */
  api?: AuditApiOptions;
  /**
   * Poison events (the worker cannot seal them): after `maxAttempts` failed attempts the event is
   * parked as a dead letter (an error log `AUDIT_DEAD_LETTER`, the `audit_dead_letter_events`
   * gauge, a down health check, and `onDeadLetter`, e.g. to page someone). Its entity's later
   * events wait behind it (policy BLOCK). Default: 5 attempts, no hook.
   */
  deadLetter?: { maxAttempts?: number; onDeadLetter?: (letter: DeadLetter) => void };
  /**
   * AuditHealthIndicator thresholds: down when an event waited longer than `maxOutboxAgeMs` to be
   * sealed, or the last checkpoint is older than `maxCheckpointAgeMs`. Default: 60000 ms and three
   * heartbeats (`3 × checkpoint.heartbeatMs`). Each probe (PostgreSQL, Redis) that does not answer
   * within `probeTimeoutMs` counts as down, so `/health` and `/metrics` answer during an outage
   * instead of waiting for a reconnect. Default: 1000 ms (give the orchestrator's probe 2 s).
   */
  health?: { maxOutboxAgeMs?: number; maxCheckpointAgeMs?: number; probeTimeoutMs?: number };
  /**
   * Live forwarding of sealed events to external sinks (a SIEM), as ECS documents, in worker
   * processes. Default: off (no sinks).
   */
  forwarding?: AuditForwardingOptions;
  /** Request-level audit: one `http.request` entry per HTTP request. Default: off. */
  requestAudit?: RequestAuditOptions;
  /** The audit viewer, a web page served at `viewer.path` (docs/viewer.md). Default: off. */
  viewer?: AuditViewerOptions | false;
}

/**
 * Request-level audit (OWASP logging cheat sheet): every HTTP request, GraphQL operations included
 * (with `auditRequestPlugin()` in the app's GraphQL plugins), recorded once its response is sent
 * as an `http.request` entry: method, path without its query string, status code, duration,
 * outcome, request id, actor, IP and user agent; never a body, a cookie or another header.
 * Responses with status 400, 401, 403 and 422 (authorisation and input-validation failures) are
 * recorded (and, with `seal`, sealed) even when `filter` or the `seal` predicate leaves them out.
 */
export interface RequestAuditOptions {
  /** Default: false (the middleware is not mounted; nothing is recorded). */
  enabled?: boolean;
  /**
   * Which requests to record, asked once the response is sent. Default: every request.
   * Recorded entries are always logged (Nest `Logger`, context `AuditRequest`: warn when the status
   * is 400 or more or the client aborted, else log/info).
   */
  filter?: (req: AuditRequest, request: AuditedRequest) => boolean;
  /**
   * Also seal recorded entries in the ledger (entity type `http.request`, the request id as entity
   * id, action `HTTP_REQUEST`): `true` for every recorded entry, or a predicate choosing which.
   * Default: false (logged only).
   */
  seal?: boolean | ((req: AuditRequest, request: AuditedRequest) => boolean);
}

/** Live forwarding of sealed events (docs/forwarding.md). */
export interface AuditForwardingOptions {
  /** Where to forward; each has its own cursor, keyed by its `name` (unique). */
  sinks: AuditEventSink[];
  /** Events per `send` at most. Default: 500. */
  batchSize?: number;
  /**
   * How often each sink polls for events sealed by other processes (this process's own sealing
   * wakes it at once). Default: 1000 ms.
   */
  intervalMs?: number;
  /**
   * Where a sink with no cursor yet starts: `'beginning'` (every event in the store) or `'now'`
   * (events sealed from then on). Default: `'beginning'`.
   */
  startAt?: 'beginning' | 'now';
  /**
   * Backoff after a failed send: from `minDelayMs`, doubling, jittered, up to `maxDelayMs`; a
   * permanent failure (e.g. HTTP 401) is retried every `maxDelayMs`. Default: 1000 ms and 60000 ms.
   */
  retry?: { minDelayMs?: number; maxDelayMs?: number };
}

/** Forwarding options with every default applied. */
export type ResolvedForwardingOptions = Required<Omit<AuditForwardingOptions, 'retry'>> & {
  retry: Required<NonNullable<AuditForwardingOptions['retry']>>;
};

/** Authorisation and limits of the audit GraphQL API. */
export interface AuditApiOptions {
  /** The permission every audit query needs. Default: `audit:read`. */
  readPermission?: string;
  /**
   * The permission a revert or restore (and its preview) needs besides `readPermission`
   * (docs/revert.md). Default: `audit:revert`, which no role holds unless `rolePermissions` or
   * `permissionsResolver` grants it.
   */
  revertPermission?: string;
  /**
   * The principal's permissions. Default: `req.user.permissions` when it is an array, else the
   * permissions `rolePermissions` maps `req.user.role` (or each of `req.user.roles`) to.
   */
  permissionsResolver?: (req: AuditRequest) => string[];
  /** Default: `{ admin: ['audit:read'], auditor: ['audit:read'] }`. */
  rolePermissions?: Record<string, string[]>;
  /** Page size when `first` is not given, and the largest accepted. Default: 50 and 500. */
  defaultPageSize?: number;
  maxPageSize?: number;
  /** Fields whose changes `privilegeChanges` reports. Default: `role`, `permissions`, `isAdmin`. */
  privilegedFields?: string[];
  /** A privileged change undone within this long is flagged as reverted. Default: 24 h. */
  privilegeRevertWindowMs?: number;
}

/** The options after validation, with every default applied. */
export type ResolvedAuditOptions = Required<
  Omit<
    AuditModuleOptions,
    | 'relay'
    | 'systemActor'
    | 'checkpoint'
    | 'api'
    | 'health'
    | 'deadLetter'
    | 'forwarding'
    | 'personalData'
    | 'subjectKeyEncryptionKey'
    | 'subjectKeyEncryptionKeyFile'
    | 'requestAudit'
    | 'viewer'
  >
> & {
  forwarding: ResolvedForwardingOptions;
  personalData: Map<string, PersonalDataPolicy>;
  /** The key-encryption key itself, else the file that holds it. */
  subjectKek: { key: Buffer } | { file: string };
  /** The stores left to their working-directory defaults (announced at startup). */
  workingDirectoryDefaults: string[];
  requestAudit: {
    enabled: boolean;
    filter: NonNullable<RequestAuditOptions['filter']>;
    /** null: not sealed at all (so the always-recorded failures are not sealed either). */
    seal: Exclude<RequestAuditOptions['seal'], boolean | undefined> | null;
  };
  deadLetter: Required<NonNullable<AuditModuleOptions['deadLetter']>>;
  health: Required<NonNullable<AuditModuleOptions['health']>>;
  api: Required<AuditApiOptions>;
  relay: Required<NonNullable<AuditModuleOptions['relay']>>;
  checkpoint: Required<NonNullable<AuditModuleOptions['checkpoint']>>;
  systemActor: { id: string; display: string };
  /**
   * The batch-statement format the sealer writes (docs/integrity.md §6): always 2 (one statement
   * per sealing transaction). 1 is there so a test can seal a store as release 0.2 did and show
   * that it still verifies: not an `AuditModuleOptions` field, and not documented as one.
   */
  statementFormat: 1 | 2;
  /** null: no viewer. */
  viewer: ResolvedViewerOptions | null;
};
