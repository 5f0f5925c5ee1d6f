import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ViewerClientConfig } from './audit-viewer-options.interface';

/** One built file, held in memory: the whole viewer is a few hundred kilobytes. */
export interface ViewerFile {
  body: Buffer;
  contentType: string;
}

/** The built viewer: its page (config not yet filled in) and its hashed asset files by name. */
export interface ViewerBundle {
  indexHtml: string;
  assets: Map<string, ViewerFile>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const CONFIG_PLACEHOLDER = '__AUDIT_VIEWER_CONFIG__';
const TITLE_PLACEHOLDER = '__AUDIT_VIEWER_TITLE__';

/**
 * Where `vite build` put the viewer (libs/audit/dist/viewer-app): beside this file's directory
 * once compiled (dist/viewer), or the package's dist when run from source (tests via ts paths).
 */
export function viewerBuildDirectories(here: string = __dirname): string[] {
  return [join(here, '..', 'viewer-app'), join(here, '..', '..', 'dist', 'viewer-app')];
}

/** Reads the built viewer once; null when it was not built (a source checkout before `npm run build`). */
export function loadViewerBundle(directories: string[] = viewerBuildDirectories()): ViewerBundle | null {
  const dir = directories.find((d) => existsSync(join(d, 'index.html')));
  if (!dir) return null;
  const assets = new Map<string, ViewerFile>();
  const assetDir = join(dir, 'assets');
  for (const name of existsSync(assetDir) ? readdirSync(assetDir) : []) {
    assets.set(name, {
      body: readFileSync(join(assetDir, name)),
      contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    });
  }
  return { indexHtml: readFileSync(join(dir, 'index.html'), 'utf8'), assets };
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page with the app's settings in a meta tag: a strict CSP forbids inline scripts, and a meta
 * tag's content is data, never run. Escaped, so no option value can close the attribute.
 */
export function renderIndexHtml(indexHtml: string, config: ViewerClientConfig): string {
  return indexHtml
    .replace(CONFIG_PLACEHOLDER, escapeAttribute(JSON.stringify(config)))
    .replace(TITLE_PLACEHOLDER, escapeAttribute(config.title));
}
