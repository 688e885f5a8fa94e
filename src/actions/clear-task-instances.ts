/**
 * What `dagbridge tasks clear` clears: the chosen tasks of a run (with their upstream / downstream on request)
 * and, with the downstream, the tasks of other DAGs that ExternalTaskMarkers among them point at, with those
 * tasks' downstream, recursively (Airflow 2.10.5 DAG.clear with include_dependent_dags, `_get_task_instances`):
 * a marker is followed once (a cycle ends there); past the first marker's recursion_depth the whole clear is
 * refused with Airflow's message before anything changes.
 */
import type { DagSpec } from '../dag/bundle.js';
import { isExternalTaskMarker, markerTarget, maxRecursionMessage } from '../dag/external-marker.js';
import { buildGraph, downstreamClosure } from '../dag/graph.js';
import { NotFoundError, UsageError } from '../lib/errors.js';
import type { DagRunRecord, MetadataStore, TaskInstanceRecord } from '../ports/metadata-store.js';

/** One run's part of a clear. */
export interface RunClear {
  readonly run: DagRunRecord;
  readonly spec: DagSpec;
  readonly taskIds: ReadonlySet<string>;
}

/** A part of a clear with the task instances it takes. */
export interface TargetedClear extends RunClear {
  readonly targets: readonly TaskInstanceRecord[];
}

/**
 * Which states a clear takes (Airflow 2.10.5 DAG.clear): every state, with `failed` only the failed and
 * upstream_failed (`only_failed`, State.failed_states), with `running` only the running (`only_running`).
 */
export type ClearOnly = 'all' | 'failed' | 'running';

const TAKEN: Record<ClearOnly, (state: string) => boolean> = {
  all: () => true,
  failed: (state) => state === 'failed' || state === 'upstream_failed',
  running: (state) => state === 'running',
};

/** Each part's task instances that a clear takes: those of its tasks in the states `only` names. */
export async function clearTargets(store: MetadataStore, plan: readonly RunClear[], only: ClearOnly = 'all'): Promise<TargetedClear[]> {
  return Promise.all(plan.map(async (part) => ({
    ...part,
    targets: (await store.listTaskInstances(part.run)).filter((ti) => part.taskIds.has(ti.taskId) && TAKEN[only](ti.state)),
  })));
}

/**
 * Clears every part's targets, and a finished run goes back to `queued` unless `resetDagRuns` is false
 * (Airflow's `reset_dag_runs`). Returns how many task instances were cleared.
 */
export async function applyClear(store: MetadataStore, parts: readonly TargetedClear[], now: number, options: { resetDagRuns?: boolean } = {}): Promise<number> {
  let cleared = 0;
  for (const part of parts) {
    cleared += await store.clearTaskInstances(part.run, part.spec, part.targets.map((ti) => ({ taskId: ti.taskId, mapIndex: ti.mapIndex })), now);
    if (options.resetDagRuns !== false && (part.run.state === 'success' || part.run.state === 'failed')) await store.setDagRunState(part.run, part.run.state, 'queued', now);
  }
  return cleared;
}

/** The runs and tasks a clear of `taskIds` in `run` reaches through ExternalTaskMarkers (the first is `run`'s own). */
export async function planClear(store: MetadataStore, run: DagRunRecord, spec: DagSpec, taskIds: ReadonlySet<string>): Promise<RunClear[]> {
  const plan: RunClear[] = [];
  const visited = new Set<string>();
  let maxDepth: number | null = null;
  const visit = async (at: RunClear, depth: number): Promise<void> => {
    plan.push(at);
    const tasks = new Map(at.spec.tasks.map((t) => [t.taskId, t]));
    for (const ti of await store.listTaskInstances(at.run)) {
      const task = tasks.get(ti.taskId);
      if (!task || !at.taskIds.has(ti.taskId) || !isExternalTaskMarker(task)) continue;
      const key = JSON.stringify([ti.dagId, ti.runId, ti.taskId, ti.mapIndex]);
      if (visited.has(key)) continue;
      visited.add(key);
      const target = markerTarget(at.run.dagId, task, at.run.logicalDate);
      maxDepth ??= target.recursionDepth;
      if (depth + 1 > maxDepth) throw new UsageError(maxRecursionMessage(maxDepth, ti.taskId));
      const when = Date.parse(target.logicalDate);
      const runs = (await store.listDagRuns({ dagId: target.dagId })).filter((r) => r.logicalDate !== null && Date.parse(r.logicalDate) === when);
      for (const external of runs) {
        if (!(await store.listTaskInstances(external)).some((t) => t.taskId === target.taskId)) continue;
        const externalSpec = await store.getDagVersion(external.dagId, external.versionHash);
        if (!externalSpec) throw new NotFoundError(`Could not find dag ${external.dagId}`);
        const reached = new Set([target.taskId, ...downstreamClosure(buildGraph(externalSpec), target.taskId)]);
        await visit({ run: external, spec: externalSpec, taskIds: reached }, depth + 1);
      }
    }
  };
  await visit({ run, spec, taskIds }, 0);
  return plan;
}
