// Builds the web UI (a React app) into dist/ui/, which src/web/ui.ts serves: hashed file names under /ui/assets/,
// one script and one style sheet, nothing inline (the server's Content-Security-Policy allows only 'self').
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline scripts or data: URLs for assets: everything is a file served by the webserver.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
    target: 'es2022',
  },
});
