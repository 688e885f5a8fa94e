/**
 * Setup and teardown tasks (AIP-52): which setups a task must wait for, and which tasks decide a DAG
 * run's state when teardowns are present.
 */
import type { DagGraph } from './graph.js';
import { taskOf, upstreamClosure, downstreamClosure } from './graph.js';

/**
 * The relevant upstream setups of a task (Airflow's get_upstreams_only_setups): every setup upstream of
 * it, transitively, that has no teardown at all or whose teardown is downstream of the task. Sorted.
 */
export function relevantUpstreamSetups(graph: DagGraph, taskId: string): string[] {
  const downstreamTeardowns = new Set([...downstreamClosure(graph, taskId)].filter((id) => taskOf(graph, id).isTeardown));
  const result: string[] = [];
  for (const id of upstreamClosure(graph, taskId)) {
    if (!taskOf(graph, id).isSetup) continue;
    const direct = graph.downstream.get(id) ?? [];
    const hasNoTeardowns = !direct.some((d) => taskOf(graph, d).isTeardown);
    if (hasNoTeardowns || direct.some((d) => downstreamTeardowns.has(d))) result.push(id);
  }
  return result.sort();
}

/**
 * The relevant setups that are not direct upstreams of the task: the ones Airflow's setup constraint
 * checks (a teardown has none: it runs whatever its setups did, by its own trigger rule).
 */
export function indirectSetups(graph: DagGraph, taskId: string): string[] {
  if (taskOf(graph, taskId).isTeardown) return [];
  const direct = new Set(graph.upstream.get(taskId) ?? []);
  return relevantUpstreamSetups(graph, taskId).filter((id) => !direct.has(id));
}

/**
 * The tasks whose states decide the DAG run's state (DagRun._tis_for_dagrun_state): "effective leaves",
 * i.e. tasks whose every downstream task is a teardown that does not fail the run, and that are not such a
 * teardown themselves. When the DAG is all teardowns, the plain leaves. In bundle order.
 */
export function runStateTaskIds(graph: DagGraph): string[] {
  const ignorable = (id: string): boolean => {
    const task = taskOf(graph, id);
    return task.isTeardown && !task.onFailureFailDagrun;
  };
  const effective = graph.taskIds.filter((id) => (graph.downstream.get(id) ?? []).every(ignorable) && !ignorable(id));
  if (effective.length > 0) return effective;
  return graph.taskIds.filter((id) => (graph.downstream.get(id) ?? []).length === 0);
}
