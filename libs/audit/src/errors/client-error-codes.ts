/**
 * `extensions.code`s whose message is a deliberate answer to the caller, safe to show: GraphQL's
 * own request errors, Nest's HTTP exceptions below 500 as the Apollo driver names them, the query
 * limits, and the library's typed errors that describe the caller's request or the data it asked
 * for. Any other error is a fault of the server, answered masked (`auditErrorFormatter`).
 */
export const CLIENT_ERROR_CODES: readonly string[] = [
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'QUERY_TOO_COMPLEX',
  'AUDIT_CHAIN_TAMPERED',
  'AUDIT_ARCHIVED',
  'AUDIT_LOG_INTEGRITY',
  'AUDIT_INVALID_EXPORT_REQUEST',
  'AUDIT_INVALID_ERASURE',
  'AUDIT_INVALID_RETENTION_INPUT',
  'AUDIT_REVERT_CONFLICT',
  'AUDIT_REVERT_STALE',
  'AUDIT_NOT_REVERTIBLE',
];
