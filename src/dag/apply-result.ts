/**
 * Applying the outcome of one finished try to a DAG run: the task instance's own state (with Airflow's
 * retry rule) and the skips a branch, short-circuit or LatestOnly task asks for.
 *
 * Skips follow Airflow 2.10.5's airflow/models/skipmixin.py:
 * - A branch (BranchPythonOperator, @task.branch, BaseBranchOperator subclasses such as LatestOnlyOperator and
 *   BranchDateTimeOperator) goes through `skip_all_except`: the direct downstream tasks not followed are skipped,
 *   only their task instance with the branch's own map index (`dag_run.get_task_instance(t.task_id,
 *   map_index=ti.map_index)`).
 * - `SkipMixin.skip` (ShortCircuitOperator, custom operators) from an unmapped task sets every task instance of
 *   the named tasks, every map index. From an expanded task (map index >= 0) it sets nothing directly: Airflow's
 *   NotPreviouslySkippedDep later skips the direct downstream task instances with the same map index.
 * - `_set_state_to_skipped` is an UPDATE with no state filter: a task instance that is queued, running or even
 *   finished is set skipped too (a running one is then stopped by its job's heartbeat; here its result is
 *   refused). Only `removed` instances are left alone: Airflow deletes the placeholder a mapped task expands
 *   from, dagbridge keeps it `removed`, and it must not turn into a skipped upstream.
 *
 * Retry rule (TaskInstance.is_eligible_to_retry / handle_failure): a failed try is retried when the
 * failure is retryable (not AirflowFailException, not a sensor timeout), the task has retries and
 * `tryNumber <= maxTries`; a task that was cleared while running (`restarting`) is always retried.
 * The retry time comes from the caller's `nextRetryAt` (retry.ts), so this module stays free of it.
 */
import type { TaskSpec } from './bundle.js';
import type { DecideInput, TransitionChange } from './decide.js';
import { buildGraph, taskOf, type DagGraph } from './graph.js';
import { branchSkipTaskIds } from './skip-propagation.js';
import { assertTransition, type TaskInstanceState } from './states.js';
import { tiKey, type TaskInstanceView } from './task-instance.js';

/** When a failed try may be retried: the retry delay math of retry.ts, passed in. */
export type NextRetryAtFn = (task: TaskSpec, tryNumber: number, endMs: number, tiKey: string) => number;

/** The result of one try, as the worker reports it (task-run contract, plus what the worker knows). */
export interface TaskResultInput {
  readonly taskId: string;
  readonly mapIndex: number;
  /** The state the try ended in. */
  readonly state: 'success' | 'failed' | 'skipped' | 'up_for_reschedule';
  /** Branch tasks: the task or TaskGroup ids to follow (null for other kinds). */
  readonly followTaskIds: readonly string[] | null;
  /** Task ids to skip (short-circuit, LatestOnly, or the shim's own branch computation). */
  readonly skipTaskIds: readonly string[];
  /** Whether a failure may be retried (false for AirflowFailException, sensor timeouts). */
  readonly retryable: boolean;
  /** For up_for_reschedule: when to poke again, epoch ms. */
  readonly rescheduleAt?: number | null;
  /** When the try ended, epoch ms. */
  readonly now: number;
  readonly nextRetryAt: NextRetryAtFn;
}

/** The state change for the finished task instance, plus the retry/reschedule time to store with it. */
export interface ResultTransition extends TransitionChange {
  readonly nextRetryAt?: number;
  readonly rescheduleAt?: number | null;
}

/** What {@link applyTaskResult} decided. */
export interface TaskResultDecision {
  /** The finished task instance's transition first, then the skips, in task order. */
  readonly transitions: readonly ResultTransition[];
  /** Skip targets that are not tasks of this DAG (reported, not applied). */
  readonly unknownSkipTaskIds: readonly string[];
  /**
   * The map index the skips are limited to (the finished task's own, for a branch or an expanded task), or null
   * when every map index of the skipped tasks is skipped. The store applies the skips with it.
   */
  readonly skipMapIndex: number | null;
}

/** States a skip leaves alone: already skipped, or a removed placeholder (see the module comment). */
const NOT_SKIPPABLE: ReadonlySet<TaskInstanceState> = new Set<TaskInstanceState>(['skipped', 'removed']);

/**
 * Decides the transitions for one finished try. Throws IllegalTransitionError when the task instance is
 * not running (or restarting): a result for a try that is not current must not be applied.
 */
export function applyTaskResult(
  dag: DecideInput['dag'],
  tis: readonly TaskInstanceView[],
  result: TaskResultInput,
  graph: DagGraph = buildGraph(dag),
): TaskResultDecision {
  const key = tiKey(result.taskId, result.mapIndex);
  const ti = tis.find((t) => t.taskId === result.taskId && t.mapIndex === result.mapIndex);
  if (!ti) throw new RangeError(`no task instance ${key} in this run`);
  const task = taskOf(graph, result.taskId);
  const own = ownTransition(task, ti, result, key);
  assertTransition(key, own.from, own.to, 'worker');
  const transitions: ResultTransition[] = [own];
  const unknown: string[] = [];

  let skipMapIndex: number | null = null;
  if (own.to === 'success') {
    const branch = task.kind === 'branch' || task.kind === 'latest_only' || result.followTaskIds !== null;
    const skip = new Set(result.skipTaskIds);
    if (branch && result.followTaskIds !== null) {
      for (const id of branchSkipTaskIds(dag, graph, task.taskId, result.followTaskIds)) skip.add(id);
    }
    // skip_all_except and NotPreviouslySkippedDep work on one map index; SkipMixin.skip from an unmapped task on all.
    const oneIndex = branch || result.mapIndex >= 0;
    skipMapIndex = oneIndex ? result.mapIndex : null;
    const direct = new Set(graph.downstream.get(task.taskId) ?? []);
    for (const id of [...skip].sort()) {
      if (!graph.tasks.has(id)) {
        unknown.push(id);
        continue;
      }
      // NotPreviouslySkippedDep reads the skip list of direct upstream tasks only.
      if (!branch && result.mapIndex >= 0 && !direct.has(id)) continue;
      for (const t of tis) {
        if (t.taskId !== id || NOT_SKIPPABLE.has(t.state)) continue;
        if (oneIndex && t.mapIndex !== result.mapIndex) continue;
        assertTransition(tiKey(t.taskId, t.mapIndex), t.state, 'skipped', 'scheduler');
        transitions.push({
          kind: 'transition',
          taskId: t.taskId,
          mapIndex: t.mapIndex,
          from: t.state,
          to: 'skipped',
          reason: `skipped by ${key}`,
        });
      }
    }
  }
  return { transitions, unknownSkipTaskIds: unknown, skipMapIndex };
}

function ownTransition(task: TaskSpec, ti: TaskInstanceView, result: TaskResultInput, key: string): ResultTransition {
  const base = { kind: 'transition' as const, taskId: ti.taskId, mapIndex: ti.mapIndex, from: ti.state };
  if (ti.state === 'restarting') {
    // Cleared while running: whatever the try did, it runs again.
    return { ...base, to: 'up_for_retry', reason: 'cleared while running: runs again', nextRetryAt: result.now };
  }
  switch (result.state) {
    case 'success':
      return { ...base, to: 'success', reason: 'the try succeeded' };
    case 'skipped':
      return { ...base, to: 'skipped', reason: 'the task skipped itself' };
    case 'up_for_reschedule':
      return { ...base, to: 'up_for_reschedule', reason: 'the sensor will poke again', rescheduleAt: result.rescheduleAt ?? null };
    case 'failed': {
      if (!result.retryable) return { ...base, to: 'failed', reason: 'the try failed with a failure that is not retried' };
      if (task.retries > 0 && ti.tryNumber <= ti.maxTries) {
        const at = result.nextRetryAt(task, ti.tryNumber, result.now, key);
        return {
          ...base,
          to: 'up_for_retry',
          reason: `try ${ti.tryNumber} failed; ${ti.maxTries - ti.tryNumber + 1} retr${ti.maxTries - ti.tryNumber + 1 === 1 ? 'y' : 'ies'} left`,
          nextRetryAt: at,
        };
      }
      return { ...base, to: 'failed', reason: task.retries > 0 ? `try ${ti.tryNumber} failed and no retry is left` : 'the try failed (no retries)' };
    }
  }
}
