import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type ValidationRule } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { getComplexity, simpleEstimator } from 'graphql-query-complexity';

/** Limits for `auditQueryLimits`. */
export interface AuditQueryLimitOptions {
  /** Deepest nesting of selections. Default: 10. */
  maxDepth?: number;
  /** Most fields one operation may select, aliases and variables counted. Default: 1000. */
  maxComplexity?: number;
}

/**
 * Query limits for the app's GraphQL root (the library never owns it): spread into
 * `GraphQLModule.forRoot({ ...auditQueryLimits(), … })`. Depth is refused at validation
 * (graphql-depth-limit); complexity once variables are known (graphql-query-complexity), so a
 * query of a thousand aliased trails is refused before it reads anything.
 */
export function auditQueryLimits({ maxDepth = 10, maxComplexity = 1000 }: AuditQueryLimitOptions = {}): {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
} {
  const complexity: ApolloServerPlugin = {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ request, document, schema }) => {
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: request.operationName,
              variables: request.variables ?? {},
              estimators: [simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch {
            // NOTE: invalid variables; execution refuses them with BAD_USER_INPUT right after.
            return Promise.resolve();
          }
          if (cost > maxComplexity) {
            throw new GraphQLError(
              `The query selects ${cost} fields; at most ${maxComplexity} are allowed.`,
              {
                extensions: { code: 'QUERY_TOO_COMPLEX', complexity: cost, maxComplexity },
              },
            );
          }
          return Promise.resolve();
        },
      }),
  };
  return { validationRules: [depthLimit(maxDepth)], plugins: [complexity] };
}
