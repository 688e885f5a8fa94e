/**
 * Airflow REST API v1: pools (`/api/v1/pools`) and variables (`/api/v1/variables`), after Airflow 2.10.5's
 * api_connexion/endpoints/pool_endpoint.py and variable_endpoint.py. Reading pools is Viewer's; changing them
 * and everything of variables is Op's (FAB's Op role holds can_read/create/edit/delete on both; Viewer and User
 * cannot read variables, whose values may be secrets). As Airflow's REST API, variable values are returned
 * as stored (Airflow masks sensitive ones only in its own web pages, not in the API); each change is an audit
 * row that names the key, never the value.
 */
import { z } from 'zod';
import { deletePool, deleteVariable, putVariable, setPool, updatePool } from '../store/pool-variable-queries.js';
import { listPoolUsage, listVariableRows, type PoolUsage } from '../store/web-queries.js';
import { ApiError } from './problem.js';
import { maskOf, paging, repeated, type Routes, type WebContext } from './routes.js';

const DEFAULT_POOL = 'default_pool';

/**
 * Airflow's `Pool` object. A deferral runs inline in the task's process (docs/shim.md "Deferred tasks"): the task
 * stays `running` in its slots while it waits, never `deferred`, so deferred slots are 0 and include_deferred false.
 */
function poolJson(pool: PoolUsage): Record<string, unknown> {
  const occupied = pool.running + pool.queued;
  return {
    name: pool.name, slots: pool.slots, occupied_slots: occupied, running_slots: pool.running, queued_slots: pool.queued,
    scheduled_slots: pool.scheduled, deferred_slots: 0, open_slots: Math.max(0, pool.slots - occupied), description: pool.description, include_deferred: false,
  };
}

type VariableRow = { key: string; value: string; description: string | null };

function variableJson(row: VariableRow): Record<string, unknown> {
  return { key: row.key, value: row.value, description: row.description };
}

/** Sorts `rows` by Airflow's `order_by` (`-` in front for descending), naming the allowed fields when it is not one. */
function sorted<T>(rows: T[], order: string | undefined, fallback: string, fields: Readonly<Record<string, (row: T) => string | number>>): T[] {
  const requested = order ?? fallback;
  const field = fields[requested.replace(/^-/, '')];
  if (!field) throw new ApiError(400, `query.order_by: "${requested}" is not allowed; use one of ${Object.keys(fields).join(', ')} (- in front for descending)`);
  const sign = requested.startsWith('-') ? -1 : 1;
  return rows.sort((a, b) => {
    const x = field(a);
    const y = field(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sign;
  });
}

async function poolOr404(context: WebContext, name: string): Promise<PoolUsage> {
  const pool = (await listPoolUsage(context.pool)).find((p) => p.name === name);
  if (!pool) throw new ApiError(404, `Pool with name:'${name}' not found`);
  return pool;
}

async function variableOr404(context: WebContext, key: string): Promise<VariableRow> {
  const row = (await listVariableRows(context.pool)).find((v) => v.key === key);
  if (!row) throw new ApiError(404, `Variable does not exist: ${key}`);
  return row;
}

const poolName = z.object({ pool_name: z.string().min(1) });
const variableKey = z.object({ variable_key: z.string().min(1) });
const poolFields = {
  name: z.string({ required_error: 'name is required' }).min(1).max(256),
  slots: z.number({ required_error: 'slots is required' }).int().min(-1),
  description: z.string().nullable().optional(),
  include_deferred: z.boolean().optional(),
};
const variableBody = z.object({
  key: z.string({ required_error: 'key is required' }).min(1).max(250),
  value: z.string({ required_error: 'value is required', invalid_type_error: 'value must be a string (JSON-encode other values)' }),
  description: z.string().nullable().optional(),
}).strict();

export function registerPoolAndVariableRoutes(routes: Routes): void {
  const context = routes.context;
  const poolOrder = { name: (p: PoolUsage) => p.name, slots: (p: PoolUsage) => p.slots, id: (p: PoolUsage) => p.name };

  routes.add({ method: 'GET', path: '/api/v1/pools', summary: 'List pools (order_by name, slots)', guard: { role: 'Viewer' }, query: z.object(paging) }, async ({ query }) => {
    const pools = sorted(await listPoolUsage(context.pool), query.order_by, 'id', poolOrder);
    return { pools: pools.slice(query.offset, query.offset + query.limit).map(poolJson), total_entries: pools.length };
  });
  routes.add({ method: 'GET', path: '/api/v1/pools/{pool_name}', summary: 'Get a pool', guard: { role: 'Viewer' }, params: poolName }, async ({ params }) => poolJson(await poolOr404(context, params.pool_name)));
  routes.add({
    method: 'POST', path: '/api/v1/pools', summary: 'Create a pool', guard: { role: 'Op' }, body: z.object(poolFields).strict(),
  }, async ({ body, audit }) => {
    if (body.slots < 0) throw new ApiError(400, 'body.slots: dagbridge pools have a fixed number of slots (0 or more); -1 (unlimited) is not supported');
    if ((await listPoolUsage(context.pool)).some((p) => p.name === body.name)) throw new ApiError(409, `Pool: ${body.name} already exists`);
    await setPool(context.pool, body.name, body.slots, body.description ?? undefined);
    await audit({ event: 'pool_create', extra: { name: body.name, slots: body.slots } });
    return poolJson(await poolOr404(context, body.name));
  });
  routes.add({
    method: 'PATCH', path: '/api/v1/pools/{pool_name}', summary: 'Update a pool (name, slots, description; update_mask names the fields)', guard: { role: 'Op' }, params: poolName,
    query: z.object({ update_mask: repeated }),
    body: z.object({ name: poolFields.name.optional(), slots: poolFields.slots.optional(), description: poolFields.description, include_deferred: poolFields.include_deferred }).strict(),
  }, async ({ params, query, body, audit }) => {
    const mask = maskOf(query.update_mask);
    // Airflow: only slots and include_deferred of default_pool may change.
    if (params.pool_name === DEFAULT_POOL && body.name !== DEFAULT_POOL && !(mask && mask.every((m) => m === 'slots' || m === 'include_deferred'))) {
      throw new ApiError(400, "Default Pool's name can't be modified");
    }
    const pool = await poolOr404(context, params.pool_name);
    const unknown = (mask ?? []).filter((m) => !(m in poolFields));
    if (unknown.length > 0) throw new ApiError(400, `query.update_mask: Invalid field: ${unknown[0]} in update mask`);
    if (!mask) {
      const missing = (['name', 'slots'] as const).filter((f) => body[f] === undefined);
      if (missing.length > 0) throw new ApiError(400, `body.${missing[0]}: Missing required property(ies): ${JSON.stringify(missing)}`);
    }
    const chosen = (field: keyof typeof poolFields): boolean => field in body && (!mask || mask.includes(field));
    if (chosen('slots') && (body.slots as number) < 0) throw new ApiError(400, 'body.slots: dagbridge pools have a fixed number of slots (0 or more); -1 (unlimited) is not supported');
    const next = { ...(chosen('name') ? { name: body.name } : {}), ...(chosen('slots') ? { slots: body.slots } : {}), ...(chosen('description') ? { description: body.description ?? null } : {}) };
    if (next.name !== undefined && next.name !== pool.name && (await listPoolUsage(context.pool)).some((p) => p.name === next.name)) throw new ApiError(409, `Pool: ${next.name} already exists`);
    await updatePool(context.pool, pool.name, next);
    await audit({ event: 'pool_update', extra: { name: pool.name, ...next } });
    return poolJson(await poolOr404(context, next.name ?? pool.name));
  });
  routes.add({ method: 'DELETE', path: '/api/v1/pools/{pool_name}', summary: 'Delete a pool (not default_pool)', guard: { role: 'Op' }, params: poolName }, async ({ params, reply, audit }) => {
    if (params.pool_name === DEFAULT_POOL) throw new ApiError(400, "Default Pool can't be deleted");
    if (!(await deletePool(context.pool, params.pool_name))) throw new ApiError(404, `Pool with name:'${params.pool_name}' not found`);
    await audit({ event: 'pool_delete', extra: { name: params.pool_name } });
    return reply.code(204).send();
  });

  const variableOrder = { key: (v: VariableRow) => v.key, value: (v: VariableRow) => v.value, id: (v: VariableRow) => v.key };
  routes.add({ method: 'GET', path: '/api/v1/variables', summary: 'List variables (order_by key, value)', guard: { role: 'Op' }, query: z.object(paging) }, async ({ query }) => {
    const rows = sorted(await listVariableRows(context.pool), query.order_by, 'id', variableOrder);
    return { variables: rows.slice(query.offset, query.offset + query.limit).map(variableJson), total_entries: rows.length };
  });
  routes.add({ method: 'GET', path: '/api/v1/variables/{variable_key}', summary: 'Get a variable', guard: { role: 'Op' }, params: variableKey }, async ({ params }) => variableJson(await variableOr404(context, params.variable_key)));
  routes.add({
    method: 'POST', path: '/api/v1/variables', summary: 'Create or replace a variable (as Airflow, an existing key is overwritten)', guard: { role: 'Op' }, body: variableBody,
  }, async ({ body, audit }) => {
    await putVariable(context.pool, body.key, body.value, body.description ?? null);
    await audit({ event: 'variable_create', extra: { key: body.key } });
    return { key: body.key, value: body.value, ...(body.description === undefined ? {} : { description: body.description }) };
  });
  routes.add({
    method: 'PATCH', path: '/api/v1/variables/{variable_key}', summary: 'Update a variable (update_mask: value, description)', guard: { role: 'Op' }, params: variableKey,
    query: z.object({ update_mask: repeated }), body: variableBody,
  }, async ({ params, query, body, audit }) => {
    if (body.key !== params.variable_key) throw new ApiError(400, "body.key: key from request body doesn't match uri parameter");
    const row = await variableOr404(context, params.variable_key);
    const mask = maskOf(query.update_mask)?.map((m) => (m === 'val' ? 'value' : m)) ?? null;
    const refused = (mask ?? []).find((m) => m !== 'value' && m !== 'description');
    if (refused !== undefined) throw new ApiError(400, `query.update_mask: '${refused}' is unknown or cannot be updated.`);
    const chosen = (field: 'value' | 'description'): boolean => field in body && (!mask || mask.includes(field));
    const next: VariableRow = { key: row.key, value: chosen('value') ? body.value : row.value, description: chosen('description') ? body.description ?? null : row.description };
    await putVariable(context.pool, next.key, next.value, next.description);
    await audit({ event: 'variable_update', extra: { key: row.key, fields: (['value', 'description'] as const).filter(chosen) } });
    return variableJson(next);
  });
  routes.add({ method: 'DELETE', path: '/api/v1/variables/{variable_key}', summary: 'Delete a variable', guard: { role: 'Op' }, params: variableKey }, async ({ params, reply, audit }) => {
    if (!(await deleteVariable(context.pool, params.variable_key))) throw new ApiError(404, `Variable does not exist: ${params.variable_key}`);
    await audit({ event: 'variable_delete', extra: { key: params.variable_key } });
    return reply.code(204).send();
  });
}
