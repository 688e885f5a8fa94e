/**
 * Airflow REST API v1: task instances, their tries, their logs by try and their XComs.
 *
 * Logs: Airflow answers `GET .../logs/{try}` with `{content, continuation_token}` (or the plain text with
 * `Accept: text/plain`). dagbridge's token is the base64url of `{"seq": N}`, the last line sequence number
 * returned; sending it back returns only later lines, which is how a client follows a running task's log.
 * `full_content=true` returns every line, ignoring the token.
 */
import { z } from 'zod';
import type { DagRunRecord, TaskInstanceKey, TaskInstanceRecord } from '../ports/metadata-store.js';
import { latestRenderedFields, listTaskInstancesPage, listTaskXcoms, listTries } from '../store/web-queries.js';
import { isoOrNull, taskInstanceJson, tryJson } from './airflow-json.js';
import { runOr404, specOf } from './api-dags.js';
import { ApiError } from './problem.js';
import { dagParams, mappedTaskParams, paging, repeated, runParams, taskParams, type Routes, type WebContext } from './routes.js';
import { applyClear, clearTargets, planClear, type RunClear } from '../actions/clear-task-instances.js';
import { selectTasks } from '../actions/mark-task-instances.js';
import { runsInRange } from '../actions/run-range.js';

async function instanceOr404(context: WebContext, key: TaskInstanceKey): Promise<{ ti: TaskInstanceRecord; run: DagRunRecord; operator: string | null }> {
  const run = await runOr404(context, key.dagId, key.runId);
  const ti = await context.store.getTaskInstance(key);
  if (!ti) throw new ApiError(404, `Task instance ${key.taskId}${key.mapIndex >= 0 ? `[${key.mapIndex}]` : ''} of DAG run ${key.runId} of DAG ${key.dagId} not found`);
  const spec = await context.store.getDagVersion(run.dagId, run.versionHash);
  return { ti, run, operator: spec?.tasks.find((t) => t.taskId === key.taskId)?.operator ?? null };
}

const tiListQuery = z.object({ ...paging, state: repeated, pool: repeated, queue: repeated });

/** The opaque continuation token of a log read. */
export function logToken(seq: number): string {
  return Buffer.from(JSON.stringify({ seq })).toString('base64url');
}

function parseLogToken(token: string): number {
  try {
    const parsed = z.object({ seq: z.number().int().min(-1) }).parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.seq;
  } catch {
    throw new ApiError(400, 'query.token: not a continuation token this server returned; omit it to read from the start');
  }
}

export function registerTaskInstanceRoutes(routes: Routes): void {
  const context = routes.context;

  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances', summary: 'List task instances of a DAG run (~ for every DAG or run)', guard: { role: 'Viewer' }, params: runParams, query: tiListQuery }, async ({ params, query }) => {
    const page = await listTaskInstancesPage(context.pool, {
      dagId: params.dag_id === '~' ? undefined : params.dag_id,
      runId: params.dag_run_id === '~' ? undefined : params.dag_run_id,
      states: query.state?.map((s) => (s === '' || s === 'null' ? 'none' : s)),
      pools: query.pool, queues: query.queue,
      limit: query.limit, offset: query.offset, orderBy: query.order_by,
    });
    return { task_instances: page.items.map((ti) => taskInstanceJson(ti, ti.logicalDate, null)), total_entries: page.total };
  });

  const getOne = async (key: TaskInstanceKey): Promise<Record<string, unknown>> => {
    const { ti, run, operator } = await instanceOr404(context, key);
    const rendered = await latestRenderedFields(context.pool, key);
    return taskInstanceJson(ti, run.logicalDate ?? run.runAfter, operator, rendered?.fields ?? {});
  };
  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}', summary: 'Get a task instance', guard: { role: 'Viewer' }, params: taskParams }, ({ params }) =>
    getOne({ dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mapIndex: -1 }));
  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}', summary: 'Get a mapped task instance', guard: { role: 'Viewer' }, params: mappedTaskParams }, ({ params }) =>
    getOne({ dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mapIndex: params.map_index }));

  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/listMapped', summary: 'List the mapped task instances of a task', guard: { role: 'Viewer' }, params: taskParams, query: tiListQuery }, async ({ params, query }) => {
    await runOr404(context, params.dag_id, params.dag_run_id);
    const page = await listTaskInstancesPage(context.pool, { dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mappedOnly: true, states: query.state, limit: query.limit, offset: query.offset, orderBy: query.order_by ?? 'map_index' });
    return { task_instances: page.items.map((ti) => taskInstanceJson(ti, ti.logicalDate, null)), total_entries: page.total };
  });

  const tries = async (key: TaskInstanceKey): Promise<Record<string, unknown>> => {
    const { ti, run, operator } = await instanceOr404(context, key);
    const rows = await listTries(context.pool, key);
    return { task_instances: rows.map((row) => tryJson(ti, row, run.logicalDate ?? run.runAfter, operator)), total_entries: rows.length };
  };
  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries', summary: 'List the tries of a task instance', guard: { role: 'Viewer' }, params: taskParams }, ({ params }) =>
    tries({ dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mapIndex: -1 }));
  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/tries', summary: 'List the tries of a mapped task instance', guard: { role: 'Viewer' }, params: mappedTaskParams }, ({ params }) =>
    tries({ dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mapIndex: params.map_index }));
  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries/{task_try_number}', summary: 'Get one try of a task instance', guard: { role: 'Viewer' }, params: taskParams.extend({ task_try_number: z.coerce.number().int().min(1) }) }, async ({ params }) => {
    const key = { dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mapIndex: -1 };
    const { ti, run, operator } = await instanceOr404(context, key);
    const row = (await listTries(context.pool, key)).find((t) => t.tryNumber === params.task_try_number);
    if (!row) throw new ApiError(404, `Task instance ${params.task_id} has no try ${params.task_try_number}`);
    return tryJson(ti, row, run.logicalDate ?? run.runAfter, operator);
  });

  routes.add({
    method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{task_try_number}', summary: 'Get the log of one try (full_content, token)', guard: { role: 'Viewer' },
    params: taskParams.extend({ task_try_number: z.coerce.number().int().min(1) }),
    query: z.object({ full_content: z.enum(['true', 'false', 'True', 'False']).optional(), map_index: z.coerce.number().int().min(-1).default(-1), token: z.string().optional() }),
  }, async ({ params, query, request, reply }) => {
    const key = { dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mapIndex: query.map_index };
    const { ti } = await instanceOr404(context, key);
    if (params.task_try_number > Math.max(ti.tryNumber, 1)) throw new ApiError(404, `Task instance ${params.task_id} has no try ${params.task_try_number} (its try number is ${ti.tryNumber})`);
    const full = query.full_content === 'true' || query.full_content === 'True';
    const after = full || query.token === undefined ? -1 : parseLogToken(query.token);
    const lines = await context.store.readLogLines(key, params.task_try_number, after);
    const last = lines.at(-1)?.seq ?? after;
    const content = lines.map((line) => `${line.line}\n`).join('');
    if ((request.headers.accept ?? '').includes('text/plain')) return reply.type('text/plain; charset=utf-8').send(content);
    return { content, continuation_token: logToken(last) };
  });

  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries', summary: 'List XCom entries of a task instance', guard: { role: 'Viewer' }, params: taskParams, query: z.object({ ...paging, map_index: z.coerce.number().int().min(-1).default(-1) }) }, async ({ params, query }) => {
    const key = { dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mapIndex: query.map_index };
    const { run } = await instanceOr404(context, key);
    const all = await listTaskXcoms(context.pool, key);
    const entries = all.slice(query.offset, query.offset + query.limit).map((x) => ({ key: x.key, timestamp: isoOrNull(x.updatedAt), execution_date: run.logicalDate ?? run.runAfter, map_index: key.mapIndex, task_id: key.taskId, dag_id: key.dagId }));
    return { xcom_entries: entries, total_entries: all.length };
  });

  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}', summary: 'Get an XCom entry', guard: { role: 'Viewer' }, params: taskParams.extend({ xcom_key: z.string().min(1) }), query: z.object({ map_index: z.coerce.number().int().min(-1).default(-1), deserialize: z.string().optional(), stringify: z.string().optional() }) }, async ({ params, query }) => {
    const key = { dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mapIndex: query.map_index };
    const { run } = await instanceOr404(context, key);
    const entry = (await listTaskXcoms(context.pool, key)).find((x) => x.key === params.xcom_key);
    if (!entry) throw new ApiError(404, `XCom entry with key: '${params.xcom_key}' not found`);
    // Airflow 2.10 returns the value stringified unless `stringify=false`.
    const value = query.stringify === 'false' ? entry.value : JSON.stringify(entry.value);
    return { key: entry.key, timestamp: isoOrNull(entry.updatedAt), execution_date: run.logicalDate ?? run.runAfter, map_index: key.mapIndex, task_id: key.taskId, dag_id: key.dagId, value };
  });

  routes.add({
    method: 'POST', path: '/api/v1/dags/{dag_id}/clearTaskInstances', summary: 'Clear task instances of a run (dag_run_id, task_ids, include_downstream/upstream, include_past/future)', guard: { role: 'User' }, params: dagParams,
    body: z.object({
      dag_run_id: z.string().min(1, 'dag_run_id is required: dagbridge clears from one run (include_past / include_future reach the others)'),
      task_ids: z.array(z.string().min(1)).optional(),
      dry_run: z.boolean().default(true),
      include_downstream: z.boolean().default(false),
      include_upstream: z.boolean().default(false),
      include_past: z.boolean().default(false),
      include_future: z.boolean().default(false),
      // Airflow 2.10.5's ClearTaskInstancesForm: only_failed defaults to true, and cannot go with only_running.
      only_failed: z.boolean().default(true),
      only_running: z.boolean().default(false),
      reset_dag_runs: z.boolean().default(true),
      // Airflow's "Recursive" (DAG.clear's include_dependent_dags): follow ExternalTaskMarkers into other DAGs.
      include_subdags: z.boolean().default(false),
    }).passthrough().refine((body) => !(body.only_failed && body.only_running), { message: 'only_failed and only_running both are set to True: set only_failed to false to clear only running task instances', path: ['only_running'] }),
  }, async ({ params, body, audit }) => {
    const run = await runOr404(context, params.dag_id, body.dag_run_id);
    const spec = await specOf(context, run);
    const picked = selectTasks(spec, body.task_ids ?? spec.tasks.map((t) => t.taskId), { downstream: body.include_downstream, upstream: body.include_upstream });
    if ('unknown' in picked) throw new ApiError(400, `body.task_ids: task "${picked.unknown}" is not in DAG ${params.dag_id}`);
    // include_past / include_future: the same tasks in the DAG's earlier / later runs (each by its own version).
    const plan: RunClear[] = [];
    for (const each of await runsInRange(context.store, run, { past: body.include_past, future: body.include_future })) {
      const eachSpec = each.runId === run.runId ? spec : await specOf(context, each);
      const known = new Set(eachSpec.tasks.map((t) => t.taskId));
      const taskIds = new Set([...picked.selected].filter((id) => known.has(id)));
      // As `dagbridge tasks clear`: with the downstream (or include_subdags, Airflow's "Recursive"), the tasks
      // ExternalTaskMarkers point at in other DAGs too.
      plan.push(...(body.include_downstream || body.include_subdags ? await planClear(context.store, each, eachSpec, taskIds) : [{ run: each, spec: eachSpec, taskIds }]));
    }
    const parts = await clearTargets(context.store, plan, body.only_failed ? 'failed' : body.only_running ? 'running' : 'all');
    const targets = parts.flatMap((part) => part.targets.map((ti) => ({ ti, run: part.run })));
    if (!body.dry_run) {
      await applyClear(context.store, parts, context.now(), { resetDagRuns: body.reset_dag_runs });
      for (const part of parts.filter((p) => p.targets.length > 0)) await audit({ event: 'clear', dagId: part.run.dagId, runId: part.run.runId, extra: { task_ids: [...part.taskIds].sort() } });
      await context.notify('clear');
    }
    return {
      task_instances: targets.map(({ ti, run: of }) => ({ task_id: ti.taskId, dag_id: ti.dagId, dag_run_id: ti.runId, execution_date: of.logicalDate ?? of.runAfter, map_index: ti.mapIndex })),
      total_entries: targets.length,
    };
  });
}
