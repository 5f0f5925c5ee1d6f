import type { AuditModuleOptions } from 'audit-ledger';

/** The example app's audit options; AUDIT_INPROCESS_WORKER=false is honoured by the library's default. */
export function auditOptions(overrides: AuditModuleOptions = {}): AuditModuleOptions {
  return {
    // Behind one reverse proxy in docker-compose; a direct client is its own address.
    trustProxy: process.env.TRUST_PROXY ?? 'loopback',
    recordFailures: true,
    ...overrides,
  };
}
