import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import { AUDIT_OPTIONS } from '../audit.constants';
import type { ResolvedAuditOptions } from '../audit-options.interface';
import type { ResolvedViewerOptions } from './audit-viewer-options.interface';
import { loadViewerBundle, renderIndexHtml, type ViewerBundle } from './viewer-assets';
import { VIEWER_SECURITY_HEADERS } from './viewer-headers';

type Request = IncomingMessage & { originalUrl?: string };
const ASSET_NAME = /^assets\/([A-Za-z0-9_-][A-Za-z0-9._-]*)$/;

/**
 * Serves the viewer's static files at `viewer.path` with a strict Content-Security-Policy and
 * passes every other request on. The viewer reads data only through the GraphQL API, so this
 * serves files and nothing else: no data, and no authentication of its own to get wrong.
 */
@Injectable()
export class AuditViewerMiddleware implements NestMiddleware {
  private readonly viewer: ResolvedViewerOptions | null;
  private readonly bundle: ViewerBundle | null;
  private readonly indexHtml: string | null;

  constructor(@Inject(AUDIT_OPTIONS) options: ResolvedAuditOptions) {
    this.viewer = options.viewer;
    this.bundle = this.viewer ? loadViewerBundle() : null;
    if (this.viewer && !this.bundle)
      new Logger('AuditViewer').warn(
        `The audit viewer is enabled at ${this.viewer.path} but was not built: run npm run build -w audit-ledger`,
      );
    this.indexHtml =
      this.viewer && this.bundle
        ? renderIndexHtml(this.bundle.indexHtml, {
            ...this.viewer.client,
            defaultPageSize: options.api.defaultPageSize,
            maxPageSize: options.api.maxPageSize,
          })
        : null;
  }

  use(req: Request, res: ServerResponse, next: () => void): void {
    const viewer = this.viewer;
    const url = req.originalUrl ?? req.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathname = queryAt < 0 ? url : url.slice(0, queryAt);
    if (!viewer || (pathname !== viewer.path && !pathname.startsWith(`${viewer.path}/`))) return next();
    for (const [name, value] of Object.entries(VIEWER_SECURITY_HEADERS)) res.setHeader(name, value);
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.answer(res, 405, 'Method not allowed');
    // NOTE: the page loads its files relatively (./assets/…), which needs the trailing slash.
    if (pathname === viewer.path) {
      res.setHeader('location', `${viewer.path}/${queryAt < 0 ? '' : url.slice(queryAt)}`);
      return this.answer(res, 308, '');
    }
    const rest = pathname.slice(viewer.path.length + 1);
    if (this.indexHtml === null || this.bundle === null)
      return this.answer(res, 503, 'The audit viewer was not built.');
    if (rest === '' || rest === 'index.html') {
      res.setHeader('cache-control', 'no-store');
      return this.answer(res, 200, this.indexHtml, 'text/html; charset=utf-8', req.method === 'HEAD');
    }
    // Only names the build produced: the URL never reaches the file system.
    const file = ASSET_NAME.exec(rest) && this.bundle.assets.get(rest.slice('assets/'.length));
    if (!file) return this.answer(res, 404, 'Not found');
    res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    return this.answer(res, 200, file.body, file.contentType, req.method === 'HEAD');
  }

  private answer(
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    contentType = 'text/plain; charset=utf-8',
    headOnly = false,
  ): void {
    res.statusCode = status;
    res.setHeader('content-type', contentType);
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(headOnly ? undefined : body);
  }
}
