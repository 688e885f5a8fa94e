/**
 * The reads the UI needs that Airflow's API has no shape for (Airflow's own UI uses private endpoints too): the
 * last runs and the next run of the DAGs on the DAG list, and a DAG's grid (runs by tasks).
 *
 * The grid is compact, because a DAG of 1,000 tasks with 50 runs is 50,000 cells: the runs once, the tasks once
 * (with their task group and whether they are mapped), and per task one string with a character per run, the
 * state code of its cell (`legend` decodes them). A mapped task's cell counts its instances (`counts`) and shows
 * the state most in need of attention (`ATTENTION`, first wins).
 */
import { z } from 'zod';
import { customScheduleOf, nextDagRunInfo, scheduleSettingsOf, type DagScheduleFields, type LastAutomatedRun, type ScheduleSemantics } from '../dag/schedule.js';
import { activeDagIds, gridRows, lastAutomatedRuns, latestRunsByDag } from '../store/web-queries.js';
import { dagScheduleFields } from '../store/dag-queries.js';
import { isoOrNull } from './airflow-json.js';
import { dagOr404, runOr404, specOf } from './api-dags.js';
import { ApiError } from './problem.js';
import { dagParams, taskParams, type Routes } from './routes.js';

/** The order in which a mapped task's states are shown in one cell: the first present wins. */
const ATTENTION = ['failed', 'upstream_failed', 'running', 'up_for_retry', 'up_for_reschedule', 'restarting', 'deferred', 'queued', 'scheduled', 'none', 'success', 'skipped', 'removed'];

/** One character per state in a grid row; `.` is a run the task has no instance in, `?` a state not listed. */
const CODE: Readonly<Record<string, string>> = {
  failed: 'f', upstream_failed: 'u', running: 'r', up_for_retry: 'y', up_for_reschedule: 'w', restarting: 'x', deferred: 'd',
  queued: 'q', scheduled: 'c', none: 'n', success: 's', skipped: 'k', removed: 'm',
};
const NO_INSTANCE = '.';
const UNKNOWN = '?';
const LEGEND: Readonly<Record<string, string>> = { ...Object.fromEntries(Object.entries(CODE).map(([state, code]) => [code, state])), [NO_INSTANCE]: 'no instance', [UNKNOWN]: 'unknown' };

const dagIdList = z.string().transform((value) => value.split(',').map((id) => id.trim()).filter((id) => id !== '')).pipe(z.array(z.string()).max(1000));

export function registerUiRoutes(routes: Routes): void {
  const context = routes.context;

  routes.add({
    method: 'GET', path: '/dagbridge/api/v1/ui/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/templates', summary: 'The template fields of a task as its run\'s DAG version declares them (UI; each try\'s rendered values are in its tries)', guard: { role: 'Viewer' }, airflow: false,
    params: taskParams,
  }, async ({ params }) => {
    const run = await runOr404(context, params.dag_id, params.dag_run_id);
    const task = (await specOf(context, run)).tasks.find((t) => t.taskId === params.task_id);
    if (!task) throw new ApiError(404, `Task with id '${params.task_id}' not found in DAG '${params.dag_id}' (run ${params.dag_run_id}'s version)`);
    // As rendered, they are each try's `rendered_fields` (GET .../tries), which the page reads anyway.
    return { template_fields: task.templateFields };
  });

  routes.add({
    method: 'GET', path: '/dagbridge/api/v1/ui/dags/last-runs', summary: 'The latest runs and the next run of active DAGs (UI)', guard: { role: 'Viewer' }, airflow: false,
    query: z.object({ runs: z.coerce.number().int().min(1).max(25).default(8), dag_ids: dagIdList.optional() }),
  }, async ({ query }) => {
    const ids = query.dag_ids ?? (await activeDagIds(context.pool, 1000));
    const latest = await latestRunsByDag(context.pool, ids, query.runs);
    const out: Record<string, Array<{ dag_run_id: string; state: string }>> = {};
    for (const [dagId, runs] of latest) out[dagId] = runs.map((r) => ({ dag_run_id: r.runId, state: r.state }));
    const next: Record<string, { logical_date: string | null; run_after: string | null } | null> = {};
    if (query.dag_ids) {
      const [last, fields] = await Promise.all([lastAutomatedRuns(context.pool, ids), dagScheduleFields(context.pool, ids)]);
      for (const dagId of ids) {
        const dag = fields.get(dagId);
        if (dag) next[dagId] = nextRunOf(dag, last.get(dagId) ?? null, context.scheduleSemantics, context.now());
      }
    }
    return { last_runs: out, next_runs: next };
  });

  routes.add({
    method: 'GET', path: '/dagbridge/api/v1/ui/dags/{dag_id}/grid', summary: 'The latest runs by task, one state code per cell (UI grid)', guard: { role: 'Viewer' }, airflow: false,
    params: dagParams, query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(25) }),
  }, async ({ params, query }) => {
    const dag = await dagOr404(context, params.dag_id);
    const { runs, tasks } = await gridRows(context.pool, params.dag_id, query.limit, ATTENTION);
    const byTask = new Map(tasks.map((row) => [row.taskId, row]));
    // The DAG's tasks in its order, then tasks that only older runs have (removed from the file since).
    const taskIds = [...dag.spec.tasks.map((t) => t.taskId), ...tasks.map((row) => row.taskId).filter((id) => !dag.spec.tasks.some((t) => t.taskId === id)).sort()];
    const specOf = new Map(dag.spec.tasks.map((t) => [t.taskId, t]));
    const states: string[] = [];
    const counts: Record<string, number[]> = {};
    for (const taskId of taskIds) {
      const row = byTask.get(taskId);
      const cells = new Array<string>(runs.length).fill(NO_INSTANCE);
      const mapped = specOf.get(taskId)?.mapping != null;
      const n = mapped ? new Array<number>(runs.length).fill(0) : null;
      row?.positions.forEach((position, i) => {
        const state = ATTENTION[(row.ranks[i] ?? 0) - 1];
        cells[position] = state === undefined ? UNKNOWN : (CODE[state] as string);
        if (n) n[position] = row.counts[i] ?? 0;
      });
      states.push(cells.join(''));
      if (n) counts[taskId] = n;
    }
    return {
      runs: runs.map((r) => ({ dag_run_id: r.runId, state: r.state, run_type: r.runType, logical_date: r.logicalDate })),
      tasks: taskIds.map((taskId) => {
        const spec = specOf.get(taskId);
        return { task_id: taskId, group: spec?.group ?? null, mapped: spec?.mapping != null, removed: spec === undefined };
      }),
      groups: dag.spec.taskGroups.map((g) => ({ group_id: g.groupId, parent: g.parentGroupId, tooltip: g.tooltip, mapped: g.isMapped })),
      states,
      counts,
      legend: LEGEND,
      // Codes from most to least in need of attention: a folded task group's cell shows the first of its tasks'.
      attention: [...ATTENTION.map((state) => CODE[state]), UNKNOWN, NO_INSTANCE].join(''),
    };
  });
}

/**
 * The next automated run (Airflow's `next_dagrun` and `next_dagrun_create_after`), or null: none, or a custom
 * timetable (its Python decides, in the scheduler).
 */
function nextRunOf(spec: DagScheduleFields, last: LastAutomatedRun | null, semantics: ScheduleSemantics | null, now: number): { logical_date: string | null; run_after: string | null } | null {
  if (spec.schedule.type === 'none' || customScheduleOf(spec.schedule)) return null;
  try {
    const info = nextDagRunInfo(scheduleSettingsOf(spec, semantics ?? undefined), last, now);
    return info === null ? null : { logical_date: isoOrNull(info.logicalDate), run_after: isoOrNull(info.runAfter) };
  } catch {
    // A schedule the built-in timetables cannot read has no next run to show; the scheduler logs why.
    return null;
  }
}
