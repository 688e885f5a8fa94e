/**
 * A DAG run's state from its task instances, like Airflow's DagRun.update_state: finished when no task
 * instance is unfinished, failed when a run-state task (an effective leaf, teardowns aside) failed,
 * success when all of them succeeded or were skipped, failed on deadlock, else running.
 */
import type { DagGraph } from './graph.js';
import { runStateTaskIds } from './setup-teardown.js';
import { FAILED_STATES, SUCCESS_STATES, UNFINISHED_STATES, type DagRunState } from './states.js';
import { keyOf, type TaskInstanceView } from './task-instance.js';

/** The run's state and a sentence saying why. */
export interface DagRunStateDecision {
  readonly state: Exclude<DagRunState, 'queued'>;
  readonly reason: string;
  /** Airflow's word for why a finished run ended (DagRun.update_state's callback `msg`); null while running. */
  readonly endReason: DagRunEndReason | null;
}

/** Why a run ended, as Airflow 2.10.5 hands it to DAG callbacks as `reason` (`timed_out`: dagrun_timeout). */
export type DagRunEndReason = 'success' | 'task_failure' | 'all_tasks_deadlocked' | 'timed_out';

/**
 * Computes the run's state.
 *
 * @param tis the run's task instances after this loop's changes (tasks no longer in the DAG excluded)
 * @param canProgress whether any unfinished task instance can still move: one changed state this loop,
 *   is scheduled/queued/running, or waits only for a retry or reschedule time. When false and every
 *   unfinished task instance is free of depends_on_past and per-task concurrency limits (Airflow's
 *   `should_schedule`), the run is deadlocked and fails.
 */
export function computeDagRunState(graph: DagGraph, tis: readonly TaskInstanceView[], canProgress: boolean): DagRunStateDecision {
  const deciders = new Set(runStateTaskIds(graph));
  const leafTis = tis.filter((ti) => deciders.has(ti.taskId) && ti.state !== 'removed');
  const unfinished = tis.filter((ti) => UNFINISHED_STATES.has(ti.state));
  if (unfinished.length === 0) {
    const failed = leafTis.filter((ti) => FAILED_STATES.has(ti.state));
    if (failed.length > 0) {
      return { state: 'failed', endReason: 'task_failure', reason: `every task finished; ${failed.map(keyOf).join(', ')} ${failed.length === 1 ? 'is' : 'are'} ${[...new Set(failed.map((t) => t.state))].join('/')}` };
    }
    if (leafTis.every((ti) => SUCCESS_STATES.has(ti.state))) {
      return { state: 'success', endReason: 'success', reason: 'every task finished and every leaf succeeded or was skipped' };
    }
  }
  const shouldSchedule =
    unfinished.length > 0 &&
    unfinished.every((ti) => {
      const task = graph.tasks.get(ti.taskId);
      return task !== undefined && !task.dependsOnPast && task.maxActiveTisPerDag === null && task.maxActiveTisPerDagrun === null;
    });
  if (shouldSchedule && !canProgress) {
    return { state: 'failed', endReason: 'all_tasks_deadlocked', reason: `deadlock: no task instance can run (${unfinished.map(keyOf).join(', ')} wait for upstream states that cannot change)` };
  }
  return { state: 'running', endReason: null, reason: `${unfinished.length} task instance(s) unfinished` };
}
