/**
 * The UI's routes: the page (`/`) and its hashed script and style sheet (`/ui/assets/...`), the files Vite built
 * from ui/ into dist/ui/ at `npm install` (`npm run build`). They are read once, when the server is built, and
 * served from memory with the security headers, so nothing is fetched at run time and only these files can be
 * asked for (a path that is not one of them is a 404, never a file-system lookup).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** dist/ui/ of the checkout or package: `../../dist/ui` from src/web/ (tests) and from dist/web/ (the build). */
export const UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

interface Asset {
  type: string;
  body: Buffer;
}

/** The built files by URL path (`/ui/assets/index-1a2b3c.js`), and the page. */
function readBuiltUi(dir: string): { page: Buffer | null; assets: Map<string, Asset> } {
  const assets = new Map<string, Asset>();
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) return { page: null, assets };
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const file = path.join(folder, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (file !== index) {
        const urlPath = `/ui/${path.relative(dir, file).split(path.sep).join('/')}`;
        assets.set(urlPath, { type: TYPES[path.extname(name)] ?? 'application/octet-stream', body: readFileSync(file) });
      }
    }
  };
  walk(dir);
  return { page: readFileSync(index), assets };
}

export function registerUi(app: FastifyInstance, dir: string = UI_DIR): void {
  const { page, assets } = readBuiltUi(dir);
  app.get('/', async (_request, reply) => {
    if (!page) {
      return reply.code(503).headers(SECURITY_HEADERS).type('text/plain; charset=utf-8')
        .send(`The web UI is not built (${path.join(dir, 'index.html')} is missing): run npm run build in the dagbridge checkout. The REST API under /api/v1 works without it.\n`);
    }
    return reply.headers(SECURITY_HEADERS).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(page);
  });
  app.get('/ui/*', async (request, reply) => {
    const asset = assets.get(request.url.split('?')[0] ?? '');
    if (!asset) return reply.code(404).headers(SECURITY_HEADERS).type('text/plain; charset=utf-8').send('not found\n');
    // Names carry a hash of their content (Vite), so a browser may keep them.
    return reply.headers(SECURITY_HEADERS).header('cache-control', 'public, max-age=31536000, immutable').type(asset.type).send(asset.body);
  });
}
