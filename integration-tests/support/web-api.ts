/**
 * Calls a built webserver (Fastify inject, no socket) as a user of a role, and checks answers against Airflow
 * 2.10.5's OpenAPI document. Users are named after their role in lower case (`viewer`, `user`, `op`, `admin`)
 * and share one password.
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { silentLogger } from '../../src/lib/logger.js';
import { PgStore } from '../../src/store/pg-store.js';
import { insertUser, type Role } from '../../src/store/web-queries.js';
import { Authenticator } from '../../src/web/auth.js';
import { hashPassword } from '../../src/web/passwords.js';
import type { WebContext } from '../../src/web/routes.js';
import { buildWebServer } from '../../src/web/server.js';
import { airflowContractErrors } from './airflow-contract.js';
import { createMigratedDatabase, type TestDatabase } from './database.js';

/** What a call may carry: the role to call as (`nobody`: no credentials), a JSON body, headers. */
export interface CallOptions {
  user?: Role | 'nobody';
  body?: unknown;
  headers?: Record<string, string>;
}

/** Call helpers bound to the app `app()` returns and the users' password. */
export function webApiClient(app: () => FastifyInstance, password: string) {
  const basic = (user: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  async function call(method: string, url: string, options: CallOptions = {}) {
    const user = options.user ?? 'Admin';
    const headers: Record<string, string> = { ...(user === 'nobody' ? {} : { authorization: basic(user.toLowerCase()) }), ...options.headers };
    const response = await app().inject({ method: method as 'GET', url, headers, ...(options.body === undefined ? {} : { payload: options.body as object }) });
    const type = String(response.headers['content-type'] ?? '');
    return { status: response.statusCode, type, body: type.includes('json') ? (response.json() as Record<string, unknown>) : (response.body as unknown as Record<string, unknown>) };
  }

  /** Calls and checks the answer against Airflow's document for `template` (the path as the document writes it). */
  async function airflow(method: string, url: string, template: string, expected: number, options: CallOptions = {}) {
    const response = await call(method, url, options);
    expect(response.status, JSON.stringify(response.body)).toBe(expected);
    expect(airflowContractErrors(template, method, expected, response.body)).toEqual([]);
    return response.body;
  }

  /** A 400 answer: a problem document in the shape of Airflow's Error schema (documented here as 403's). */
  async function badRequest(method: string, url: string, template: string, options: CallOptions = {}) {
    const response = await call(method, url, options);
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(airflowContractErrors(template, method, 403, response.body)).toEqual([]);
    return response.body;
  }

  return { call, airflow, badRequest };
}

/** A migrated database with the four role users, its store, and a built webserver on it. */
export interface WebApiFixture {
  db: TestDatabase;
  store: PgStore;
  app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Creates the database `label`, lets `prepare` fill it, adds a user per role with `password`, and builds the
 * webserver with `context` over the defaults (no Redis, a silent log, a 30 s lease).
 */
export async function openWebApi(
  label: string,
  password: string,
  prepare: (store: PgStore) => Promise<void>,
  context: Partial<WebContext> & Pick<WebContext, 'now'>,
): Promise<WebApiFixture> {
  const db = await createMigratedDatabase(label);
  const store = new PgStore(db.pool);
  await prepare(store);
  for (const role of ['Viewer', 'User', 'Op', 'Admin'] as const) await insertUser(db.pool, role.toLowerCase(), role, await hashPassword(password));
  const app = (await buildWebServer({
    store, pool: db.pool, queue: null, auth: new Authenticator(db.pool), log: silentLogger, leaseMs: 30_000,
    notify: async () => undefined, scheduleSemantics: null, ...context,
  })).app;
  await app.ready();
  return {
    db, store, app,
    async close() {
      await app.close();
      await store.close();
      await db.drop();
    },
  };
}
