import type { EcsDocument } from '../export/ecs-document';

/**
 * Where sealed events are forwarded to (a SIEM, a log shipper's file, a webhook): fed by the
 * worker as events are sealed, in `global_seq` order, at least once (docs/forwarding.md).
 * Built-ins: `NdjsonSink`, `WebhookSink`.
 */
export interface AuditEventSink {
  /**
   * The sink's cursor key in `audit.forward_cursors`: stable across restarts and deploys, and
   * unique among the configured sinks (1–200 characters, no white space). A new name starts a
   * new cursor (at `forwarding.startAt`).
   */
  readonly name: string;
  /**
   * Delivers one batch, in `global_seq` order; resolves only once the receiver holds it (written
   * and flushed, or acknowledged). Throws when it could not: the same batch is sent again later
   * (throw `SinkDeliveryFailedError` to say whether and when retrying can help). After a failure
   * the receiver may have part of the batch, so it may see those events twice. Never called
   * concurrently on one instance.
   */
  send(documents: EcsDocument[]): Promise<void>;
  /** Releases what the sink holds (files, sockets) when the worker stops; optional. */
  close?(): Promise<void>;
}
