/**
 * Airflow REST API v1: connections (`/api/v1/connections`), on the connections table with the code
 * `dagbridge connections` uses (src/connections): secrets encrypted under the Fernet key, ids checked by Airflow's
 * rule. As Airflow's schema, a password is accepted and never returned; the extra of one connection is returned
 * with its sensitive values as `***` (Airflow's masker keys), the list carries no password or extra at all.
 * Op's, as in Airflow (Viewer and User cannot read connections).
 */
import { z } from 'zod';
import { ConnectionTable } from '../connections/connection-table.js';
import { ConnectionFormError, connIdProblem, normalizeConnType } from '../connections/forms.js';
import { maskConnection } from '../connections/mask.js';
import { FernetError } from '../lib/fernet.js';
import type { ConnectionRecord } from '../ports/connections.js';
import { listConnectionRows } from '../store/connection-queries.js';
import { ApiError } from './problem.js';
import { maskOf, paging, repeated, type Routes, type WebContext } from './routes.js';

type Fields = Omit<ConnectionRecord, 'connId'>;

/** Airflow's ConnectionCollectionItem. */
function itemJson(conn: Pick<ConnectionRecord, keyof ConnectionRecord>): Record<string, unknown> {
  return { connection_id: conn.connId, conn_type: conn.connType, description: conn.description, host: conn.host, login: conn.login, schema: conn.schema, port: conn.port };
}

/** Airflow's Connection, without the password, with the extra masked. */
function connectionJson(conn: ConnectionRecord): Record<string, unknown> {
  return { ...itemJson(conn), extra: maskConnection(conn).extra };
}

const fields = {
  conn_type: z.string().min(1),
  description: z.string().nullable().optional(),
  host: z.string().nullable().optional(),
  login: z.string().nullable().optional(),
  schema: z.string().nullable().optional(),
  port: z.number().int().min(0).max(65535).nullable().optional(),
  password: z.string().nullable().optional(),
  extra: z.string().nullable().optional(),
};
const KEYS: Record<keyof typeof fields, keyof Fields> = { conn_type: 'connType', description: 'description', host: 'host', login: 'login', schema: 'schema', port: 'port', password: 'password', extra: 'extra' };

const connectionId = z.object({ connection_id: z.string().min(1) });

/** Runs a table call, turning a missing or wrong key and a bad form into answers that name the problem. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof FernetError) throw new ApiError(error.code === 'INVALID_TOKEN' ? 500 : 503, `${error.message} (webserver setting)`);
    if (error instanceof ConnectionFormError) throw new ApiError(400, `body: ${error.message}`);
    throw error;
  }
}

function tableOf(context: WebContext): ConnectionTable {
  return new ConnectionTable(context.pool, context.fernetKey ?? null);
}

function applyFields(conn: ConnectionRecord, body: Partial<Record<keyof typeof fields, unknown>>, only: readonly string[] | null): ConnectionRecord {
  const next: Record<string, unknown> = { ...conn };
  for (const [name, key] of Object.entries(KEYS)) {
    if (!(name in body) || (only && !only.includes(name))) continue;
    const value = body[name as keyof typeof fields] ?? null;
    next[key] = name === 'conn_type' && typeof value === 'string' ? normalizeConnType(value) : value;
  }
  return next as unknown as ConnectionRecord;
}

export function registerConnectionRoutes(routes: Routes): void {
  const context = routes.context;
  const orderable: Record<string, keyof ConnectionRecord> = { connection_id: 'connId', conn_type: 'connType', host: 'host', login: 'login', schema: 'schema', port: 'port', description: 'description' };

  routes.add({ method: 'GET', path: '/api/v1/connections', summary: 'List connections (no password or extra)', guard: { role: 'Op' }, query: z.object(paging) }, async ({ query }) => {
    const order = query.order_by ?? 'connection_id';
    const field = orderable[order.replace(/^-/, '')];
    if (!field) throw new ApiError(400, `query.order_by: "${order}" is not allowed; use one of ${Object.keys(orderable).join(', ')} (- in front for descending)`);
    const rows = await listConnectionRows(context.pool);
    const sign = order.startsWith('-') ? -1 : 1;
    rows.sort((a, b) => {
      const x = a[field] ?? '';
      const y = b[field] ?? '';
      return (x < y ? -1 : x > y ? 1 : 0) * sign;
    });
    return { connections: rows.slice(query.offset, query.offset + query.limit).map(itemJson), total_entries: rows.length };
  });

  routes.add({ method: 'GET', path: '/api/v1/connections/{connection_id}', summary: 'Get a connection (password never returned; sensitive extra values as ***)', guard: { role: 'Op' }, params: connectionId }, async ({ params }) => {
    const conn = await guarded(() => tableOf(context).getConnection(params.connection_id));
    if (!conn) throw new ApiError(404, `The Connection with connection_id: \`${params.connection_id}\` was not found`);
    return connectionJson(conn);
  });

  routes.add({
    method: 'POST', path: '/api/v1/connections', summary: 'Create a connection (encrypted under the Fernet key)', guard: { role: 'Op' },
    body: z.object({ connection_id: z.string({ required_error: 'connection_id is required' }).min(1), ...fields, conn_type: z.string({ required_error: 'conn_type is required' }).min(1) }).strict(),
  }, async ({ body, audit }) => {
    const problem = connIdProblem(body.connection_id);
    if (problem) throw new ApiError(400, `body.connection_id: ${problem}`);
    const conn = applyFields({ connId: body.connection_id, connType: null, description: null, host: null, schema: null, login: null, password: null, port: null, extra: null }, body, null);
    const added = await guarded(() => tableOf(context).add(conn));
    if (!added) throw new ApiError(409, `Connection already exist. ID: ${body.connection_id}`);
    await audit({ event: 'connection_create', extra: { connection_id: conn.connId, conn_type: conn.connType } });
    return connectionJson(conn);
  });

  routes.add({
    method: 'PATCH', path: '/api/v1/connections/{connection_id}', summary: 'Update a connection (update_mask names the fields)', guard: { role: 'Op' }, params: connectionId,
    query: z.object({ update_mask: repeated }),
    body: z.object({ connection_id: z.string().min(1).optional(), ...fields, conn_type: z.string().min(1).optional() }).strict(),
  }, async ({ params, query, body, audit }) => {
    if (body.connection_id !== undefined && body.connection_id !== params.connection_id) throw new ApiError(400, 'body.connection_id: the connection_id cannot be updated');
    const mask = maskOf(query.update_mask);
    const unknown = (mask ?? []).filter((m) => !(m in KEYS));
    if (unknown.length > 0) throw new ApiError(400, `query.update_mask: ${unknown.join(', ')} is not a connection field; use ${Object.keys(KEYS).join(', ')}`);
    const table = tableOf(context);
    const conn = await guarded(() => table.getConnection(params.connection_id));
    if (!conn) throw new ApiError(404, `The Connection with connection_id: \`${params.connection_id}\` was not found`);
    const next = applyFields(conn, body, mask);
    await guarded(() => table.put(next));
    const changed = Object.keys(KEYS).filter((name) => name in body && (!mask || mask.includes(name)));
    await audit({ event: 'connection_update', extra: { connection_id: conn.connId, fields: changed } });
    return connectionJson(next);
  });

  routes.add({ method: 'DELETE', path: '/api/v1/connections/{connection_id}', summary: 'Delete a connection', guard: { role: 'Op' }, params: connectionId }, async ({ params, reply, audit }) => {
    if (!(await tableOf(context).delete(params.connection_id))) throw new ApiError(404, `The Connection with connection_id: \`${params.connection_id}\` was not found`);
    await audit({ event: 'connection_delete', extra: { connection_id: params.connection_id } });
    return reply.code(204).send();
  });
}
