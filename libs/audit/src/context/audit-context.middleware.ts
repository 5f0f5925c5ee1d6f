import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import proxyAddr from 'proxy-addr';
import { ClsService } from 'nestjs-cls';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { AuditRequest, ResolvedAuditOptions } from '../audit-options.interface';
import { AuditContextService } from './audit-context.service';
import { compileTrust, requestIdResolver, type TrustFn } from './request-id';

type Response = { setHeader(name: string, value: string): void };

/**
 * Opens the request's CLS context (joining one the app opened already) and records its source:
 * client IP and request id (both taken from headers only when sent by a trusted proxy, per
 * `trustProxy`), user agent. The request id is echoed in the response.
 */
@Injectable()
export class AuditContextMiddleware implements NestMiddleware {
  private readonly trust: TrustFn;
  private readonly requestIdOf: (req: AuditRequest) => string;

  constructor(
    private readonly cls: ClsService,
    private readonly context: AuditContextService,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {
    this.trust = compileTrust(options.trustProxy);
    this.requestIdOf = requestIdResolver(options.trustProxy, options.requestIdHeader);
  }

  use(req: AuditRequest, res: Response, next: () => void): void {
    this.cls.run({ ifNested: 'inherit' }, () => {
      // An id a logging middleware gave the request before (pino-http's `req.id`) is kept, so the
      // request's log lines and its audit events carry one id: give it with `requestIdResolver`,
      // the same rule as here.
      const requestId = typeof req.id === 'string' ? req.id : this.requestIdOf(req);
      res.setHeader(this.options.requestIdHeader, requestId);
      const userAgent = req.headers['user-agent'];
      this.context.bindRequest(req, {
        ip: req.socket?.remoteAddress ? proxyAddr(req as never, this.trust) : null,
        userAgent: typeof userAgent === 'string' ? userAgent : null,
        requestId,
      });
      next();
    });
  }
}
