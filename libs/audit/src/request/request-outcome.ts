import type { AuditedRequest } from './audited-request';
import type { GraphqlOperation } from './graphql-operation';

/** Authorisation (401, 403) and input-validation (400, 422) failures: recorded whatever the filter says. */
export const ALWAYS_RECORDED_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 422]);

/**
 * The HTTP status a GraphQL error stands for, by `extensions.code`: Apollo's and Nest's codes
 * (Nest turns HttpExceptions into UNAUTHENTICATED, FORBIDDEN, BAD_REQUEST, BAD_USER_INPUT) and
 * the library's own. Any other code is 500 unless the error carries a status (see `errorStatus`).
 */
export const GRAPHQL_ERROR_STATUS: Readonly<Record<string, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  BAD_USER_INPUT: 400,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  OPERATION_RESOLUTION_FAILURE: 400,
  PERSISTED_QUERY_NOT_FOUND: 400,
  PERSISTED_QUERY_NOT_SUPPORTED: 400,
  QUERY_TOO_COMPLEX: 400,
};

const isErrorStatus = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599;

/**
 * A formatted GraphQL error's status: its code's, else the status Nest leaves on an HttpException
 * it has no code for (`extensions.status`, e.g. 404), else 500.
 */
export function errorStatus(
  extensions: Record<string, unknown> | undefined,
  statusByCode: Readonly<Record<string, number>>,
): number {
  const code = extensions?.code;
  if (typeof code === 'string' && code in statusByCode) return statusByCode[code];
  return isErrorStatus(extensions?.status) ? extensions.status : 500;
}

/** Strips the query string: it may carry tokens and other secrets. */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** The request as it ended, with the GraphQL operation the plugin saw (if any). */
export function auditedRequest(
  http: { method: string; path: string; statusCode: number; durationMs: number; aborted: boolean },
  operation: GraphqlOperation | undefined,
): AuditedRequest {
  const graphqlStatus = Math.max(0, ...(operation?.errorStatuses ?? []));
  // NOTE: GraphQL answers 200 when an operation fails; its errors say what the status would be.
  const statusCode = http.statusCode < 400 && graphqlStatus >= 400 ? graphqlStatus : http.statusCode;
  return {
    method: http.method,
    path: http.path,
    statusCode,
    durationMs: http.durationMs,
    outcome: http.aborted ? 'aborted' : statusCode >= 400 ? 'failure' : 'success',
    ...(operation && {
      operationName: operation.operationName,
      operationType: operation.operationType,
      graphqlErrorCodes: operation.errorCodes,
    }),
  };
}

/** True when the request failed authorisation or input validation (any of its GraphQL errors included). */
export function isAlwaysRecorded(request: AuditedRequest, operation: GraphqlOperation | undefined): boolean {
  return [request.statusCode, ...(operation?.errorStatuses ?? [])].some((s) =>
    ALWAYS_RECORDED_STATUSES.has(s),
  );
}

/** warn for a failed (>= 400) or aborted request, else info. */
export function levelOf(request: AuditedRequest): 'warn' | 'info' {
  return request.statusCode >= 400 || request.outcome === 'aborted' ? 'warn' : 'info';
}
