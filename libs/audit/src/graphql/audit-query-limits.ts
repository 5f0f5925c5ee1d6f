// The ESM declarations: @nestjs/apollo 14 is an ES module and types its plugins with those.
import type { ApolloServerPlugin } from '@apollo/server' with { 'resolution-mode': 'import' };
import { GraphQLError, type ValidationRule } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { queryShapes } from './query-shape';

/** Limits for `auditQueryLimits`. */
export interface AuditQueryLimitOptions {
  /** Deepest nesting of selections. Default: 10. */
  maxDepth?: number;
  /**
   * Most work one operation may ask for, in units of one field of one row: a page costs `first`
   * (default 50) times its selection, `verifyAuditTrail` and `entityAt` 1,000, `auditTrail` 1,000
   * plus its page, `verifyAuditLog` 20,000, a report or privilege scan 1,000 plus 100 rows, any
   * other field 1 (`audit-query-costs.ts`). Default: 50,000, so one page of 500 events with every
   * field passes, while three such pages, a hundred pages of 500 ids, fifty chain verifications
   * or three log verifications are refused.
   */
  maxComplexity?: number;
}

const tooComplex = (message: string, extensions: Record<string, unknown>) =>
  new GraphQLError(message, {
    // NOTE: a status in `extensions.http` makes Apollo answer 400 instead of 500; it is not sent.
    extensions: { code: 'QUERY_TOO_COMPLEX', ...extensions, http: { status: 400 } },
  });

/**
 * Query limits for the app's GraphQL root (the library never owns it): spread into
 * `GraphQLModule.forRoot({ validationRules, plugins: [...plugins, …], … })`. Depth and the number
 * of selections fragments expand to are refused at validation (GRAPHQL_VALIDATION_FAILED, HTTP
 * 400), in one pass whatever the fragments (cycles and fragment bombs included); the cost, once
 * variables are known (QUERY_TOO_COMPLEX, HTTP 400), before any resolver runs: each audit query
 * declares its cost in its field's `complexity`, priced by what it reads, not by its field count.
 */
export function auditQueryLimits({ maxDepth = 10, maxComplexity = 50_000 }: AuditQueryLimitOptions = {}): {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
} {
  const shape: ValidationRule = (context) => ({
    Document(document) {
      for (const [name, { depth, selections }] of queryShapes(document, maxComplexity + 1)) {
        const operation = name ? `'${name}'` : 'The operation';
        if (depth > maxDepth)
          context.reportError(new GraphQLError(`${operation} exceeds the maximum depth of ${maxDepth}.`));
        if (selections > maxComplexity)
          context.reportError(
            new GraphQLError(
              `${operation} expands to more than ${maxComplexity} field selections, the most allowed.`,
            ),
          );
      }
    },
  });
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
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch {
            // NOTE: invalid variables; execution refuses them with BAD_USER_INPUT right after.
            return Promise.resolve();
          }
          if (!(cost <= maxComplexity)) {
            throw tooComplex(`The query costs ${cost}; at most ${maxComplexity} is allowed.`, {
              complexity: cost,
              maxComplexity,
            });
          }
          return Promise.resolve();
        },
      }),
  };
  return { validationRules: [shape], plugins: [complexity] };
}
