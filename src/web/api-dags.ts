/**
 * Airflow REST API v1: DAGs, DAG runs and dagStats (`/api/v1/dags...`, `/api/v1/dagStats`). Runs are created with
 * the scheduler's manual-run code (`triggerDagRun`), which validates the run id, so a run made here is the run
 * `dagbridge dags trigger` would make.
 */
import { CONF_LIMIT_SETTINGS, describeJsonLimitProblem, jsonLimitProblem, MAX_JSON_DEPTH } from '../lib/json-limits.js';
import { z } from 'zod';
import type { DagSpec } from '../dag/bundle.js';
import { newRunProblem } from '../dag/new-run.js';
import type { DagRecord, DagRunRecord } from '../ports/metadata-store.js';
import { runParamsProblem } from '../dag/run-params.js';
import { triggerDagRun } from '../scheduler/run-creator.js';
import { DagbridgeError } from '../lib/errors.js';
import { dagFile, dagRunStats, listDagsPage, listImportErrorRows, listRunsPage } from '../store/web-queries.js';
import { dagDetailJson, dagJson, dagRunJson, taskInstanceJson, taskJson } from './airflow-json.js';
import { ApiError } from './problem.js';
import { dagParams, paging, queryBoolean, repeated, runParams, type Routes, type WebContext } from './routes.js';

/** The stored DAG or a 404 naming it. */
export async function dagOr404(context: WebContext, dagId: string): Promise<DagRecord> {
  const dag = await context.store.getDag(dagId);
  if (!dag) throw new ApiError(404, `DAG with dag_id: '${dagId}' not found`);
  return dag;
}

/** The stored run or a 404 naming it. */
export async function runOr404(context: WebContext, dagId: string, runId: string): Promise<DagRunRecord> {
  const run = await context.store.getDagRun({ dagId, runId });
  if (!run) throw new ApiError(404, `DAGRun with DAG ID: '${dagId}' and DagRun ID: '${runId}' not found`);
  return run;
}

/** The DAG version a run was created with, or a 404 naming the run. */
export async function specOf(context: WebContext, run: DagRunRecord): Promise<DagSpec> {
  const spec = await context.store.getDagVersion(run.dagId, run.versionHash);
  if (!spec) throw new ApiError(404, `the DAG version of run ${run.runId} is missing`);
  return spec;
}

const isoDate = z.string().refine((value) => !Number.isNaN(Date.parse(value)) && /[zZ]|[+-]\d\d:?\d\d$/.test(value), 'an ISO 8601 date-time with a time zone, e.g. 2024-01-01T00:00:00+00:00');

const triggerBody = z.object({
  dag_run_id: z.string().min(1).nullable().optional(),
  logical_date: isoDate.nullable().optional(),
  execution_date: isoDate.nullable().optional(),
  conf: z.record(z.unknown()).nullable().optional(),
  note: z.string().nullable().optional(),
  data_interval_start: isoDate.nullable().optional(),
  data_interval_end: isoDate.nullable().optional(),
}).passthrough();

export function registerDagRoutes(routes: Routes): void {
  const context = routes.context;
  const failingFiles = async (): Promise<Set<string>> => new Set((await listImportErrorRows(context.pool)).map((e) => e.file));

  routes.add({
    method: 'GET', path: '/api/v1/dags', summary: 'List DAGs', guard: { role: 'Viewer' },
    query: z.object({ ...paging, tags: repeated, only_active: queryBoolean.default('true'), paused: queryBoolean.optional(), dag_id_pattern: z.string().optional(), fields: repeated }),
  }, async ({ query }) => {
    const page = await listDagsPage(context.pool, { limit: query.limit, offset: query.offset, orderBy: query.order_by, tags: query.tags, onlyActive: query.only_active, paused: query.paused, dagIdPattern: query.dag_id_pattern });
    const failing = await failingFiles();
    return { dags: page.items.map((dag) => dagJson(dag, dag.file, failing.has(dag.file))), total_entries: page.total };
  });

  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}', summary: 'Get basic information about a DAG', guard: { role: 'Viewer' }, params: dagParams }, async ({ params }) => {
    const dag = await dagOr404(context, params.dag_id);
    return dagJson(dag, (await dagFile(context.pool, dag.dagId)) ?? dag.spec.file);
  });

  routes.add({
    method: 'PATCH', path: '/api/v1/dags/{dag_id}', summary: 'Update a DAG (is_paused)', guard: { role: 'User' }, params: dagParams,
    query: z.object({ update_mask: repeated }),
    body: z.object({ is_paused: z.boolean({ required_error: 'is_paused is required (true or false)' }) }).passthrough(),
  }, async ({ params, query, body, audit }) => {
    const mask = (query.update_mask ?? []).flatMap((m) => m.split(',')).map((m) => m.trim()).filter((m) => m !== '');
    const unknown = mask.filter((m) => m !== 'is_paused');
    if (unknown.length > 0) throw new ApiError(400, `update_mask: only is_paused can be updated, not ${unknown.join(', ')}`);
    await dagOr404(context, params.dag_id);
    await context.store.setPaused(params.dag_id, body.is_paused);
    await audit({ event: body.is_paused ? 'paused' : 'unpaused', dagId: params.dag_id });
    await context.notify(body.is_paused ? 'pause' : 'unpause');
    const dag = await dagOr404(context, params.dag_id);
    return dagJson(dag, (await dagFile(context.pool, dag.dagId)) ?? dag.spec.file);
  });

  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/details', summary: 'Get a simplified representation of a DAG', guard: { role: 'Viewer' }, params: dagParams }, async ({ params }) => {
    const dag = await dagOr404(context, params.dag_id);
    return dagDetailJson(dag, (await dagFile(context.pool, dag.dagId)) ?? dag.spec.file);
  });

  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/tasks', summary: 'Get tasks for DAG', guard: { role: 'Viewer' }, params: dagParams, query: z.object({ order_by: z.string().optional() }) }, async ({ params, query }) => {
    const dag = await dagOr404(context, params.dag_id);
    const key = query.order_by ?? 'task_id';
    const descending = key.startsWith('-');
    const field = descending ? key.slice(1) : key;
    if (!['task_id', 'priority_weight', 'retries', 'pool', 'queue'].includes(field)) throw new ApiError(400, `order_by "${key}" is not allowed; use task_id, priority_weight, retries, pool or queue`);
    const tasks = dag.spec.tasks.map(taskJson).sort((a, b) => {
      const x = a[field] as string | number;
      const y = b[field] as string | number;
      return (x < y ? -1 : x > y ? 1 : 0) * (descending ? -1 : 1);
    });
    return { tasks, total_entries: tasks.length };
  });

  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/tasks/{task_id}', summary: 'Get simplified representation of a task', guard: { role: 'Viewer' }, params: dagParams.extend({ task_id: z.string().min(1) }) }, async ({ params }) => {
    const dag = await dagOr404(context, params.dag_id);
    const task = dag.spec.tasks.find((t) => t.taskId === params.task_id);
    if (!task) throw new ApiError(404, `Task with id '${params.task_id}' not found in DAG '${params.dag_id}'`);
    return taskJson(task);
  });

  routes.add({
    method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns', summary: 'List DAG runs (dag_id ~ for every DAG)', guard: { role: 'Viewer' }, params: dagParams,
    query: z.object({ ...paging, state: repeated }),
  }, async ({ params, query }) => {
    const page = await listRunsPage(context.pool, { dagId: params.dag_id === '~' ? undefined : params.dag_id, states: query.state, limit: query.limit, offset: query.offset, orderBy: query.order_by });
    return { dag_runs: page.items.map(dagRunJson), total_entries: page.total };
  });

  routes.add({ method: 'POST', path: '/api/v1/dags/{dag_id}/dagRuns', summary: 'Trigger a new DAG run', guard: { role: 'User' }, params: dagParams, body: triggerBody }, async ({ params, body, audit }) => {
    const dag = await dagOr404(context, params.dag_id);
    if (body.logical_date && body.execution_date && Date.parse(body.logical_date) !== Date.parse(body.execution_date)) {
      throw new ApiError(400, 'body.execution_date: differs from body.logical_date; send only logical_date');
    }
    const runId = body.dag_run_id ?? undefined;
    if (runId !== undefined) {
      const problem = newRunProblem({ dagId: params.dag_id, runId });
      if (problem) throw new ApiError(400, `body.dag_run_id: ${problem}`);
    }
    const limits = context.confLimits ?? { maxConfBytes: 1024 * 1024, maxJsonDepth: MAX_JSON_DEPTH };
    const confProblem = jsonLimitProblem(body.conf ?? {}, { maxBytes: limits.maxConfBytes, maxDepth: limits.maxJsonDepth });
    if (confProblem) throw new ApiError(400, describeJsonLimitProblem('body.conf', confProblem, CONF_LIMIT_SETTINGS));
    // Airflow's post_dag_run answers 400 with the ParamValidationError text of create_dagrun.
    const paramsProblem = runParamsProblem(dag.spec.params, body.conf ?? {});
    if (paramsProblem) throw new ApiError(400, paramsProblem);
    const logicalDate = body.logical_date ?? body.execution_date ?? undefined;
    const { run, created } = await triggerDagRun(context.store, dag, context.now(), {
      conf: body.conf ?? {},
      logicalDate: logicalDate === undefined ? undefined : new Date(logicalDate).toISOString(),
      runId,
      semantics: context.scheduleSemantics ?? undefined,
      timetables: context.timetables,
    }).catch((error: unknown) => {
      // A custom timetable that cannot infer the run's data interval refuses the run, naming the DAG and the cause.
      if (error instanceof DagbridgeError && error.code === 'TIMETABLE_FAILED') throw new ApiError(400, error.message);
      throw error;
    });
    if (!created) throw new ApiError(409, `DAGRun with DAG ID: '${params.dag_id}' and DAGRun ID: '${run.runId}' already exists`);
    await audit({ event: 'trigger', dagId: run.dagId, runId: run.runId, extra: { conf: run.conf, logical_date: run.logicalDate } });
    await context.notify('trigger');
    return dagRunJson(run);
  });

  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}', summary: 'Get a DAG run', guard: { role: 'Viewer' }, params: runParams }, async ({ params }) => {
    return dagRunJson(await runOr404(context, params.dag_id, params.dag_run_id));
  });

  routes.add({
    method: 'PATCH', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}', summary: 'Modify a DAG run (state)', guard: { role: 'User' }, params: runParams,
    body: z.object({ state: z.enum(['success', 'failed', 'queued'], { errorMap: () => ({ message: 'state must be one of success, failed, queued' }) }) }),
  }, async ({ params, body, audit }) => {
    const run = await runOr404(context, params.dag_id, params.dag_run_id);
    if (run.state !== body.state) {
      const changed = await setRunState(context, run, body.state);
      if (!changed) throw new ApiError(409, `DAG run ${run.runId} changed state meanwhile (now not ${run.state}); read it again and retry`);
      await audit({ event: `dagrun_${body.state}`, dagId: run.dagId, runId: run.runId, extra: { from: run.state } });
      await context.notify('run state');
    }
    return dagRunJson(await runOr404(context, params.dag_id, params.dag_run_id));
  });

  routes.add({
    method: 'POST', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/clear', summary: 'Clear a DAG run', guard: { role: 'User' }, params: runParams,
    body: z.object({ dry_run: z.boolean().default(true) }),
  }, async ({ params, body, audit }) => {
    const run = await runOr404(context, params.dag_id, params.dag_run_id);
    const instances = await context.store.listTaskInstances(run);
    if (body.dry_run) {
      return { task_instances: instances.map((ti) => taskInstanceJson(ti, run.logicalDate, null)), total_entries: instances.length };
    }
    const spec = await context.store.getDagVersion(run.dagId, run.versionHash);
    if (!spec) throw new ApiError(404, `the DAG version of run ${run.runId} is missing`);
    await context.store.clearTaskInstances(run, spec, instances.map((ti) => ({ taskId: ti.taskId, mapIndex: ti.mapIndex })), context.now());
    if (run.state === 'success' || run.state === 'failed') await context.store.setDagRunState(run, run.state, 'queued', context.now());
    await audit({ event: 'clear', dagId: run.dagId, runId: run.runId, extra: { task_instances: instances.length } });
    await context.notify('clear');
    return dagRunJson(await runOr404(context, params.dag_id, params.dag_run_id));
  });

  routes.add({ method: 'GET', path: '/api/v1/dagStats', summary: 'List DAG statistics (run counts by state)', guard: { role: 'Viewer' }, query: z.object({ dag_ids: z.string().min(1, 'dag_ids is required: a comma-separated list of DAG ids') }) }, async ({ query }) => {
    const ids = query.dag_ids.split(',').map((id) => id.trim()).filter((id) => id !== '');
    const stats = await dagRunStats(context.pool, ids);
    const states = ['queued', 'running', 'success', 'failed'];
    const dags = ids.map((dagId) => ({
      dag_id: dagId,
      stats: states.map((state) => ({ state, count: stats.find((s) => s.dagId === dagId && s.state === state)?.count ?? 0 })),
    }));
    return { dags, total_entries: dags.length };
  });
}

/**
 * Marks a run `success`, `failed` or back to `queued` (compare-and-set on its current state). Marking it
 * finished also finishes its unfinished task instances as Airflow's set_dag_run_state_to_success/failed does:
 * success marks them success; failed marks running ones failed and the others skipped.
 */
export async function setRunState(context: WebContext, run: DagRunRecord, to: 'success' | 'failed' | 'queued'): Promise<boolean> {
  const now = context.now();
  if (to !== 'queued') {
    const spec = await context.store.getDagVersion(run.dagId, run.versionHash);
    if (spec) {
      const open = (await context.store.listTaskInstances(run)).filter((ti) => !['success', 'failed', 'skipped', 'upstream_failed', 'removed'].includes(ti.state));
      const changes = open.map((ti) => ({
        kind: 'transition' as const, taskId: ti.taskId, mapIndex: ti.mapIndex, from: ti.state,
        to: to === 'success' ? ('success' as const) : ti.state === 'running' ? ('failed' as const) : ('skipped' as const),
        note: `run marked ${to} by a user`,
      }));
      if (changes.length > 0) await context.store.applyChanges(run, spec, changes, now);
    }
  }
  return context.store.setDagRunState(run, run.state, to, now);
}
