import type { ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Principal } from './principal';

export type AppRequest = { headers: Record<string, string | undefined>; user?: Principal };

/** The Express request behind an HTTP or GraphQL call. */
export function requestOf(context: ExecutionContext): AppRequest {
  return context.getType<string>() === 'graphql'
    ? GqlExecutionContext.create(context).getContext<{ req: AppRequest }>().req
    : context.switchToHttp().getRequest<AppRequest>();
}
