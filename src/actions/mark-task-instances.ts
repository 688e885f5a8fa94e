/**
 * Marking task instances success, failed or skipped by hand, shared by `dagbridge tasks mark-success|mark-failed` and the
 * webserver (Airflow's `PATCH .../taskInstances/{task_id}` and `POST /dags/{dag_id}/updateTaskInstancesState`).
 *
 * As Airflow's `set_task_instance_state`: only instances not already in the target state change, each by a
 * compare-and-set on the state it was read in (one that changed meanwhile is reported, not overwritten), and a
 * finished run goes back to `queued` so the scheduler looks at the tasks downstream of a changed one again.
 */
import type { DagSpec } from '../dag/bundle.js';
import { buildGraph, downstreamClosure, upstreamClosure } from '../dag/graph.js';
import { canTransition } from '../dag/states.js';
import type { DagRunRecord, MetadataStore, TaskInstanceRecord } from '../ports/metadata-store.js';

/** The states a user may mark a task instance with (Airflow 2.10.5's UpdateTaskState). */
export const MARK_STATES = ['success', 'failed', 'skipped'] as const;
export type MarkState = (typeof MARK_STATES)[number];

/** What a mark did. */
export interface MarkOutcome {
  /** Instances that now have the target state (their previous state in `from`). */
  marked: Array<TaskInstanceRecord & { from: TaskInstanceRecord['state'] }>;
  /** Instances that were already in the target state. */
  unchanged: TaskInstanceRecord[];
  /** Instances whose state changed between the read and the write: left as they are. */
  changedMeanwhile: TaskInstanceRecord[];
  /** Instances no user may mark (`removed`: the task is no longer in the DAG). */
  refused: TaskInstanceRecord[];
}

/**
 * The task ids `taskIds` name plus, when asked, every task downstream and/or upstream of each. Returns the
 * first task id the DAG lacks instead, so the caller can name it.
 */
export function selectTasks(spec: DagSpec, taskIds: readonly string[], relatives: { downstream?: boolean; upstream?: boolean }): { selected: Set<string> } | { unknown: string } {
  const graph = buildGraph(spec);
  const selected = new Set<string>();
  for (const taskId of taskIds) {
    if (!graph.tasks.has(taskId)) return { unknown: taskId };
    selected.add(taskId);
    if (relatives.downstream) for (const id of downstreamClosure(graph, taskId)) selected.add(id);
    if (relatives.upstream) for (const id of upstreamClosure(graph, taskId)) selected.add(id);
  }
  return { selected };
}

/** Splits `instances` into those a mark would change, those already in `state` and those no user may mark. */
export function planMark(instances: readonly TaskInstanceRecord[], state: MarkState): { change: TaskInstanceRecord[]; unchanged: TaskInstanceRecord[]; refused: TaskInstanceRecord[] } {
  return {
    change: instances.filter((ti) => ti.state !== state && canTransition(ti.state, state, 'user')),
    unchanged: instances.filter((ti) => ti.state === state),
    refused: instances.filter((ti) => ti.state !== state && !canTransition(ti.state, state, 'user')),
  };
}

/** Marks `instances` (of `run`) `state`; see the module comment. */
export async function markTaskInstances(
  store: MetadataStore,
  run: DagRunRecord,
  spec: DagSpec,
  instances: readonly TaskInstanceRecord[],
  state: MarkState,
  now: number,
  note = `marked ${state} by a user`,
): Promise<MarkOutcome> {
  const { change, unchanged, refused } = planMark(instances, state);
  const applied = change.length === 0 ? [] : await store.applyChanges(run, spec, change.map((ti) => ({ kind: 'transition' as const, taskId: ti.taskId, mapIndex: ti.mapIndex, from: ti.state, to: state, note })), now);
  const done = new Set(applied.map((c) => `${c.taskId}\u0000${c.mapIndex}`));
  const marked = change.filter((ti) => done.has(`${ti.taskId}\u0000${ti.mapIndex}`)).map((ti) => ({ ...ti, from: ti.state, state }));
  const changedMeanwhile = change.filter((ti) => !done.has(`${ti.taskId}\u0000${ti.mapIndex}`));
  if (marked.length > 0 && (run.state === 'success' || run.state === 'failed')) await store.setDagRunState(run, run.state, 'queued', now);
  return { marked, unchanged, changedMeanwhile, refused };
}
