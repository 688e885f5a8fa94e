/**
 * The runs Airflow's `include_past` / `include_future` reach (api/common/mark_tasks.py get_run_ids and
 * DAG.clear's start_date/end_date): the given run and, with `past`, every earlier run of the DAG, with
 * `future`, every later one, by logical date (a run without one, Airflow 3 style, by its run_after). Shared by
 * the REST API's updateTaskInstancesState and clearTaskInstances.
 *
 * Airflow narrows this for a periodic timetable to the runs at the timetable's own dates (a manual run between
 * two of them is left out) and, for a schedulable but not periodic one (datasets, @once), to the given run
 * alone; dagbridge takes every run in the range (docs/api.md).
 */
import type { DagRunRecord, MetadataStore } from '../ports/metadata-store.js';

/** What orders runs: the logical date, or run_after without one. */
function runTime(run: DagRunRecord): number {
  return Date.parse(run.logicalDate ?? run.runAfter);
}

/** `run` and, as asked, the runs of its DAG before and after it, oldest first. */
export async function runsInRange(store: MetadataStore, run: DagRunRecord, include: { past?: boolean; future?: boolean }): Promise<DagRunRecord[]> {
  if (!include.past && !include.future) return [run];
  const at = runTime(run);
  const runs = (await store.listDagRuns({ dagId: run.dagId })).filter((other) => {
    if (other.runId === run.runId) return true;
    const time = runTime(other);
    return (include.past === true && time < at) || (include.future === true && time > at) || time === at;
  });
  return runs.sort((x, y) => runTime(x) - runTime(y) || x.runId.localeCompare(y.runId));
}
