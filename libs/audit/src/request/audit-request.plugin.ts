// The ESM declarations: @nestjs/apollo 14 is an ES module and types its plugins with those.
import type { ApolloServerPlugin } from '@apollo/server' with { 'resolution-mode': 'import' };
import { ClsServiceManager } from 'nestjs-cls';
import { GRAPHQL_OPERATION_KEY, type GraphqlOperation } from './graphql-operation';
import { errorStatus, GRAPHQL_ERROR_STATUS } from './request-outcome';

/** Options of `auditRequestPlugin`. */
export interface AuditRequestPluginOptions {
  /**
   * HTTP status recorded for an error's `extensions.code`, over the defaults: UNAUTHENTICATED 401,
   * FORBIDDEN 403; BAD_REQUEST, BAD_USER_INPUT, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
   * OPERATION_RESOLUTION_FAILURE, PERSISTED_QUERY_NOT_FOUND / _NOT_SUPPORTED and QUERY_TOO_COMPLEX
   * 400. Any other code: `extensions.status` when Nest left one (an HttpException, e.g. 404),
   * else 500.
   */
  statusByCode?: Record<string, number>;
}

/**
 * Apollo Server plugin for request-level audit (`requestAudit` option): add it to the app's
 * `GraphQLModule.forRoot({ plugins: [auditRequestPlugin()] })`. It tells the request's single
 * `http.request` entry the operation's name and type, and the status its errors stand for, since
 * GraphQL answers 200 when an operation fails. Several errors: the highest status. Only error
 * codes are kept, never messages (they may echo input). With a batched HTTP request (Apollo's
 * `allowBatchedHttpRequests`), the entry names the last operation and the highest status of all.
 */
export function auditRequestPlugin({
  statusByCode = {},
}: AuditRequestPluginOptions = {}): ApolloServerPlugin {
  const statuses = { ...GRAPHQL_ERROR_STATUS, ...statusByCode };
  return {
    requestDidStart: () =>
      Promise.resolve({
        willSendResponse: ({ operation, operationName, response }) => {
          const cls = ClsServiceManager.getClsService();
          // NOTE: outside the audit middleware's context (a non-HTTP executeOperation call): nothing to annotate.
          if (!cls.isActive()) return Promise.resolve();
          const body = response.body;
          const errors = (body.kind === 'single' ? body.singleResult : body.initialResult).errors ?? [];
          const before = cls.get<GraphqlOperation | undefined>(GRAPHQL_OPERATION_KEY);
          const current: GraphqlOperation = {
            operationName: operationName ?? null,
            operationType: operation?.operation ?? null,
            errorCodes: errors.map((e) => codeOf(e.extensions)),
            errorStatuses: errors.map((e) => errorStatus(e.extensions, statuses)),
          };
          cls.set(GRAPHQL_OPERATION_KEY, {
            ...current,
            errorCodes: [...(before?.errorCodes ?? []), ...current.errorCodes],
            errorStatuses: [...(before?.errorStatuses ?? []), ...current.errorStatuses],
          });
          return Promise.resolve();
        },
      }),
  };
}

/** An error without a code is an internal error (Apollo's own convention when it formats one). */
function codeOf(extensions: Record<string, unknown> | undefined): string {
  return typeof extensions?.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
}
