/**
 * The webserver: Fastify serving Airflow's REST API v1 (`/api/v1`), dagbridge's own endpoints
 * (`/dagbridge/api/v1`), dagbridge's OpenAPI document of exactly those routes (`/api/v1/openapi.json`), the UI
 * (`/`, assets bundled in the package, nothing fetched at run time) and its login/logout.
 *
 * It binds 127.0.0.1 unless told otherwise, and refuses a non-loopback address while no user exists (the
 * server would be open to the network). Every error is a problem+json document (src/web/problem.ts).
 */
import { isIP } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ConfigError, errorMessage, NotFoundError, UsageError } from '../lib/errors.js';
import { VERSION } from '../lib/version.js';
import { insertAudit, OrderByError } from '../store/web-queries.js';
import { registerConnectionRoutes } from './api-connections.js';
import { registerDagRoutes } from './api-dags.js';
import { registerDatasetRoutes } from './api-datasets.js';
import { registerMiscRoutes } from './api-misc.js';
import { registerPoolAndVariableRoutes } from './api-pools-variables.js';
import { registerQueueActionRoutes } from './api-queue-actions.js';
import { registerTaskInstanceStateRoutes } from './api-task-instance-state.js';
import { registerTaskInstanceRoutes } from './api-task-instances.js';
import { registerUiRoutes } from './api-ui.js';
import { clearSessionCookie, setSessionCookie } from './auth.js';
import { ApiError, problem } from './problem.js';
import { Routes, type DeclaredRoute, type WebContext } from './routes.js';
import { registerUi } from './ui.js';

/** A built (not yet listening) webserver and the routes it declares. */
export interface WebServer {
  app: FastifyInstance;
  routes: readonly DeclaredRoute[];
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/** dagbridge's OpenAPI 3.0 document: one operation per implemented route. */
export function openApiDocument(routes: readonly DeclaredRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      summary: route.summary,
      'x-dagbridge-role': route.role,
      'x-airflow-compatible': route.airflow,
      responses: { default: { description: route.airflow ? 'As in Airflow 2.10.5 (see docs/api.md)' : 'See docs/api.md' } },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'dagbridge API', version: VERSION, description: 'The subset of Airflow 2.10.5 REST API v1 dagbridge implements, and its own endpoints under /dagbridge/api/v1.' },
    components: { securitySchemes: { Basic: { type: 'http', scheme: 'basic' } } },
    security: [{ Basic: [] }],
    paths,
  };
}

/** Builds the Fastify app with every route. */
export async function buildWebServer(context: WebContext): Promise<WebServer> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, routerOptions: { ignoreTrailingSlash: true } });
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).type('application/problem+json').send(problem(error.status, error.detail));
    if (error instanceof NotFoundError) return reply.code(404).type('application/problem+json').send(problem(404, error.message));
    // An action shared with the CLI refused its input (e.g. a clear past an ExternalTaskMarker's recursion_depth).
    if (error instanceof UsageError) return reply.code(400).type('application/problem+json').send(problem(400, error.message));
    if (error instanceof OrderByError) return reply.code(400).type('application/problem+json').send(problem(400, `query.order_by: ${error.message}`));
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    if (status < 500) return reply.code(status).type('application/problem+json').send(problem(status, `body: ${errorMessage(error)}`));
    context.log.error('request failed', { method: request.method, url: request.url, error: errorMessage(error) });
    return reply.code(500).type('application/problem+json').send(problem(500, 'internal error; the webserver log has the details'));
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).type('application/problem+json').send(problem(404, `no route ${request.method} ${request.url.split('?')[0]}`)));

  const routes = new Routes(app, context);
  registerDagRoutes(routes);
  registerTaskInstanceRoutes(routes);
  registerTaskInstanceStateRoutes(routes);
  registerPoolAndVariableRoutes(routes);
  registerMiscRoutes(routes);
  registerConnectionRoutes(routes);
  registerDatasetRoutes(routes);
  registerQueueActionRoutes(routes);
  registerUiRoutes(routes);

  routes.add({ method: 'POST', path: '/dagbridge/api/v1/login', summary: 'Log in to the UI: sets the session cookie, returns the CSRF token', guard: { role: 'public' }, airflow: false, body: z.object({ username: z.string().min(1), password: z.string().min(1) }) }, async ({ body, request, reply }) => {
    const session = await context.auth.login(body.username, body.password);
    if (!session) throw new ApiError(401, 'wrong username or password');
    setSessionCookie(reply, session.token, request.protocol === 'https');
    await insertAudit(context.pool, { username: body.username, event: 'login' });
    return { username: body.username, role: session.role, csrf_token: session.csrfToken };
  });
  routes.add({ method: 'POST', path: '/dagbridge/api/v1/logout', summary: 'End the UI session', guard: { role: 'public' }, airflow: false }, async ({ request, reply, user }) => {
    await context.auth.logout(request);
    clearSessionCookie(reply);
    if (user.username !== 'anonymous') await insertAudit(context.pool, { username: user.username, event: 'logout' });
    return { logged_out: true };
  });
  routes.add({ method: 'GET', path: '/dagbridge/api/v1/me', summary: 'The caller: username, role, CSRF token of the session', guard: { role: 'Viewer' }, airflow: false }, async ({ user }) => ({
    username: user.username, role: user.role, csrf_token: user.csrfToken, open: await context.auth.isOpen(),
  }));

  const declared = routes.declared;
  app.get('/api/v1/openapi.json', async () => openApiDocument(declared));
  registerUi(app);
  return { app, routes: declared };
}

/** Where the webserver listens. */
export interface ListenOptions {
  host: string;
  port: number;
}

/** Starts listening; refuses a non-loopback host while the server is open (no users). Returns the URL. */
export async function listenWebServer(server: WebServer, context: WebContext, options: ListenOptions): Promise<string> {
  if (!isLoopback(options.host) && (await context.auth.isOpen())) {
    throw new ConfigError(`--host ${options.host} is not a loopback address and no user exists, so anyone on the network could act as Admin: create one with dagbridge users create --username NAME --role Admin, or bind 127.0.0.1`);
  }
  await server.app.listen({ host: options.host, port: options.port });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return `http://${shownHost}:${port}`;
}
