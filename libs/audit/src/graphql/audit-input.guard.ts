import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { isNonNullType, type GraphQLResolveInfo } from 'graphql';
import { InvalidQueryInputError } from '../errors/invalid-query-input.error';
import { checkQueryArguments } from './query-arguments';

/**
 * Refuses malformed arguments (`checkQueryArguments`) with BAD_USER_INPUT before anything reads
 * or records them. It runs before AuditReadGuard, whose AUDIT_QUERY / PERMISSION_DENIED event
 * stores the arguments: a NUL there would fail the audit write itself.
 */
@Injectable()
export class AuditInputGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const gql = GqlExecutionContext.create(context);
    const args = gql.getArgs<Record<string, unknown>>();
    const { parentType, fieldName } = gql.getInfo<GraphQLResolveInfo>();
    // NOTE: a scalar's parseLiteral may answer null for a literal of the wrong kind (the DateTime
    // scalar does for `to: 8640000000000000`), and GraphQL passes that null to a required argument.
    for (const arg of parentType.getFields()[fieldName]?.args ?? []) {
      if (isNonNullType(arg.type) && (args[arg.name] === null || args[arg.name] === undefined))
        throw new InvalidQueryInputError(`${arg.name} is required: a ${String(arg.type.ofType)}.`, arg.name);
    }
    checkQueryArguments(args);
    return true;
  }
}
