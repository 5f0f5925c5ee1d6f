/** CLS key under which `auditRequestPlugin` leaves the GraphQL operation for the request's entry. */
export const GRAPHQL_OPERATION_KEY = 'audit:graphql-operation';

/** What the GraphQL plugin learnt about the request's operation. */
export interface GraphqlOperation {
  operationName: string | null;
  operationType: string | null;
  errorCodes: string[];
  /** The HTTP status each error stands for, in the same order. */
  errorStatuses: number[];
}
