import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';

/** Login throttling (OWASP): failures counted before the password is checked, forgotten on success. */
export interface LoginThrottleConfig {
  /** Consecutive failed logins of one username from one IP before both are blocked. Default: 5. */
  perUserIpFailures: number;
  /** The window of those failures, and how long the block lasts, in seconds. Default: 900. */
  perUserIpWindowSeconds: number;
  /** Failed logins from one IP (any username) before the IP is blocked. Default: 100. */
  perIpFailures: number;
  /** The window of those failures, and how long the block lasts, in seconds. Default: 86400. */
  perIpWindowSeconds: number;
}

/** The example app's configuration, from the environment. Every default works on a developer machine. */
export interface AppConfig {
  /** PostgreSQL connection URL. Default: postgres://postgres@127.0.0.1:5432/audit_ledger (created if missing). */
  databaseUrl: string;
  /** Redis URL for BullMQ and the login throttle. Default: redis://127.0.0.1:6379. */
  redisUrl: string;
  /** HTTP port. Default: 3000. */
  port: number;
  /**
   * HS256 secret for bearer tokens (JWT_SECRET). Required with NODE_ENV=production (at least 32
   * bytes); elsewhere, when unset, a random secret of this process (tokens do not survive a restart).
   */
  jwtSecret: string;
  /** Password of the seeded demo users. Default: `demo-password` (demo only). */
  demoPassword: string;
  /** BullMQ key prefix (isolates deployments sharing one Redis). Default: `audit-ledger`. */
  queuePrefix: string;
  loginThrottle: LoginThrottleConfig;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/audit_ledger';

/** The shortest JWT_SECRET accepted in production: HS256's own key size. */
export const MIN_JWT_SECRET_BYTES = 32;

// NOTE: one per process, so every loadAppConfig() of the process signs and verifies alike.
let processSecret: string | undefined;

function jwtSecretFrom(env: NodeJS.ProcessEnv): string {
  const secret = env.JWT_SECRET;
  if (env.NODE_ENV === 'production') {
    // NOTE: the messages never echo the value: it is a secret, even when it is a poor one.
    if (!secret)
      throw new Error('JWT_SECRET must be set with NODE_ENV=production (e.g. `openssl rand -base64 48`)');
    if (Buffer.byteLength(secret) < MIN_JWT_SECRET_BYTES)
      throw new Error(`JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes with NODE_ENV=production`);
  }
  if (secret) return secret;
  if (processSecret === undefined) {
    processSecret = randomBytes(MIN_JWT_SECRET_BYTES).toString('base64');
    new Logger('AppConfig').warn(
      'JWT_SECRET is not set: using a random secret of this process; its tokens do not survive a restart',
    );
  }
  return processSecret;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got "${text}"`);
  return value;
}

export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a TCP port, got "${env.PORT}"`);
  return {
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    port,
    jwtSecret: jwtSecretFrom(env),
    demoPassword: env.DEMO_PASSWORD || 'demo-password',
    queuePrefix: env.AUDIT_QUEUE_PREFIX || 'audit-ledger',
    loginThrottle: {
      perUserIpFailures: positiveInt(env, 'LOGIN_MAX_FAILURES_PER_USER_IP', 5),
      perUserIpWindowSeconds: positiveInt(env, 'LOGIN_USER_IP_WINDOW_SECONDS', 15 * 60),
      perIpFailures: positiveInt(env, 'LOGIN_MAX_FAILURES_PER_IP', 100),
      perIpWindowSeconds: positiveInt(env, 'LOGIN_IP_WINDOW_SECONDS', 24 * 60 * 60),
    },
  };
}
