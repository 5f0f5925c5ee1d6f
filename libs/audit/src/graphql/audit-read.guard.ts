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
import type { JsonObject } from '../events/audit-event';
import { AUDIT_READER, type AuditReader } from './audit-reader';

const GLOBAL_ONLY = 'audit:global-only';

/** Marks a query that spans every tenant (log verification, checkpoints): global auditors only. */
export const GlobalAuditorsOnly = () => SetMetadata(GLOBAL_ONLY, true);

/** Entity type of AUDIT_QUERY and PERMISSION_DENIED events; the entity id is the reader's id. */
export const AUDIT_QUERY_ENTITY = 'AuditQuery';
/** Entity id of the refusals of requests without a principal. */
const ANONYMOUS_READER = 'anonymous';

/**
 * Every audit query: an authenticated principal (else UNAUTHENTICATED) holding the read
 * permission (else FORBIDDEN, recorded as PERMISSION_DENIED), bound to its tenant unless it has
 * none. An allowed query is recorded as AUDIT_QUERY with its arguments: who looked at what.
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
    const actor = req ? this.options.actorResolver(req) : null;
    const query = gql.getInfo<{ fieldName: string }>().fieldName;
    const metadata = { query, arguments: toJsonValue(gql.getArgs()) as JsonObject };
    const tenantId = req ? (this.options.tenantResolver(req) ?? null) : null;
    const denied = !actor
      ? 'Audit queries need an authenticated principal.'
      : !this.options.api.permissionsResolver(req).includes(this.options.api.readPermission)
        ? `Audit queries need the ${this.options.api.readPermission} permission.`
        : this.reflector.get<boolean>(GLOBAL_ONLY, context.getHandler()) && tenantId !== null
          ? `${query} spans every tenant: only a principal without a tenant may run it.`
          : null;
    // Refusals are recorded too, anonymous ones included: failed access attempts are evidence.
    await this.audit.record({
      action: denied ? 'PERMISSION_DENIED' : 'AUDIT_QUERY',
      entityType: AUDIT_QUERY_ENTITY,
      entityId: actor?.id ?? ANONYMOUS_READER,
      tenantId,
      module: 'audit',
      metadata: denied ? { ...metadata, reason: denied } : metadata,
    });
    // NOTE: Nest HTTP exceptions: the GraphQL driver answers UNAUTHENTICATED / FORBIDDEN.
    if (!actor) throw new UnauthorizedException(denied);
    if (denied) throw new ForbiddenException(denied);
    (req as Record<symbol, unknown>)[AUDIT_READER] = { actor, tenantId } satisfies AuditReader;
    return true;
  }
}
