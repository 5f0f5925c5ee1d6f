// Builds the audit viewer into the package (libs/audit/dist/viewer-app), served by AuditViewerMiddleware.
import preact from '@preact/preset-vite';
import { fileURLToPath, URL } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  // Relative asset URLs: the app chooses the path the viewer is served at.
  base: './',
  plugins: [preact({ devToolsInProdBuild: false, prefreshEnabled: false })],
  build: {
    outDir: fileURLToPath(new URL('../dist/viewer-app', import.meta.url)),
    emptyOutDir: true,
    // NOTE: no data: URLs (the CSP allows only 'self') and no source maps in the package.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    modulePreload: { polyfill: false },
  },
});
