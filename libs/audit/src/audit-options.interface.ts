import type { AuditActor } from './events/audit-event';

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
  /** Tenant of the principal. Default: `req.user.tenantId`. Used when the entity has no tenant field. */
  tenantResolver?: (req: AuditRequest) => string | null | undefined;
  /** Session id of the request. Default: `req.user.sid` (a JWT's session claim), else null. */
  sessionIdResolver?: (req: AuditRequest) => string | null | undefined;
  /**
   * Which proxies to trust for the client IP (`X-Forwarded-For`), as Express' `trust proxy`:
   * `false` (default: the socket address), `true`, a hop count, or addresses/subnets.
   */
  trustProxy?: boolean | number | string | string[];
  /** Header carrying the correlation id in and out. Default: `x-request-id`. */
  requestIdHeader?: string;
  /** The actor recorded for calls outside any request. Default: `{ id: 'system', display: 'system' }`. */
  systemActor?: { id: string; display?: string };
  /** Entity field that holds the tenant. Default: `tenantId`. */
  tenantField?: string;
  /**
   * Seal events in this process. Default: true unless the environment sets `AUDIT_INPROCESS_WORKER=false`
   * (then run `npm run worker` processes instead).
   */
  inProcessWorker?: boolean;
  /** Sealing jobs processed at once per worker process. Default: 4. */
  workerConcurrency?: number;
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
}

/** The options after validation, with every default applied. */
export type ResolvedAuditOptions = Required<Omit<AuditModuleOptions, 'relay' | 'systemActor'>> & {
  relay: Required<NonNullable<AuditModuleOptions['relay']>>;
  systemActor: { id: string; display: string };
};
