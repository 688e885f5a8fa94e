/**
 * Which tasks a branch or a short-circuit skips, as Airflow's SkipMixin and operators decide.
 *
 * - Branch (SkipMixin.skip_all_except + BranchMixin): a followed id that names a TaskGroup stands for the
 *   group's root tasks; every task downstream of a followed task is followed too (so a join that is both a
 *   direct downstream of the branch and downstream of the followed branch is not skipped); every other
 *   *direct* downstream task of the branch is skipped. The skip then propagates by trigger rules.
 * - Short-circuit (ShortCircuitOperator): with `ignore_downstream_trigger_rules` (the default) every task
 *   downstream, transitively, is skipped; without it only the direct downstream tasks, and the rest follow
 *   their trigger rules.
 */
import type { DagSpec } from './bundle.js';
import { downstreamClosure, type DagGraph } from './graph.js';

/** Task ids in a TaskGroup, nested groups included (by the groups' parent links). */
export function groupMembers(dag: Pick<DagSpec, 'tasks' | 'taskGroups'>, groupId: string): string[] {
  const parent = new Map(dag.taskGroups.map((g) => [g.groupId, g.parentGroupId]));
  const inGroup = (group: string | null): boolean => {
    const seen = new Set<string>();
    let current = group;
    while (current !== null && !seen.has(current)) {
      if (current === groupId) return true;
      seen.add(current);
      current = parent.get(current) ?? null;
    }
    return false;
  };
  return dag.tasks.filter((t) => inGroup(t.group)).map((t) => t.taskId);
}

/** A TaskGroup's roots: its tasks with no upstream inside the group (TaskGroup.roots). */
export function groupRoots(dag: Pick<DagSpec, 'tasks' | 'taskGroups'>, graph: DagGraph, groupId: string): string[] {
  const members = new Set(groupMembers(dag, groupId));
  return [...members].filter((id) => !(graph.upstream.get(id) ?? []).some((up) => members.has(up)));
}

/**
 * The direct downstream tasks a branch task skips when it follows `followIds` (task or TaskGroup ids).
 * Sorted. Ids that are neither a task nor a group are ignored here; the runner reports them.
 */
export function branchSkipTaskIds(
  dag: Pick<DagSpec, 'tasks' | 'taskGroups'>,
  graph: DagGraph,
  branchTaskId: string,
  followIds: readonly string[],
): string[] {
  const groupIds = new Set(dag.taskGroups.map((g) => g.groupId));
  const followed = new Set<string>();
  for (const id of followIds) {
    if (graph.tasks.has(id)) followed.add(id);
    else if (groupIds.has(id)) for (const root of groupRoots(dag, graph, id)) followed.add(root);
  }
  for (const id of [...followed]) for (const down of downstreamClosure(graph, id)) followed.add(down);
  return (graph.downstream.get(branchTaskId) ?? []).filter((id) => !followed.has(id)).sort();
}

/** The tasks a short-circuit skips when its condition is falsy. Sorted. */
export function shortCircuitSkipTaskIds(graph: DagGraph, taskId: string, ignoreDownstreamTriggerRules: boolean): string[] {
  if (ignoreDownstreamTriggerRules) return [...downstreamClosure(graph, taskId)].sort();
  return [...(graph.downstream.get(taskId) ?? [])].sort();
}
