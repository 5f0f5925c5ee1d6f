/** The example app's configuration, from the environment. Every default works on a developer machine. */
export interface AppConfig {
  /** PostgreSQL connection URL. Default: postgres://postgres@127.0.0.1:5432/audit_ledger (created if missing). */
  databaseUrl: string;
  /** Redis URL for BullMQ. Default: redis://127.0.0.1:6379. */
  redisUrl: string;
  /** HTTP port. Default: 3000. */
  port: number;
  /** HS256 secret for bearer tokens. Default: a fixed development secret (set it in production). */
  jwtSecret: string;
  /** Password of the seeded demo users. Default: `demo-password` (demo only). */
  demoPassword: string;
  /** BullMQ key prefix (isolates deployments sharing one Redis). Default: `audit-ledger`. */
  queuePrefix: string;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/audit_ledger';

export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a TCP port, got "${env.PORT}"`);
  return {
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    port,
    jwtSecret: env.JWT_SECRET || 'audit-ledger-development-secret-change-me',
    demoPassword: env.DEMO_PASSWORD || 'demo-password',
    queuePrefix: env.AUDIT_QUEUE_PREFIX || 'audit-ledger',
  };
}
