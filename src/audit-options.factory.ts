import {
  auditOptionsFromEnv,
  NdjsonSink,
  WebhookSink,
  type AuditEventSink,
  type AuditModuleOptions,
} from 'audit-ledger';

/**
 * TRUST_PROXY: `true`/`false`, a hop count, or comma-separated addresses/subnets/names
 * (`loopback`, `uniquelocal`, `10.0.0.0/8`) of the proxies in front of the app. Default `false`:
 * the app is reached directly, so `X-Forwarded-For` and `X-Request-ID` are never taken from the
 * client. The audit context and the request log (LoggingModule) read it alike.
 */
export function trustProxyFromEnv(env: NodeJS.ProcessEnv = process.env): AuditModuleOptions['trustProxy'] {
  const value = env.TRUST_PROXY;
  if (value === undefined || value === '') return false;
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * Live forwarding of sealed events (worker processes), off unless one of these is set:
 * AUDIT_FORWARD_NDJSON: a file path to append ECS NDJSON lines to (reopened on SIGHUP, for
 * logrotate), or `-` for standard output (sink name `ndjson`); AUDIT_FORWARD_WEBHOOK_URL: POST
 * each batch there (sink name `webhook`), with `Authorization: Bearer $AUDIT_FORWARD_WEBHOOK_TOKEN`
 * when that is set.
 */
export function forwardingFromEnv(env: NodeJS.ProcessEnv = process.env): AuditModuleOptions['forwarding'] {
  const sinks: AuditEventSink[] = [];
  const file = env.AUDIT_FORWARD_NDJSON;
  if (file) {
    sinks.push(
      file === '-'
        ? new NdjsonSink({ name: 'ndjson', dest: 1 })
        : new NdjsonSink({ name: 'ndjson', dest: file, reopenOn: 'SIGHUP' }),
    );
  }
  const url = env.AUDIT_FORWARD_WEBHOOK_URL;
  if (url) {
    const token = env.AUDIT_FORWARD_WEBHOOK_TOKEN;
    sinks.push(
      new WebhookSink({ name: 'webhook', url, headers: token ? { authorization: `Bearer ${token}` } : {} }),
    );
  }
  return sinks.length > 0 ? { sinks } : undefined;
}
/** Probes and scrapes: logged like every request, but not worth a sealed entry each. */
const UNSEALED_PATHS = new Set(['/health', '/metrics']);

/** The example app's audit options; AUDIT_INPROCESS_WORKER=false is honoured by the library's default. */
export function auditOptions(overrides: AuditModuleOptions = {}): AuditModuleOptions {
  return {
    // The AUDIT_* variables (keys, witness, archive, worker tuning): the one place they are read.
    ...auditOptionsFromEnv(process.env),
    trustProxy: trustProxyFromEnv(),
    recordFailures: true,
    // A user's email and username are personal data: encrypted under the user's key (subject: the
    // user id), unreadable everywhere once AuditSubjectErasure erases that user. Not the role.
    personalData: { User: { fields: ['email', 'username'] } },
    forwarding: forwardingFromEnv(),
    // Admins may revert changes (docs/revert.md), in their own tenant; auditors only read.
    api: { rolePermissions: { admin: ['audit:read', 'audit:revert'], auditor: ['audit:read'] } },
    // Every request is logged (JSON, see LoggingModule); GraphQL operations and REST calls are sealed.
    requestAudit: { enabled: true, seal: (_req, { path }) => !UNSEALED_PATHS.has(path) },
    // The audit viewer at /audit, with a username/password form that calls the app's own login.
    viewer: { path: '/audit', login: { mutation: 'login', tokenField: 'token' } },
    ...overrides,
  };
}
