/**
 * Applying the outcome of one finished try to a DAG run: the task instance's own state (with Airflow's
 * retry rule) and the skips a branch, short-circuit or LatestOnly task asks for.
 *
 * Retry rule (TaskInstance.is_eligible_to_retry / handle_failure): a failed try is retried when the
 * failure is retryable (not AirflowFailException, not a sensor timeout), the task has retries and
 * `tryNumber <= maxTries`; a task that was cleared while running (`restarting`) is always retried.
 * The retry time comes from the caller's `nextRetryAt` (retry.ts), so this module stays free of it.
 */
import type { TaskSpec } from './bundle.js';
import type { DecideInput, TransitionChange } from './decide.js';
import { buildGraph, taskOf, type DagGraph } from './graph.js';
import { closestMappedGroup } from './mapping.js';
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
}

/** States a skip from a branch or short-circuit applies to: not handed to a worker yet. */
const SKIPPABLE: ReadonlySet<TaskInstanceState> = new Set<TaskInstanceState>(['none', 'scheduled']);

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

  if (own.to === 'success') {
    const skip = new Set(result.skipTaskIds);
    if (task.kind === 'branch' && result.followTaskIds !== null) {
      for (const id of branchSkipTaskIds(dag, graph, task.taskId, result.followTaskIds)) skip.add(id);
    }
    const group = closestMappedGroup(dag, task);
    for (const id of [...skip].sort()) {
      const target = graph.tasks.get(id);
      if (!target) {
        unknown.push(id);
        continue;
      }
      // Inside a mapped task group, an expanded branch skips only its own map index of group members.
      const sameIndexOnly = result.mapIndex >= 0 && group !== null && closestMappedGroup(dag, target) === group;
      for (const t of tis) {
        if (t.taskId !== id || !SKIPPABLE.has(t.state)) continue;
        if (sameIndexOnly && t.mapIndex >= 0 && t.mapIndex !== result.mapIndex) continue;
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
  return { transitions, unknownSkipTaskIds: unknown };
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
