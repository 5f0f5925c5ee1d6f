import {
  auditedRequest,
  errorStatus,
  GRAPHQL_ERROR_STATUS,
  isAlwaysRecorded,
  levelOf,
  pathOf,
} from './request-outcome';

describe('request outcome', () => {
  const http = { method: 'POST', path: '/graphql', statusCode: 200, durationMs: 1.5, aborted: false };
  const operation = (codes: string[], statuses: number[]) => ({
    operationName: 'Op',
    operationType: 'query',
    errorCodes: codes,
    errorStatuses: statuses,
  });

  it('drops the query string and fragment from the path', () => {
    expect(pathOf('/users/1?token=s3cret&x=1')).toBe('/users/1');
    expect(pathOf('/a#frag')).toBe('/a');
    expect(pathOf('/plain')).toBe('/plain');
  });

  it("maps GraphQL error codes to statuses, keeping a Nest HttpException's own status, else 500", () => {
    expect(errorStatus({ code: 'UNAUTHENTICATED' }, GRAPHQL_ERROR_STATUS)).toBe(401);
    expect(errorStatus({ code: 'FORBIDDEN' }, GRAPHQL_ERROR_STATUS)).toBe(403);
    for (const code of ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST'])
      expect(errorStatus({ code }, GRAPHQL_ERROR_STATUS)).toBe(400);
    expect(errorStatus({ code: 'INTERNAL_SERVER_ERROR', status: 404 }, GRAPHQL_ERROR_STATUS)).toBe(404);
    expect(errorStatus({ code: 'AUDIT_CHAIN_TAMPERED' }, GRAPHQL_ERROR_STATUS)).toBe(500);
    expect(errorStatus({ code: 'TEAPOT' }, { TEAPOT: 418 })).toBe(418);
    expect(errorStatus(undefined, GRAPHQL_ERROR_STATUS)).toBe(500);
  });

  it('gives a GraphQL operation answered 200 the highest status of its errors', () => {
    expect(auditedRequest(http, operation(['FORBIDDEN', 'X'], [403, 500]))).toEqual({
      method: 'POST',
      path: '/graphql',
      statusCode: 500,
      durationMs: 1.5,
      outcome: 'failure',
      operationName: 'Op',
      operationType: 'query',
      graphqlErrorCodes: ['FORBIDDEN', 'X'],
    });
    expect(auditedRequest(http, operation([], []))).toMatchObject({ statusCode: 200, outcome: 'success' });
    // A status the transport already set (Apollo answers 400 to a parse failure) is kept.
    expect(auditedRequest({ ...http, statusCode: 400 }, operation(['X'], [500])).statusCode).toBe(400);
  });

  it('leaves GraphQL fields out of a plain HTTP request, and marks an aborted one', () => {
    const plain = auditedRequest({ ...http, path: '/users', statusCode: 201 }, undefined);
    expect(plain).toEqual({
      method: 'POST',
      path: '/users',
      statusCode: 201,
      durationMs: 1.5,
      outcome: 'success',
    });
    expect(auditedRequest({ ...http, aborted: true }, undefined).outcome).toBe('aborted');
  });

  it('always records authorisation and validation failures, also when only one GraphQL error is one', () => {
    for (const statusCode of [400, 401, 403, 422])
      expect(isAlwaysRecorded(auditedRequest({ ...http, statusCode }, undefined), undefined)).toBe(true);
    for (const statusCode of [200, 404, 500])
      expect(isAlwaysRecorded(auditedRequest({ ...http, statusCode }, undefined), undefined)).toBe(false);
    const mixed = operation(['FORBIDDEN', 'X'], [403, 500]);
    expect(isAlwaysRecorded(auditedRequest(http, mixed), mixed)).toBe(true);
  });

  it('logs failures and aborts as warn', () => {
    expect(levelOf(auditedRequest(http, undefined))).toBe('info');
    expect(levelOf(auditedRequest({ ...http, statusCode: 404 }, undefined))).toBe('warn');
    expect(levelOf(auditedRequest({ ...http, aborted: true }, undefined))).toBe('warn');
  });
});
