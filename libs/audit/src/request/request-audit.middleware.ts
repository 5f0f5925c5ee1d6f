import { AsyncResource } from 'node:async_hooks';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { AuditRequest } from '../audit-options.interface';
import { pathOf } from './request-outcome';
import { RequestAuditRecorder } from './request-audit.recorder';

type Request = AuditRequest & { method?: string; originalUrl?: string; url?: string };
type Response = {
  statusCode: number;
  writableFinished: boolean;
  once(event: 'finish' | 'close', listener: () => void): unknown;
};

/**
 * Request-level audit (`requestAudit.enabled`): times the request and, once its response has been
 * sent ('finish') or its client went away first ('close'), hands it to the recorder, once. Mounted
 * after `AuditContextMiddleware`, so the request's context is open. Never reads the body.
 */
@Injectable()
export class RequestAuditMiddleware implements NestMiddleware {
  constructor(private readonly recorder: RequestAuditRecorder) {}

  use(req: Request, res: Response, next: () => void): void {
    const started = process.hrtime.bigint();
    const url = req.originalUrl ?? req.url ?? '/';
    let done = false;
    // NOTE: bound here, in the request's context: 'finish' may fire in another async context, and
    // the actor (set by a guard after this middleware) is resolved from the request's context.
    const settle = AsyncResource.bind((aborted: boolean) => {
      if (done) return;
      done = true;
      this.recorder.record(req, {
        method: req.method ?? 'GET',
        path: pathOf(url),
        statusCode: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3,
        aborted,
      });
    });
    res.once('finish', () => settle(false));
    res.once('close', () => settle(!res.writableFinished));
    next();
  }
}
