import { Inject, Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { AuditRequest, ResolvedAuditOptions } from '../audit-options.interface';
import type { AuditActor, AuditSource } from '../events/audit-event';
import type { AuditContextSnapshot } from './audit-context';
import { decideAuditRead, type AuditReadDecision } from './audit-read-access';

const REQUEST_KEY = 'audit:request';
const SOURCE_KEY = 'audit:source';
const PROPAGATED_KEY = 'audit:propagated';

const EMPTY_SOURCE: AuditSource = { ip: null, userAgent: null, requestId: null, sessionId: null };
const ANONYMOUS: AuditActor = { type: 'USER', id: 'anonymous', display: null };

/**
 * Reads and carries the audit context in CLS (AsyncLocalStorage). The actor is resolved lazily,
 * when an event is built, because guards authenticate the request after middleware has run.
 */
@Injectable()
export class AuditContextService {
  constructor(
    private readonly cls: ClsService,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {}

  /** @internal Called by the middleware inside the request's CLS context. */
  bindRequest(req: AuditRequest, source: Omit<AuditSource, 'sessionId'>): void {
    this.cls.set(REQUEST_KEY, req);
    this.cls.set(SOURCE_KEY, source);
  }

  /** The context of the current call: the request's principal, a propagated context, or SYSTEM. */
  snapshot(): AuditContextSnapshot {
    if (!this.cls.isActive()) return this.system();
    const propagated = this.cls.get<AuditContextSnapshot | undefined>(PROPAGATED_KEY);
    if (propagated) return propagated;
    const req = this.cls.get<AuditRequest | undefined>(REQUEST_KEY);
    if (!req) return this.system();
    const source = this.cls.get<Omit<AuditSource, 'sessionId'>>(SOURCE_KEY);
    return {
      actor: this.options.actorResolver(req) ?? ANONYMOUS,
      tenantId: this.options.tenantResolver(req) ?? null,
      source: { ...source, sessionId: this.options.sessionIdResolver(req) ?? null },
    };
  }

  /**
   * Whether the current request's principal may read audit data, by the rule of the library's
   * GraphQL guard: for an app's own audit routes. Record the outcome with
   * `AuditService.record(auditReadEvent(decision, { query, arguments }))`, and when the reader is
   * bound to a tenant (`tenantId` not null) show it that tenant's records only.
   */
  readAccess(query: string): AuditReadDecision {
    const req = this.cls.isActive() ? this.cls.get<AuditRequest | undefined>(REQUEST_KEY) : undefined;
    return decideAuditRead(this.options, req, { query });
  }

  /**
   * Runs `fn` with a context captured elsewhere (typically `snapshot()` stored in a job's data),
   * so that the events it causes name the originating actor and correlation id. Without a
   * snapshot, `fn` runs as SYSTEM.
   */
  run<T>(snapshot: AuditContextSnapshot | null | undefined, fn: () => T): T {
    return this.cls.run({ ifNested: 'override' }, () => {
      if (snapshot) this.cls.set(PROPAGATED_KEY, snapshot);
      return fn();
    });
  }

  /** The SYSTEM context: what the library itself records (drift, key rotation outside a request). */
  system(): AuditContextSnapshot {
    const { id, display } = this.options.systemActor;
    return { actor: { type: 'SYSTEM', id, display }, tenantId: null, source: EMPTY_SOURCE };
  }
}
