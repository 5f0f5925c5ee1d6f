import { AuditError } from '../errors/audit.error';

/** A probe that gave no answer in time: the dependency counts as down. */
export class ProbeTimeoutError extends AuditError {
  readonly code = 'AUDIT_PROBE_TIMEOUT';
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * `work`, or a ProbeTimeoutError after `ms`. Hand-written because the well-known packages for it
 * (p-timeout) are ESM-only, and the few lines below are all it takes. The work itself is not
 * cancelled (ioredis and the database driver keep their command queued until they reconnect); only the wait is.
 */
export function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeoutError(ms)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
