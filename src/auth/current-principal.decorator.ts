import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { requestOf } from './request-of';

/** The authenticated principal of an HTTP or GraphQL call (set by AuthGuard). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => requestOf(context).user,
);
