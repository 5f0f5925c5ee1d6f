import type { AuditModuleOptions } from 'audit-ledger';

/**
 * TRUST_PROXY: `true`/`false`, a hop count, or comma-separated addresses/subnets/names
 * (`loopback`, `uniquelocal`, `10.0.0.0/8`). Default `loopback`: a proxy on the same host.
 */
function trustProxyFrom(value: string | undefined): AuditModuleOptions['trustProxy'] {
  if (value === undefined || value === '') return 'loopback';
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** The example app's audit options; AUDIT_INPROCESS_WORKER=false is honoured by the library's default. */
export function auditOptions(overrides: AuditModuleOptions = {}): AuditModuleOptions {
  return {
    trustProxy: trustProxyFrom(process.env.TRUST_PROXY),
    recordFailures: true,
    // A user's email and username are personal data: encrypted under the user's key (subject: the
    // user id), unreadable everywhere once AuditSubjectErasure erases that user. Not the role.
    personalData: { User: { fields: ['email', 'username'] } },
    ...overrides,
  };
}
