import { userInfo } from 'node:os';

/** Where the CLI connects, from the environment: the one place the CLI reads it. */
export interface CliEnvironment {
  /** The sealed store: `AUDIT_DATABASE_URL`, else `DATABASE_URL`, else the example app's default. */
  databaseUrl: string;
  /** Redis for the sealing queue: `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** BullMQ key prefix: `AUDIT_QUEUE_PREFIX`, else `audit-ledger` (as the example app). */
  queuePrefix: string;
  /** Who runs the command, recorded as the actor of the events it causes: `AUDIT_OPERATOR`, else the OS user. */
  operator: string;
  /** The whole environment, for the library's `AUDIT_*` options (`auditOptionsFromEnv`, read when the app is built). */
  variables: Readonly<Record<string, string | undefined>>;
}

/** The example app's defaults, so that the CLI finds a development setup with no configuration. */
export const CLI_DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/audit_ledger';
export const CLI_DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const CLI_DEFAULT_QUEUE_PREFIX = 'audit-ledger';

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // NOTE: userInfo() throws for a uid without a passwd entry (some containers).
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

export function cliEnvironment(env: NodeJS.ProcessEnv = process.env): CliEnvironment {
  return {
    databaseUrl: env.AUDIT_DATABASE_URL || env.DATABASE_URL || CLI_DEFAULT_DATABASE_URL,
    redisUrl: env.REDIS_URL || CLI_DEFAULT_REDIS_URL,
    queuePrefix: env.AUDIT_QUEUE_PREFIX || CLI_DEFAULT_QUEUE_PREFIX,
    operator: env.AUDIT_OPERATOR || osUser(),
    variables: env,
  };
}
