import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import proxyAddr from 'proxy-addr';
import { ClsService } from 'nestjs-cls';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { AuditRequest, ResolvedAuditOptions } from '../audit-options.interface';
import { AuditContextService } from './audit-context.service';
import { requestIdFrom } from './request-id';

type TrustFn = (addr: string, i: number) => boolean;

function compileTrust(trust: ResolvedAuditOptions['trustProxy']): TrustFn {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_addr, i) => i < trust;
  const list = typeof trust === 'string' ? trust.split(',').map((s) => s.trim()) : trust;
  return proxyAddr.compile(list);
}

type Response = { setHeader(name: string, value: string): void };

/**
 * Opens the request's CLS context (joining one the app opened already) and records its source:
 * client IP (per `trustProxy`), user agent and request id, which is echoed in the response.
 */
@Injectable()
export class AuditContextMiddleware implements NestMiddleware {
  private readonly trust: TrustFn;

  constructor(
    private readonly cls: ClsService,
    private readonly context: AuditContextService,
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
  ) {
    this.trust = compileTrust(options.trustProxy);
  }

  use(req: AuditRequest, res: Response, next: () => void): void {
    this.cls.run({ ifNested: 'inherit' }, () => {
      // An id a logging middleware gave the request before (pino-http's `req.id`) is kept, so the
      // request's log lines and its audit events carry one id.
      const assigned = typeof req.id === 'string' ? req.id : undefined;
      const requestId = requestIdFrom(assigned ?? req.headers[this.options.requestIdHeader]);
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
