/**
 * The two reads the UI needs that Airflow's API has no shape for (Airflow's own UI uses private endpoints too):
 * the last runs of every DAG on the DAG list, and a DAG's grid (runs by tasks, each cell the state of the task's
 * instance in that run; a mapped task's cell counts its instances and shows the state most in need of attention).
 */
import { z } from 'zod';
import { activeDagIds, gridStates, latestRunsByDag } from '../store/web-queries.js';
import { dagOr404 } from './api-dags.js';
import { dagParams, type Routes } from './routes.js';

/** The order in which a mapped task's states are shown in one cell: the first present wins. */
const ATTENTION = ['failed', 'upstream_failed', 'running', 'up_for_retry', 'up_for_reschedule', 'restarting', 'queued', 'scheduled', 'none', 'success', 'skipped', 'removed'];

export function registerUiRoutes(routes: Routes): void {
  const context = routes.context;

  routes.add({ method: 'GET', path: '/dagbridge/api/v1/ui/dags/last-runs', summary: 'The latest runs of every active DAG (UI)', guard: { role: 'Viewer' }, airflow: false, query: z.object({ runs: z.coerce.number().int().min(1).max(25).default(8) }) }, async ({ query }) => {
    const latest = await latestRunsByDag(context.pool, await activeDagIds(context.pool, 1000), query.runs);
    const out: Record<string, Array<{ dag_run_id: string; state: string }>> = {};
    for (const [dagId, runs] of latest) out[dagId] = runs.map((r) => ({ dag_run_id: r.runId, state: r.state }));
    return { last_runs: out };
  });

  routes.add({ method: 'GET', path: '/dagbridge/api/v1/ui/dags/{dag_id}/grid', summary: 'States of the latest runs by task (UI grid)', guard: { role: 'Viewer' }, airflow: false, params: dagParams, query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(25) }) }, async ({ params, query }) => {
    await dagOr404(context, params.dag_id);
    const cells: Record<string, Record<string, { state: string; count: number }>> = {};
    const counts = await gridStates(context.pool, params.dag_id, query.limit);
    for (const row of counts) {
      const run = (cells[row.runId] ??= {});
      const cell = run[row.taskId];
      if (!cell) run[row.taskId] = { state: row.state, count: row.count };
      else {
        cell.count += row.count;
        if (ATTENTION.indexOf(row.state) < ATTENTION.indexOf(cell.state)) cell.state = row.state;
      }
    }
    return { cells };
  });
}
