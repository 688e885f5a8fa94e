/**
 * depends_on_past and wait_for_downstream, as Airflow's PrevDagrunDep checks them.
 *
 * The caller picks the previous run like Airflow: with catchup the previous *scheduled* run, otherwise the
 * previous run of any type, by logical date; and passes its task instances (or null for the first run).
 */
import type { TaskSpec } from './bundle.js';
import type { DagGraph } from './graph.js';
import type { TaskInstanceView } from './task-instance.js';

/** Whether the past allows a task instance to run, and why. */
export interface PastCheck {
  readonly met: boolean;
  readonly reason: string;
}

/** The previous DAG run's task instances (all tasks, all map indexes). */
export interface PreviousRun {
  readonly runId: string;
  readonly tis: readonly TaskInstanceView[];
}

const SUCCESSFUL = new Set(['success', 'skipped']);

/**
 * Checks depends_on_past / wait_for_downstream for `task` against the previous run.
 *
 * @param hasPriorTis whether the task has a task instance in any earlier run (for
 *   ignore_first_depends_on_past: when it never ran before, the first run passes)
 */
export function checkDependsOnPast(
  graph: DagGraph,
  task: TaskSpec,
  previousRun: PreviousRun | null,
  hasPriorTis: (taskId: string) => boolean,
): PastCheck {
  if (!task.dependsOnPast) return { met: true, reason: 'the task does not depend on past' };
  if (previousRun === null) return { met: true, reason: 'first run of the DAG: depends_on_past does not apply' };
  const own = previousRun.tis.filter((ti) => ti.taskId === task.taskId);
  if (own.length === 0) {
    if (task.ignoreFirstDependsOnPast && !hasPriorTis(task.taskId)) {
      return { met: true, reason: 'ignore_first_depends_on_past: the task never ran before' };
    }
    return { met: false, reason: `depends_on_past: the task has not run in the previous run ${previousRun.runId}` };
  }
  // Like Airflow, "unsuccessful" is anything but success or skipped, unfinished states included.
  const unsuccessful = own.filter((ti) => !SUCCESSFUL.has(ti.state));
  if (unsuccessful.length > 0) {
    const states = [...new Set(unsuccessful.map((ti) => ti.state))].sort().join(', ');
    return {
      met: false,
      reason: `depends_on_past: ${unsuccessful.length} task instance(s) of the previous run ${previousRun.runId} are not success or skipped (${states})`,
    };
  }
  if (task.waitForDownstream) {
    const downstream = new Set(graph.downstream.get(task.taskId) ?? []);
    const pending = previousRun.tis.filter((ti) => downstream.has(ti.taskId) && !SUCCESSFUL.has(ti.state));
    if (pending.length > 0) {
      const ids = [...new Set(pending.map((ti) => ti.taskId))].sort().join(', ');
      return {
        met: false,
        reason: `wait_for_downstream: downstream task(s) ${ids} of the previous run ${previousRun.runId} are not success or skipped`,
      };
    }
  }
  return { met: true, reason: `the previous run ${previousRun.runId} succeeded for this task` };
}
