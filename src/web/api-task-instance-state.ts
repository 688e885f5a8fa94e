/**
 * Airflow REST API v1: marking task instances success, failed or skipped (`PATCH .../taskInstances/{task_id}`,
 * `.../{task_id}/{map_index}` and `POST /dags/{dag_id}/updateTaskInstancesState`), with the code
 * `dagbridge tasks mark-success|mark-failed` uses (src/actions/mark-task-instances.ts). As in Airflow,
 * `dry_run` defaults to true: the answer names what would change and nothing is written.
 */
import { z } from 'zod';
import { MARK_STATES, markTaskInstances, planMark, selectTasks, type MarkOutcome, type MarkState } from '../actions/mark-task-instances.js';
import type { DagRunRecord, TaskInstanceRecord } from '../ports/metadata-store.js';
import { runsInRange } from '../actions/run-range.js';
import { listRunsPage } from '../store/web-queries.js';
import { dagOr404, runOr404, specOf } from './api-dags.js';
import { ApiError } from './problem.js';
import { dagParams, mappedTaskParams, taskParams, type Call, type Routes, type WebContext } from './routes.js';

const newState = z.enum(MARK_STATES, { errorMap: () => ({ message: `new_state is required and must be one of ${MARK_STATES.join(', ')}` }) });

const patchBody = z.object({ dry_run: z.boolean().default(true), new_state: newState }).strict();

const bulkBody = z.object({
  dry_run: z.boolean().default(true),
  task_id: z.string({ required_error: 'task_id is required' }).min(1),
  dag_run_id: z.string().min(1).optional(),
  execution_date: z.string().min(1).optional(),
  include_upstream: z.boolean().default(false),
  include_downstream: z.boolean().default(false),
  include_future: z.boolean().default(false),
  include_past: z.boolean().default(false),
  new_state: newState,
}).strict();

/** Airflow's TaskInstanceReference. */
function reference(ti: TaskInstanceRecord, run: DagRunRecord): Record<string, unknown> {
  return { task_id: ti.taskId, dag_id: ti.dagId, dag_run_id: ti.runId, execution_date: run.logicalDate ?? run.runAfter };
}

/** Marks and audits; a conflict (changed meanwhile, or a removed task) answers 409 naming the instance. */
async function commit(context: WebContext, call: Call<unknown, unknown, unknown>, run: DagRunRecord, instances: readonly TaskInstanceRecord[], state: MarkState): Promise<MarkOutcome> {
  const spec = await specOf(context, run);
  const outcome = await markTaskInstances(context.store, run, spec, instances, state, context.now(), `marked ${state} by ${call.user.username}`);
  for (const ti of outcome.marked) {
    await call.audit({ event: `mark_${state}`, dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex, tryNumber: ti.tryNumber, extra: { from: ti.from } });
  }
  if (outcome.marked.length > 0) await context.notify(`mark ${state}`);
  const name = (ti: TaskInstanceRecord): string => `${ti.taskId}${ti.mapIndex >= 0 ? `[${ti.mapIndex}]` : ''}`;
  if (outcome.refused.length > 0) throw new ApiError(409, `task instance ${outcome.refused.map(name).join(', ')} is removed (its task is no longer in the DAG) and cannot be marked ${state}`);
  if (outcome.changedMeanwhile.length > 0) throw new ApiError(409, `task instance ${outcome.changedMeanwhile.map(name).join(', ')} changed state meanwhile; read it again and retry`);
  return outcome;
}

export function registerTaskInstanceStateRoutes(routes: Routes): void {
  const context = routes.context;

  const patchOne = async (call: Call<{ dag_id: string; dag_run_id: string; task_id: string }, unknown, z.infer<typeof patchBody>>, mapIndex: number): Promise<Record<string, unknown>> => {
    const { params, body } = call;
    const dag = await dagOr404(context, params.dag_id);
    if (!dag.spec.tasks.some((t) => t.taskId === params.task_id)) throw new ApiError(404, `Task '${params.task_id}' not found in DAG '${params.dag_id}'`);
    const run = await runOr404(context, params.dag_id, params.dag_run_id);
    const ti = await context.store.getTaskInstance({ dagId: params.dag_id, runId: params.dag_run_id, taskId: params.task_id, mapIndex });
    if (!ti) throw new ApiError(404, `Task instance not found for task '${params.task_id}'${mapIndex >= 0 ? ` map index ${mapIndex}` : ''} on DAG run with ID '${params.dag_run_id}'`);
    if (!body.dry_run) await commit(context, call as Call<unknown, unknown, unknown>, run, [ti], body.new_state);
    return reference(ti, run);
  };
  const patchSummary = 'Set the state of a task instance (new_state success, failed or skipped; dry_run defaults to true)';
  routes.add({ method: 'PATCH', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}', summary: patchSummary, guard: { role: 'User' }, params: taskParams, body: patchBody }, (call) => patchOne(call, -1));
  routes.add({ method: 'PATCH', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}', summary: `${patchSummary}, mapped`, guard: { role: 'User' }, params: mappedTaskParams, body: patchBody }, (call) => patchOne(call, call.params.map_index));

  routes.add({
    method: 'POST', path: '/api/v1/dags/{dag_id}/updateTaskInstancesState', summary: 'Set the state of a task and, optionally, its upstream/downstream and the same tasks in past/future runs (dry_run defaults to true)', guard: { role: 'User' }, params: dagParams, body: bulkBody,
  }, async (call) => {
    const { params, body } = call;
    if ((body.dag_run_id === undefined) === (body.execution_date === undefined)) throw new ApiError(400, 'body.dag_run_id: give either dag_run_id or execution_date, not both and not neither');
    const dag = await dagOr404(context, params.dag_id);
    const run = body.dag_run_id !== undefined ? await runOr404(context, params.dag_id, body.dag_run_id) : await runAt(context, params.dag_id, body.execution_date as string);
    const spec = await specOf(context, run);
    const picked = selectTasks(spec, [body.task_id], { downstream: body.include_downstream, upstream: body.include_upstream });
    if ('unknown' in picked) throw new ApiError(404, `Task ID ${picked.unknown} not found in DAG ${dag.dagId}`);
    if (!(await context.store.listTaskInstances(run)).some((ti) => ti.taskId === body.task_id)) throw new ApiError(404, `Task instance not found for task '${body.task_id}' on DAG run with ID '${run.runId}'`);
    // include_past / include_future: the same tasks in the DAG's earlier / later runs, each by its own version.
    const touched: Array<{ ti: TaskInstanceRecord; run: DagRunRecord }> = [];
    for (const each of await runsInRange(context.store, run, { past: body.include_past, future: body.include_future })) {
      const eachSpec = each.runId === run.runId ? spec : await specOf(context, each);
      const known = new Set(eachSpec.tasks.map((t) => t.taskId));
      // A removed instance of another run is left out rather than refusing the whole request.
      const instances = (await context.store.listTaskInstances(each)).filter((ti) => picked.selected.has(ti.taskId) && known.has(ti.taskId) && (each.runId === run.runId || ti.state !== 'removed'));
      const changed = body.dry_run ? planMark(instances, body.new_state).change : (await commit(context, call as Call<unknown, unknown, unknown>, each, instances, body.new_state)).marked;
      touched.push(...changed.map((ti) => ({ ti, run: each })));
    }
    return { task_instances: touched.map(({ ti, run: of }) => reference(ti, of)) };
  });
}

/** The run of `dagId` at the logical date `executionDate`, or a 404/400 naming it. */
async function runAt(context: WebContext, dagId: string, executionDate: string): Promise<DagRunRecord> {
  const at = Date.parse(executionDate);
  if (Number.isNaN(at)) throw new ApiError(400, 'body.execution_date: an ISO 8601 date-time, e.g. 2024-01-01T00:00:00+00:00');
  const run = (await listRunsPage(context.pool, { dagId, logicalDate: new Date(at).toISOString(), limit: 1, offset: 0, orderBy: '-id' })).items[0];
  if (!run) throw new ApiError(404, `Task instance not found: DAG ${dagId} has no run at execution_date ${executionDate}`);
  return run;
}
