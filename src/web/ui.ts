/**
 * The UI's routes: the page (`/`) and its script and style (`/ui/app.js`, `/ui/style.css`), served from the
 * strings in ui-assets.ts, so the package carries the whole UI and nothing is fetched at run time. The page
 * talks only to the API of this server, with the session cookie and the CSRF token.
 */
import type { FastifyInstance } from 'fastify';
import { APP_JS, INDEX_HTML, STYLE_CSS } from './ui-assets.js';

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

export function registerUi(app: FastifyInstance): void {
  app.get('/', async (_request, reply) => reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(INDEX_HTML));
  app.get('/ui/app.js', async (_request, reply) => reply.headers(SECURITY_HEADERS).type('text/javascript; charset=utf-8').send(APP_JS));
  app.get('/ui/style.css', async (_request, reply) => reply.headers(SECURITY_HEADERS).type('text/css; charset=utf-8').send(STYLE_CSS));
}
