import { AsyncResource } from 'node:async_hooks';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { AuditRequest, ResolvedAuditOptions } from '../audit-options.interface';
import { AuditService } from '../audit.service';
import { boundJson } from '../capture/sealed-bounds';
import type { AuditContextSnapshot } from '../context/audit-context';
import { AuditContextService } from '../context/audit-context.service';
import { requestIdFrom } from '../context/request-id';
import type { AuditedRequest } from './audited-request';
import { GRAPHQL_OPERATION_KEY, type GraphqlOperation } from './graphql-operation';
import { auditedRequest, isAlwaysRecorded, levelOf } from './request-outcome';
import { HTTP_REQUEST_ENTITY } from '../events/library-entities';

/** Action of a sealed request entry. */
export const HTTP_REQUEST_ACTION = 'HTTP_REQUEST';

/** The HTTP side of a finished request, as the middleware measured it. */
export interface HttpExchange {
  method: string;
  path: string;
  statusCode: number;
  durationMs: number;
  aborted: boolean;
}

type Predicate = (req: AuditRequest, request: AuditedRequest) => boolean;

/**
 * Records one `http.request` entry per request once its response is sent: a log line always,
 * a sealed event when `requestAudit.seal` says so. Runs after the response, so it never delays
 * it; a write that fails is logged, never thrown.
 */
@Injectable()
export class RequestAuditRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('AuditRequest');
  // NOTE: created at bootstrap, outside any request. Lines logged in its scope do not pick up what
  // an app logger binds to a request's lines through AsyncLocalStorage (nestjs-pino adds
  // pino-http's `req`: the URL with its query string, the headers), so the line holds only our fields.
  private readonly outsideRequests = new AsyncResource('AuditRequestLog');
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly cls: ClsService,
    private readonly context: AuditContextService,
    private readonly audit: AuditService,
  ) {}

  /** Called once per request, in its CLS context, after the response ended or the client went away. */
  record(req: AuditRequest, http: HttpExchange): void {
    try {
      const operation = this.cls.get<GraphqlOperation | undefined>(GRAPHQL_OPERATION_KEY);
      const request = auditedRequest(http, operation);
      const { filter, seal } = this.options.requestAudit;
      const always = isAlwaysRecorded(request, operation);
      if (!always && !this.asks(filter, req, request)) return;
      const context = this.context.snapshot();
      const { actor, source } = context;
      // Bounded as the sealed entry is (the factory bounds it): the path, user agent, operation
      // name and error messages are the client's, of any length.
      const line = boundJson(
        {
          msg: HTTP_REQUEST_ENTITY,
          ...request,
          requestId: source.requestId,
          actor,
          ip: source.ip,
          userAgent: source.userAgent,
        },
        this.options.maxSealedStringBytes,
      ) as Record<string, unknown>;
      this.outside(() => (levelOf(request) === 'warn' ? this.logger.warn(line) : this.logger.log(line)));
      if (seal && (always || this.asks(seal, req, request))) this.seal(request, context);
    } catch (error) {
      this.failed('not recorded', error);
    }
  }

  /** Waits for the request entries still being written, before the ORM closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.writes]);
  }

  private seal(request: AuditedRequest, context: AuditContextSnapshot): void {
    // Each request is its own chain: no two requests contend for one chain head.
    const entityId = context.source.requestId ?? requestIdFrom(undefined);
    const write = this.context
      .run(context, () =>
        this.audit.record({
          action: HTTP_REQUEST_ACTION,
          entityType: HTTP_REQUEST_ENTITY,
          entityId,
          metadata: { ...request },
        }),
      )
      .catch((error: unknown) => this.failed(`of request ${entityId} not sealed`, error))
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  /** A filter that throws is logged and treated as "record": an entry too many beats one lost. */
  private asks(predicate: Predicate, req: AuditRequest, request: AuditedRequest): boolean {
    try {
      return predicate(req, request);
    } catch (error) {
      this.failed('filter threw; recorded anyway', error);
      return true;
    }
  }

  private failed(what: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.outside(() =>
      this.logger.error(`${HTTP_REQUEST_ENTITY} entry ${what}: ${message}`, (error as Error)?.stack),
    );
  }

  private outside(log: () => void): void {
    this.outsideRequests.runInAsyncScope(log);
  }
}
