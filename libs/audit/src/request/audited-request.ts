/** How a request ended: answered below 400, answered 400 or above, or the client went away first. */
export type RequestOutcome = 'success' | 'failure' | 'aborted';

/**
 * One request as request-level audit records it: what `requestAudit.filter` and `seal` are asked
 * about, the fields of the `http.request` log line and the metadata of the sealed entry.
 */
export interface AuditedRequest {
  method: string;
  /** The path as received, without its query string (which may carry secrets). */
  path: string;
  /**
   * The response's status; for a GraphQL operation answered 200 with errors, the status its
   * errors stand for (see `auditRequestPlugin`). An aborted request keeps the status the response
   * had when the client went away (200 when none was set yet).
   */
  statusCode: number;
  /** From the middleware's start to the response's end (or the abort), in ms (µs precision). */
  durationMs: number;
  outcome: RequestOutcome;
  /** GraphQL only (with `auditRequestPlugin()`): the resolved operation's name, null when anonymous. */
  operationName?: string | null;
  /** GraphQL only: `query`, `mutation` or `subscription`; null when the document did not resolve. */
  operationType?: string | null;
  /** GraphQL only: `extensions.code` of each error, in order (never messages, which may echo input). */
  graphqlErrorCodes?: string[];
}
