import { Catch } from '@nestjs/common';
import type { GqlExceptionFilter } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import { AuditChainTamperedError } from '../errors/audit-chain-tampered.error';
import { AuditError } from '../errors/audit.error';
import { AuditRevertRefusedError } from '../errors/audit-revert-refused.error';
import { CLIENT_ERROR_CODES } from '../errors/client-error-codes';
import { InvalidQueryInputError } from '../errors/invalid-query-input.error';

/**
 * Turns the library's typed errors that answer the caller (CLIENT_ERROR_CODES: bad input, a
 * tampered chain …) into GraphQL errors whose `extensions.code` is the error's code, with what a
 * client needs to act on it. Handled here, they are answers, not crashes: Nest does not log them
 * as unhandled. The others (a failed write, a missing key) are faults of the server: passed on
 * as they are, for the app's formatter (`auditErrorFormatter`) to mask and log.
 */
@Catch(AuditError)
export class AuditErrorFilter implements GqlExceptionFilter {
  catch(error: AuditError): GraphQLError | AuditError {
    if (!CLIENT_ERROR_CODES.includes(error.code)) return error;
    return new GraphQLError(error.message, { extensions: { code: error.code, ...details(error) } });
  }
}

function details(error: AuditError): Record<string, unknown> {
  if (error instanceof AuditChainTamperedError) {
    return {
      entityType: error.entityType,
      entityId: error.entityId,
      chainSeq: error.chainSeq,
      reason: error.reason,
      failures: error.failures.map(({ chainSeq, eventId, reason }) => ({ chainSeq, eventId, reason })),
    };
  }
  if (error instanceof InvalidQueryInputError) return { argument: error.argument };
  if (error instanceof AuditRevertRefusedError && error.fields.length > 0) return { fields: error.fields };
  return {};
}
