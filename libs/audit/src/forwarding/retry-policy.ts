import { SinkDeliveryFailedError } from '../errors/sink-delivery-failed.error';

/** Bounds of the backoff between attempts to send a batch a sink did not take. */
export interface RetryPolicy {
  /** Delay after the first failure; doubles with each failure in a row. */
  minDelayMs: number;
  /** Ceiling of the backoff, and the pace of retries after a permanent failure. */
  maxDelayMs: number;
}

/** A receiver's `Retry-After` is honoured up to this long, so a bogus one cannot stall a sink for days. */
export const RETRY_AFTER_CAP_MS = 15 * 60 * 1000;

/**
 * How long to wait before sending the batch again, after `failures` failures in a row (≥ 1).
 * Retryable: exponential backoff with equal jitter (between half and all of
 * `min(maxDelayMs, minDelayMs · 2^(failures-1))`), and never sooner than the receiver's
 * Retry-After. Permanent: `maxDelayMs`, so the sink neither spins nor is given up on (at least
 * once means never skipping a batch). `random` returns a number in [0, 1).
 */
export function retryDelay(
  error: unknown,
  failures: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const failure = error instanceof SinkDeliveryFailedError ? error : undefined;
  if (failure && !failure.retryable) return policy.maxDelayMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, failures - 1));
  const backoff = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  const asked = Math.min(failure?.retryAfterMs ?? 0, RETRY_AFTER_CAP_MS);
  return Math.max(backoff, asked);
}

/**
 * An HTTP `Retry-After` value (delay-seconds or an HTTP-date) in milliseconds from `now`;
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names its weekday and month; a bare number like "-5" is not one.
  const at = /[A-Za-z]/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What an HTTP status means for a delivery: success, or a failure worth retrying soon, or not. */
export type HttpDelivery = { ok: true } | { ok: false; retryable: boolean };

/**
 * 2xx: delivered. 408, 429 and 5xx: retryable (the receiver is busy or down). Anything else
 * (other 4xx, or a redirect, which is not followed because a redirected POST may become a GET):
 * permanent until the configuration or the receiver changes.
 */
export function classifyHttpStatus(status: number): HttpDelivery {
  if (status >= 200 && status < 300) return { ok: true };
  return { ok: false, retryable: status === 408 || status === 429 || status >= 500 };
}
