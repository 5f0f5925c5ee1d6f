import {
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { AuditRequest, ResolvedAuditOptions } from '../audit-options.interface';
import { AuditService } from '../audit.service';
import { toJsonValue } from '../capture/to-json-value';
import { auditReadEvent, decideAuditRead } from '../context/audit-read-access';
import { AUDIT_READER, type AuditReader } from './audit-reader';

const GLOBAL_ONLY = 'audit:global-only';

/** Marks a query that spans every tenant (log verification, checkpoints): global auditors only. */
export const GlobalAuditorsOnly = () => SetMetadata(GLOBAL_ONLY, true);

const REVERTERS = 'audit:reverters-only';

/** Marks a revert query or mutation: it also needs `api.revertPermission` (default `audit:revert`). */
export const RevertersOnly = () => SetMetadata(REVERTERS, true);

/**
 * Every audit query and revert: an authenticated principal (else UNAUTHENTICATED) holding the read
 * permission (and the revert permission for a revert), with a known tenant (else FORBIDDEN, recorded as PERMISSION_DENIED), bound to its
 * tenant unless it has none (`decideAuditRead`). An allowed query is recorded as AUDIT_QUERY with
 * its arguments: who looked at what.
 */
@Injectable()
export class AuditReadGuard implements CanActivate {
  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const gql = GqlExecutionContext.create(context);
    const req = (gql.getContext<{ req: AuditRequest }>() ?? {}).req;
    const query = gql.getInfo<{ fieldName: string }>().fieldName;
    const globalOnly = this.reflector.get<boolean>(GLOBAL_ONLY, context.getHandler()) === true;
    const reverters = this.reflector.get<boolean>(REVERTERS, context.getHandler()) === true;
    const permission = reverters ? this.options.api.revertPermission : undefined;
    const decision = decideAuditRead(this.options, req, { query, globalOnly, permission });
    // Refusals are recorded too, anonymous ones included: failed access attempts are evidence.
    await this.audit.record(auditReadEvent(decision, { query, arguments: toJsonValue(gql.getArgs()) }));
    const { actor, tenantId, denied } = decision;
    // NOTE: Nest HTTP exceptions: the GraphQL driver answers UNAUTHENTICATED / FORBIDDEN.
    if (!actor) throw new UnauthorizedException(denied);
    if (denied) throw new ForbiddenException(denied);
    (req as Record<symbol, unknown>)[AUDIT_READER] = { actor, tenantId } satisfies AuditReader;
    return true;
  }
}
