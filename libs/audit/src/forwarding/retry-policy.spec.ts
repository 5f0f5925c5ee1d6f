import { SinkDeliveryFailedError } from '../errors/sink-delivery-failed.error';
import { classifyHttpStatus, parseRetryAfter, RETRY_AFTER_CAP_MS, retryDelay } from './retry-policy';

const policy = { minDelayMs: 1000, maxDelayMs: 60000 };
const retryable = (retryAfterMs?: number) =>
  new SinkDeliveryFailedError('busy', { retryable: true, retryAfterMs });

describe('retryDelay', () => {
  it('doubles with each failure in a row, up to maxDelayMs', () => {
    const top = (failures: number) => retryDelay(retryable(), failures, policy, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(top)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  it('jitters between half and all of the ceiling', () => {
    expect(retryDelay(retryable(), 3, policy, () => 0)).toBe(2000);
    expect(retryDelay(retryable(), 3, policy, () => 0.5)).toBe(3000);
    expect(retryDelay(retryable(), 3, policy, () => 0.999999)).toBe(4000);
  });

  it('waits at least what Retry-After asked, capped', () => {
    expect(retryDelay(retryable(5000), 1, policy, () => 0)).toBe(5000);
    expect(retryDelay(retryable(100), 3, policy, () => 0)).toBe(2000);
    expect(retryDelay(retryable(10 * RETRY_AFTER_CAP_MS), 1, policy, () => 0)).toBe(RETRY_AFTER_CAP_MS);
  });

  it('retries a permanent failure slowly, at maxDelayMs, whatever the count', () => {
    const permanent = new SinkDeliveryFailedError('401', { retryable: false });
    expect(retryDelay(permanent, 1, policy, () => 0)).toBe(60000);
    expect(retryDelay(permanent, 50, policy, () => 0)).toBe(60000);
  });

  it('treats any other error as retryable', () => {
    expect(retryDelay(new Error('ECONNRESET'), 2, policy, () => 0)).toBe(1000);
    expect(retryDelay('thrown string', 1, policy, () => 0)).toBe(500);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');

  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:00:30 GMT', now)).toBe(30000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores an absent or unreadable value', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('classifyHttpStatus', () => {
  it.each([200, 201, 202, 204])('%i is delivered', (status) => {
    expect(classifyHttpStatus(status)).toEqual({ ok: true });
  });
  it.each([408, 429, 500, 502, 503, 504])('%i is retried with backoff', (status) => {
    expect(classifyHttpStatus(status)).toEqual({ ok: false, retryable: true });
  });
  it.each([301, 307, 400, 401, 403, 404, 413, 422])('%i is a permanent failure', (status) => {
    expect(classifyHttpStatus(status)).toEqual({ ok: false, retryable: false });
  });
});
