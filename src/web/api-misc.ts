/**
 * Airflow REST API v1: importErrors, eventLogs (the audit log), health and version; and
 * dagbridge's own endpoints under `/dagbridge/api/v1` (queues, workers, why a task instance is not running),
 * which read what `dagbridge queue list`, `workers list` and `tasks why` read (src/inspect).
 */
import { z } from 'zod';
import { readQueueReport, readWhy, readWorkerRows } from '../inspect/queries.js';
import { VERSION } from '../lib/version.js';
import { listAuditPage, listImportErrorRows } from '../store/web-queries.js';
import { eventLogJson, isoOrNull } from './airflow-json.js';
import { queueOr503 } from './api-queue-actions.js';
import { ApiError } from './problem.js';
import { paging, type Routes } from './routes.js';

export function registerMiscRoutes(routes: Routes): void {
  const context = routes.context;

  routes.add({ method: 'GET', path: '/api/v1/importErrors', summary: 'List import errors', guard: { role: 'Viewer' }, query: z.object(paging) }, async ({ query }) => {
    const rows = await listImportErrorRows(context.pool);
    return {
      import_errors: rows.slice(query.offset, query.offset + query.limit).map((e) => ({ import_error_id: e.id, timestamp: isoOrNull(e.updatedAt), filename: e.file, stack_trace: e.traceback || `${e.type}: ${e.message}` })),
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
