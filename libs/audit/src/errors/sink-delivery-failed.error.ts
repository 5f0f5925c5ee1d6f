import { AuditError } from './audit.error';

/**
 * A sink did not take a batch of forwarded events. The forwarder keeps the sink's cursor where it
 * was and sends the same batch again later: `retryable` failures (network errors, timeouts, 408,
 * 429, 5xx) with exponential backoff, at least `retryAfterMs` when the receiver said so; the others
 * (a request the receiver will refuse again as it is: 4xx, a redirect) slowly, every
 * `forwarding.retry.maxDelayMs`, until someone fixes the sink's configuration or the receiver.
 * Events are never skipped. A custom sink may throw any error: anything else counts as retryable.
 */
export class SinkDeliveryFailedError extends AuditError {
  readonly code = 'AUDIT_SINK_DELIVERY_FAILED';
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; cause?: unknown } = { retryable: true },
  ) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}
