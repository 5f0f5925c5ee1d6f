import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadViewerBundle, renderIndexHtml } from './viewer-assets';

const PAGE =
  '<title>__AUDIT_VIEWER_TITLE__</title><meta name="audit-viewer-config" content="__AUDIT_VIEWER_CONFIG__" />';
const config = {
  graphqlPath: '/graphql',
  title: 'Audit "viewer" <b>',
  login: null,
  defaultPageSize: 50,
  maxPageSize: 500,
};

describe('viewer assets', () => {
  it('writes the config into the meta tag, escaped so that no value can leave the attribute', () => {
    const html = renderIndexHtml(PAGE, config);
    expect(html).not.toContain('__AUDIT_VIEWER');
    expect(html).toContain('<title>Audit &#34;viewer&#34; &#60;b&#62;</title>');
    const content = /content="([^"]*)"/.exec(html)?.[1] ?? '';
    const decoded = content.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
    expect(JSON.parse(decoded)).toEqual(config);
  });

  it('loads the built page and its assets, or reports that nothing was built', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'viewer-'));
    try {
      expect(loadViewerBundle([join(dir, 'missing')])).toBeNull();
      await mkdir(join(dir, 'assets'));
      await writeFile(join(dir, 'index.html'), PAGE);
      await writeFile(join(dir, 'assets', 'index-abc.js'), 'export {}');
      await writeFile(join(dir, 'assets', 'index-abc.css'), 'body{}');
      const bundle = loadViewerBundle([join(dir, 'missing'), dir]);
      expect(bundle?.indexHtml).toBe(PAGE);
      expect([...(bundle?.assets.keys() ?? [])].sort()).toEqual(['index-abc.css', 'index-abc.js']);
      expect(bundle?.assets.get('index-abc.js')?.contentType).toBe('text/javascript; charset=utf-8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
