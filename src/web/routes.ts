/**
 * How the webserver's routes are declared: method, path, the role they need, zod schemas for path parameters,
 * query and body (validated at the edge: a bad value answers 400 naming `query.limit` or `body.state`), and a
 * handler. Every declared route is listed in dagbridge's own OpenAPI document (`/api/v1/openapi.json`), so
 * that document names exactly what is implemented.
 */
import type { CustomTimetables } from '../ports/custom-timetable.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { z, type ZodType } from 'zod';
import type { Logger } from '../lib/logger.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { PgStore } from '../store/pg-store.js';
import { insertAudit, type AuditEntry } from '../store/web-queries.js';
import { authorize, type Authenticator, type Guard, type Identity } from './auth.js';
import { ApiError, describeZodError } from './problem.js';

/** What every handler may use. */
export interface WebContext {
  store: PgStore;
  pool: pg.Pool;
  /** Redis, for the queue pages; null when the webserver runs without Redis. */
  queue: TaskQueue | null;
  auth: Authenticator;
  log: Logger;
  leaseMs: number;
  now(): number;
  /** Wakes schedulers after a change (trigger, clear, unpause). */
  notify(what: string): Promise<void>;
  /** Wakes idle workers of these queues (after a dead letter is put back); absent without Redis. */
  signalWork?(queues: string[]): Promise<void>;
  scheduleSemantics: 'data_interval' | 'trigger' | null;
  /** Answers a custom timetable's `infer_manual_data_interval` when a run is triggered (the webserver's own folders, docs/scheduling.md). */
  timetables?: CustomTimetables;
  /** The Fernet key list connections are encrypted under (DAGBRIDGE_FERNET_KEY); null or absent: connections cannot be read or written. */
  fernetKey?: string | null;
  /** Bounds of a triggered run's conf (`maxConfBytes`, `maxJsonDepth`); default 1 MiB and 64 levels. */
  confLimits?: { maxConfBytes: number; maxJsonDepth: number };
}

/** A parsed request as handlers see it. */
export interface Call<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  user: Identity;
  request: FastifyRequest;
  reply: FastifyReply;
  /** Writes one audit log row for the caller. */
  audit(entry: Omit<AuditEntry, 'username'>): Promise<void>;
}

/** A route in dagbridge's OpenAPI document. */
export interface DeclaredRoute {
  method: string;
  path: string;
  summary: string;
  role: string;
  airflow: boolean;
}

/** Declares routes on a Fastify instance and remembers them for the OpenAPI document. */
export class Routes {
  readonly declared: DeclaredRoute[] = [];

  constructor(readonly app: FastifyInstance, readonly context: WebContext) {}

  add<P extends ZodType, Q extends ZodType, B extends ZodType>(
    spec: {
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
      path: string;
      summary: string;
      guard: Guard;
      params?: P;
      query?: Q;
      body?: B;
      /** False for dagbridge's own endpoints. Default true. */
      airflow?: boolean;
    },
    handler: (call: Call<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown>,
  ): void {
    this.declared.push({ method: spec.method, path: spec.path, summary: spec.summary, role: spec.guard.role, airflow: spec.airflow ?? true });
    // A trailing `{uri}` is Airflow's `format: path` parameter: a dataset URI may hold slashes, encoded or not.
    const fastifyPath = spec.path.replace(/\{uri\}$/, '*').replace(/\{([a-z_]+)\}/g, ':$1');
    this.app.route({
      method: spec.method,
      url: fastifyPath,
      handler: async (request, reply) => {
        const user = await authorize(this.context.auth, request, spec.guard);
        const raw = request.params as Record<string, string>;
        const params = parse('path', spec.params, '*' in raw ? { ...raw, uri: raw['*'] } : raw);
        const query = parse('query', spec.query, request.query);
        const body = parse('body', spec.body, request.body ?? {});
        const audit = (entry: Omit<AuditEntry, 'username'>): Promise<void> => insertAudit(this.context.pool, { ...entry, username: user.username });
        const result = await handler({ params, query, body, user, request, reply, audit } as Call<z.infer<P>, z.infer<Q>, z.infer<B>>);
        if (reply.sent) return reply;
        return result;
      },
    });
  }
}

function parse(where: string, schema: ZodType | undefined, value: unknown): unknown {
  if (!schema) return value;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError(400, describeZodError(where, parsed.error));
  return parsed.data;
}

// ---- Shared parameter schemas ----

/** Airflow's `limit` (default 100) and `offset`. The largest page is 1000 (Airflow's maximum_page_limit default 100 is configurable). */
export const paging = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  order_by: z.string().min(1).optional(),
};

/** A query parameter that may repeat (`?tags=a&tags=b`), as a list. */
export const repeated = z.union([z.string(), z.array(z.string())]).transform((value) => (Array.isArray(value) ? value : [value])).optional();

/** The fields an `update_mask` names (comma-separated or repeated), or null without one. */
export function maskOf(updateMask: readonly string[] | undefined): string[] | null {
  if (!updateMask) return null;
  return updateMask.flatMap((m) => m.split(',')).map((m) => m.trim()).filter((m) => m !== '');
}

/** `true`/`false` in a query string. */
export const queryBoolean = z.enum(['true', 'false', 'True', 'False', '1', '0']).transform((value) => value === 'true' || value === 'True' || value === '1');

/** A `{dag_id}` (and the rest of the key) in a path. */
export const dagParams = z.object({ dag_id: z.string().min(1) });
export const runParams = dagParams.extend({ dag_run_id: z.string().min(1) });
export const taskParams = runParams.extend({ task_id: z.string().min(1) });
export const mappedTaskParams = taskParams.extend({ map_index: z.coerce.number().int().min(-1) });
