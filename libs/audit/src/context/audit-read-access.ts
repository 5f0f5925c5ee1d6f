import type { AuditRequest, ResolvedAuditOptions } from '../audit-options.interface';
import type { AuditActor, JsonObject } from '../events/audit-event';
import type { RecordAuditEventInput } from '../events/record-audit-event.input';
import { AUDIT_QUERY_ENTITY } from '../events/library-entities';

/** Entity id of the refusals of requests without a principal. */
const ANONYMOUS_READER = 'anonymous';

/** Who asks to read audit data, and whether they may. */
export interface AuditReadDecision {
  /** The reader; null without an authenticated principal. */
  actor: AuditActor | null;
  /** The only tenant whose events the reader may see; null for a global reader (or when refused). */
  tenantId: string | null;
  /** Why the read is refused; null when it is allowed. */
  denied: string | null;
}

/**
 * The read rule, one for every way in (the GraphQL guard, an app's own routes): an authenticated
 * principal holding the read permission (and `scope.permission` when given: `audit:revert` for
 * reverts), whose tenant is known (a tenant id, or null for global),
 * and without a tenant for a query that spans every tenant.
 */
export function decideAuditRead(
  options: ResolvedAuditOptions,
  req: AuditRequest | undefined,
  scope: { query: string; globalOnly?: boolean; permission?: string },
): AuditReadDecision {
  const actor = (req && options.actorResolver(req)) ?? null;
  const tenant = req ? options.tenantResolver(req) : undefined;
  const { readPermission, permissionsResolver } = options.api;
  const held = req && actor ? permissionsResolver(req) : [];
  const denied =
    !req || !actor
      ? 'Audit queries need an authenticated principal.'
      : !held.includes(readPermission)
        ? `Audit queries need the ${readPermission} permission.`
        : scope.permission !== undefined && !held.includes(scope.permission)
          ? `${scope.query} needs the ${scope.permission} permission.`
          : tenant === undefined
            ? 'The principal names no tenant: only an explicit null tenant reads every tenant.'
            : scope.globalOnly && tenant !== null
              ? `${scope.query} spans every tenant: only a principal without a tenant may run it.`
              : null;
  return { actor, tenantId: tenant ?? null, denied };
}

/**
 * The event that records a read: AUDIT_QUERY when allowed, PERMISSION_DENIED with the reason when
 * refused (failed access attempts are evidence), for `AuditService.record`. `metadata` says what
 * was asked (`{ query, arguments }`); never put a secret in it.
 */
export function auditReadEvent(decision: AuditReadDecision, metadata: JsonObject): RecordAuditEventInput {
  const { actor, tenantId, denied } = decision;
  return {
    action: denied ? 'PERMISSION_DENIED' : 'AUDIT_QUERY',
    entityType: AUDIT_QUERY_ENTITY,
    entityId: actor?.id ?? ANONYMOUS_READER,
    tenantId,
    module: 'audit',
    metadata: denied ? { ...metadata, reason: denied } : metadata,
  };
}
