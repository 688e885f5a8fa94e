/**
 * The task-instance view the decision code works on: the few columns of a task-instance row that
 * Airflow's scheduling decisions read. The store maps its rows to this shape; `dags test` keeps them in
 * memory. Times are epoch milliseconds.
 */
import type { TaskInstanceState } from './states.js';

/** Map index of a task instance that is not (or not yet) expanded. */
export const UNMAPPED = -1;

/** One task instance of a DAG run, as the pure decision code sees it. */
export interface TaskInstanceView {
  readonly taskId: string;
  /** -1 for an unmapped task, or the unexpanded placeholder of a mapped one; 0.. for expanded instances. */
  readonly mapIndex: number;
  readonly state: TaskInstanceState;
  /** Number of the current (or last) try; 0 before the first one is scheduled, like Airflow 2.10+. */
  readonly tryNumber: number;
  /** Tries beyond which a failure is final (Airflow's max_tries: the task's retries, raised by clears). */
  readonly maxTries: number;
  readonly startDate: number | null;
  readonly endDate: number | null;
  /** For `up_for_retry`: when the next try may start (computed with retry.ts when the try failed). */
  readonly nextRetryAt?: number | null;
  /** For `up_for_reschedule`: when the sensor asked to be poked again. */
  readonly rescheduleAt?: number | null;
}

/** The key of a task instance within a run: `taskId` plus `[mapIndex]` when expanded. */
export function tiKey(taskId: string, mapIndex: number): string {
  return mapIndex < 0 ? taskId : `${taskId}[${mapIndex}]`;
}

/** The key of a task-instance view; see {@link tiKey}. */
export function keyOf(ti: Pick<TaskInstanceView, 'taskId' | 'mapIndex'>): string {
  return tiKey(ti.taskId, ti.mapIndex);
}

/** Orders task instances by task id, then map index: the stable order of every list this module returns. */
export function compareTi(a: Pick<TaskInstanceView, 'taskId' | 'mapIndex'>, b: Pick<TaskInstanceView, 'taskId' | 'mapIndex'>): number {
  if (a.taskId !== b.taskId) return a.taskId < b.taskId ? -1 : 1;
  return a.mapIndex - b.mapIndex;
}

/** A fresh task instance as the scheduler creates it: state none, no try yet. */
export function newTaskInstance(taskId: string, mapIndex: number, maxTries: number): TaskInstanceView {
  return { taskId, mapIndex, state: 'none', tryNumber: 0, maxTries, startDate: null, endDate: null, nextRetryAt: null, rescheduleAt: null };
}
