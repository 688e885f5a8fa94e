/**
 * Airflow REST API v1: pools, variables, importErrors, eventLogs (the audit log), health and version; and
 * dagbridge's own endpoints under `/dagbridge/api/v1` (queues, workers, why a task instance is not running),
 * which read what `dagbridge queue list`, `workers list` and `tasks why` read (src/inspect).
 */
import { z } from 'zod';
import { readQueueReport, readWhy, readWorkerRows } from '../inspect/queries.js';
import { VERSION } from '../lib/version.js';
import { setPool } from '../store/pool-variable-queries.js';
import { listAuditPage, listImportErrorRows, listPoolUsage, listVariableRows, type PoolUsage } from '../store/web-queries.js';
import { eventLogJson, isoOrNull } from './airflow-json.js';
import { queueOr503 } from './api-queue-actions.js';
import { ApiError } from './problem.js';
import { paging, type Routes } from './routes.js';

function poolJson(pool: PoolUsage): Record<string, unknown> {
  const occupied = pool.running + pool.queued;
  return {
    name: pool.name, slots: pool.slots, occupied_slots: occupied, running_slots: pool.running, queued_slots: pool.queued,
    scheduled_slots: pool.scheduled, deferred_slots: 0, open_slots: Math.max(0, pool.slots - occupied), description: pool.description, include_deferred: false,
  };
}

function pageOf<T>(items: readonly T[], query: { limit: number; offset: number }): T[] {
  return items.slice(query.offset, query.offset + query.limit);
}

const poolName = z.object({ pool_name: z.string().min(1) });

export function registerMiscRoutes(routes: Routes): void {
  const context = routes.context;

  routes.add({ method: 'GET', path: '/api/v1/pools', summary: 'List pools', guard: { role: 'Viewer' }, query: z.object(paging) }, async ({ query }) => {
    const pools = await listPoolUsage(context.pool);
    return { pools: pageOf(pools, query).map(poolJson), total_entries: pools.length };
  });
  routes.add({ method: 'GET', path: '/api/v1/pools/{pool_name}', summary: 'Get a pool', guard: { role: 'Viewer' }, params: poolName }, async ({ params }) => {
    const pool = (await listPoolUsage(context.pool)).find((p) => p.name === params.pool_name);
    if (!pool) throw new ApiError(404, `Pool with name:'${params.pool_name}' not found`);
    return poolJson(pool);
  });
  routes.add({
    method: 'POST', path: '/api/v1/pools', summary: 'Create a pool', guard: { role: 'Op' },
    body: z.object({ name: z.string().min(1).max(256), slots: z.number().int().min(0), description: z.string().nullable().optional(), include_deferred: z.boolean().optional() }),
  }, async ({ body, audit }) => {
    if ((await listPoolUsage(context.pool)).some((p) => p.name === body.name)) throw new ApiError(409, `Pool: ${body.name} already exists`);
    await setPool(context.pool, body.name, body.slots, body.description ?? undefined);
    await audit({ event: 'pool_create', extra: { name: body.name, slots: body.slots } });
    return poolJson((await listPoolUsage(context.pool)).find((p) => p.name === body.name) as PoolUsage);
  });
  routes.add({
    method: 'PATCH', path: '/api/v1/pools/{pool_name}', summary: 'Update a pool (slots, description)', guard: { role: 'Op' }, params: poolName,
    body: z.object({ name: z.string().optional(), slots: z.number().int().min(0).optional(), description: z.string().nullable().optional() }).passthrough(),
  }, async ({ params, body, audit }) => {
    const pool = (await listPoolUsage(context.pool)).find((p) => p.name === params.pool_name);
    if (!pool) throw new ApiError(404, `Pool with name:'${params.pool_name}' not found`);
    if (body.name !== undefined && body.name !== pool.name) throw new ApiError(400, 'body.name: a pool cannot be renamed');
    await setPool(context.pool, pool.name, body.slots ?? pool.slots, body.description ?? undefined);
    await audit({ event: 'pool_update', extra: { name: pool.name, slots: body.slots ?? pool.slots } });
    return poolJson((await listPoolUsage(context.pool)).find((p) => p.name === pool.name) as PoolUsage);
  });

  // Variables are Op's (Airflow's Viewer and User cannot read them): values may be secrets.
  routes.add({ method: 'GET', path: '/api/v1/variables', summary: 'List variables', guard: { role: 'Op' }, query: z.object(paging) }, async ({ query }) => {
    const rows = await listVariableRows(context.pool);
    return { variables: pageOf(rows, query).map((v) => ({ key: v.key, value: v.value, description: v.description })), total_entries: rows.length };
  });
  routes.add({ method: 'GET', path: '/api/v1/variables/{variable_key}', summary: 'Get a variable', guard: { role: 'Op' }, params: z.object({ variable_key: z.string().min(1) }) }, async ({ params }) => {
    const row = (await listVariableRows(context.pool)).find((v) => v.key === params.variable_key);
    if (!row) throw new ApiError(404, `Variable does not exist: ${params.variable_key}`);
    return { key: row.key, value: row.value, description: row.description };
  });

  routes.add({ method: 'GET', path: '/api/v1/importErrors', summary: 'List import errors', guard: { role: 'Viewer' }, query: z.object(paging) }, async ({ query }) => {
    const rows = await listImportErrorRows(context.pool);
    return {
      import_errors: pageOf(rows, query).map((e) => ({ import_error_id: e.id, timestamp: isoOrNull(e.updatedAt), filename: e.file, stack_trace: e.traceback || `${e.type}: ${e.message}` })),
      total_entries: rows.length,
    };
  });

  routes.add({
    method: 'GET', path: '/api/v1/eventLogs', summary: 'List the audit log (Airflow event logs)', guard: { role: 'Admin' },
    query: z.object({ ...paging, dag_id: z.string().optional(), event: z.string().optional(), owner: z.string().optional() }),
  }, async ({ query }) => {
    const page = await listAuditPage(context.pool, { limit: query.limit, offset: query.offset, orderBy: query.order_by, dagId: query.dag_id, event: query.event, username: query.owner });
    return { event_logs: page.items.map(eventLogJson), total_entries: page.total };
  });

  routes.add({ method: 'GET', path: '/api/v1/health', summary: 'Health of the metadata database and the schedulers', guard: { role: 'public' } }, async () => {
    let database = 'healthy';
    try {
      await context.pool.query('SELECT 1');
    } catch {
      // The answer itself reports the failure.
      database = 'unhealthy';
    }
    // Schedulers do not heartbeat into the database; the newest worker heartbeat stands for the cluster's.
    const workers = await context.store.listWorkers().catch(() => []);
    const latest = workers.reduce<number | null>((max, w) => (max === null || w.lastHeartbeatAt > max ? w.lastHeartbeatAt : max), null);
    return {
      metadatabase: { status: database },
      scheduler: { status: latest !== null && context.now() - latest < 2 * context.leaseMs ? 'healthy' : 'unhealthy', latest_scheduler_heartbeat: isoOrNull(latest) },
    };
  });
  routes.add({ method: 'GET', path: '/api/v1/version', summary: 'Version of the server', guard: { role: 'Viewer' } }, async () => ({ version: VERSION, git_version: null }));

  // ---- dagbridge's own ----
  routes.add({ method: 'GET', path: '/dagbridge/api/v1/queues', summary: 'Queues: depth, oldest age, in flight, dead letters, warnings', guard: { role: 'Viewer' }, airflow: false }, async () => {
    return readQueueReport(context.store, queueOr503(context), context.now(), context.leaseMs);
  });
  routes.add({ method: 'GET', path: '/dagbridge/api/v1/workers', summary: 'Workers: state, slots, queues served and refused with the reasons', guard: { role: 'Viewer' }, airflow: false }, async () => {
    return { workers: await readWorkerRows(context.store, context.now(), context.leaseMs) };
  });
  routes.add({
    method: 'GET', path: '/dagbridge/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/why', summary: 'Why a task instance is not running (as dagbridge tasks why)', guard: { role: 'Viewer' }, airflow: false,
    params: z.object({ dag_id: z.string().min(1), dag_run_id: z.string().min(1), task_id: z.string().min(1) }),
    query: z.object({ map_index: z.coerce.number().int().min(-1).default(-1) }),
  }, async ({ params, query }) => {
    try {
      return await readWhy(context.store, context.queue, { dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mapIndex: query.map_index }, context.now(), context.leaseMs);
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'NOT_FOUND') throw new ApiError(404, error.message);
      throw error;
    }
  });
}
