import { SinkDeliveryFailedError } from '../errors/sink-delivery-failed.error';
import type { EcsDocument } from '../export/ecs-document';
import type { AuditEventSink } from './audit-event-sink';
import { classifyHttpStatus, parseRetryAfter } from './retry-policy';

/** Options of `WebhookSink`. */
export interface WebhookSinkOptions {
  /** The cursor key (see `AuditEventSink.name`). Required: a name derived from the URL would change with it. */
  name: string;
  /** Where each batch is POSTed. */
  url: string | URL;
  /** Extra request headers, e.g. `{ authorization: 'Bearer …' }`. Default: none. */
  headers?: Record<string, string>;
  /** How long one request may take before it is aborted (and retried). Default: 10000 ms. */
  timeoutMs?: number;
}

/** How much of a refusing receiver's answer is quoted in the error (and so in the logs). */
const QUOTED_BODY_CHARS = 200;

/**
 * POSTs each batch as one `application/x-ndjson` request (one ECS document per line, in
 * `global_seq` order) with the global `fetch`. A 2xx acknowledges the batch. Network errors,
 * timeouts, 408, 429 and 5xx are retryable (429/503 `Retry-After` honoured); any other status is
 * a permanent failure (see `SinkDeliveryFailedError`). Redirects are not followed.
 * The receiver should deduplicate on `event.id` (or `event.sequence`): delivery is at least once.
 */
export class WebhookSink implements AuditEventSink {
  readonly name: string;
  private readonly url: URL;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  /** The URL as logs may show it: no credentials, no query string (which may hold a token). */
  private readonly where: string;

  constructor(options: WebhookSinkOptions) {
    this.name = options.name;
    this.url = new URL(options.url);
    if (!['http:', 'https:'].includes(this.url.protocol))
      throw new TypeError(`WebhookSink ${options.name}: the URL must be http(s), got ${this.url.protocol}`);
    this.headers = { ...options.headers, 'content-type': 'application/x-ndjson' };
    this.timeoutMs = options.timeoutMs ?? 10000;
    this.where = `${this.url.origin}${this.url.pathname}`;
  }

  async send(documents: EcsDocument[]): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: this.headers,
        body: documents.map((doc) => `${JSON.stringify(doc)}\n`).join(''),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (error) {
      const reason = (error as Error).cause ?? error;
      throw new SinkDeliveryFailedError(`POST ${this.where} failed: ${(reason as Error).message ?? reason}`, {
        retryable: true,
        cause: error,
      });
    }
    // Read to the end either way, so the connection can be reused.
    const answer = await response.text().catch(() => '');
    const delivery = classifyHttpStatus(response.status);
    if (delivery.ok) return;
    const quoted = answer.trim().slice(0, QUOTED_BODY_CHARS);
    throw new SinkDeliveryFailedError(
      `POST ${this.where} answered ${response.status}${quoted ? `: ${quoted}` : ''}`,
      {
        retryable: delivery.retryable,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
      },
    );
  }
}
