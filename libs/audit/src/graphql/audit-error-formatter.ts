import { unwrapResolverError } from '@apollo/server/errors';
import { HttpException, HttpStatus, type LoggerService } from '@nestjs/common';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { CLIENT_ERROR_CODES } from '../errors/client-error-codes';
import { INTERNAL_ERROR_MESSAGE, reportInternalError } from '../errors/internal-error-report';

/** graphql-js gives up coercing variables after 50 errors with this error, and no code. */
const TOO_MANY_VARIABLE_ERRORS =
  'Too many errors processing variables, error limit reached. Execution aborted.';

/** Options of `auditErrorFormatter`. */
export interface AuditErrorFormatterOptions {
  /** More `extensions.code`s the app answers deliberately (besides `CLIENT_ERROR_CODES`). Default: none. */
  clientCodes?: string[];
  /** Where masked errors are logged. Default: Nest's logger, context `AuditErrors`. */
  logger?: Pick<LoggerService, 'error'>;
}

/**
 * Apollo's `formatError` for the app's GraphQL root (the library never owns it):
 * `GraphQLModule.forRoot({ formatError: auditErrorFormatter(), includeStacktraceInErrorResponses: false,
 * hideSchemaDetailsFromClientErrors: true, … })`. A deliberate client error (a code of
 * `CLIENT_ERROR_CODES` or `clientCodes`, or a Nest HTTP exception below 500) keeps its message, less
 * any "Did you mean" schema hint and stack trace. Anything else (a database error whose message is
 * the SQL with its values, a TypeError, an HTTP 5xx) is answered `Internal server error` with code
 * `INTERNAL_SERVER_ERROR` and an `errorId`, and logged once under that id without its values.
 */
export function auditErrorFormatter({ clientCodes = [], logger }: AuditErrorFormatterOptions = {}): (
  formatted: GraphQLFormattedError,
  error: unknown,
) => GraphQLFormattedError {
  const allowed = new Set([...CLIENT_ERROR_CODES, ...clientCodes]);
  return (formatted, error) => {
    const original = unwrapResolverError(error);
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    const httpStatus = original instanceof HttpException ? original.getStatus() : null;
    const code =
      httpStatus !== null && httpStatus < 500 && extensions.code === 'INTERNAL_SERVER_ERROR'
        ? // NOTE: the Apollo driver names 400, 401, 403 and 422 only; the others come as INTERNAL_SERVER_ERROR.
          (HttpStatus[httpStatus] ?? 'BAD_REQUEST')
        : original instanceof GraphQLError && !original.path && original.message === TOO_MANY_VARIABLE_ERRORS
          ? 'BAD_USER_INPUT'
          : extensions.code;
    const client = httpStatus !== null ? httpStatus < 500 : typeof code === 'string' && allowed.has(code);
    if (client) {
      return {
        ...formatted,
        message: formatted.message.replace(/ ?Did you mean[^?]*\?/g, ''),
        extensions: { ...extensions, code },
      };
    }
    const errorId = reportInternalError(original ?? error, logger);
    return {
      message: INTERNAL_ERROR_MESSAGE,
      ...(formatted.locations && { locations: formatted.locations }),
      ...(formatted.path && { path: formatted.path }),
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    };
  };
}
