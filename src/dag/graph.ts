/**
 * The task graph of a DAG: edges from the bundle's `upstream`/`downstream` lists, validated, with
 * topological order, cycle detection, closures, roots and leaves. Pure and deterministic: every list comes
 * back in a stable order (task order of the bundle, or sorted where noted).
 */
import { BundleError } from '../lib/errors.js';
import type { DagSpec, TaskSpec } from './bundle.js';

/** One problem with a DAG's edges. */
export interface GraphProblem {
  readonly taskId: string;
  readonly message: string;
}

/** A DAG's tasks and edges, indexed. Build it once per DAG version with {@link buildGraph}. */
export interface DagGraph {
  readonly dagId: string;
  /** Task ids in bundle order. */
  readonly taskIds: readonly string[];
  readonly tasks: ReadonlyMap<string, TaskSpec>;
  /** Direct upstream task ids of each task (sorted). */
  readonly upstream: ReadonlyMap<string, readonly string[]>;
  /** Direct downstream task ids of each task (sorted). */
  readonly downstream: ReadonlyMap<string, readonly string[]>;
  /** Task ids in a topological order (upstream first; ties broken by bundle order). */
  readonly topoOrder: readonly string[];
}

/**
 * Checks a DAG's edges: duplicate task ids, edges naming unknown tasks, self-edges, upstream/downstream
 * lists that disagree. Returns every problem found (empty when the edges are sound); cycles are reported
 * by {@link findCycle}.
 */
export function validateDagEdges(dag: Pick<DagSpec, 'tasks'>): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const ids = new Set<string>();
  for (const task of dag.tasks) {
    if (ids.has(task.taskId)) problems.push({ taskId: task.taskId, message: `task id ${task.taskId} is defined twice` });
    ids.add(task.taskId);
  }
  const byId = new Map(dag.tasks.map((t) => [t.taskId, t]));
  for (const task of dag.tasks) {
    for (const [field, list, mirror] of [
      ['upstream', task.upstream, 'downstream'],
      ['downstream', task.downstream, 'upstream'],
    ] as const) {
      for (const other of list) {
        if (other === task.taskId) {
          problems.push({ taskId: task.taskId, message: `task ${task.taskId} lists itself in ${field}` });
          continue;
        }
        const peer = byId.get(other);
        if (!peer) {
          problems.push({ taskId: task.taskId, message: `task ${task.taskId}: ${field} names unknown task ${other}` });
        } else if (!peer[mirror].includes(task.taskId)) {
          problems.push({
            taskId: task.taskId,
            message: `task ${task.taskId} lists ${other} in ${field} but ${other} does not list ${task.taskId} in ${mirror}`,
          });
        }
      }
    }
  }
  return problems;
}

/**
 * Finds one cycle and returns its path (first task repeated at the end, e.g. `[a, b, c, a]`), or null.
 * Follows downstream edges from each task in the order given; deterministic.
 */
export function findCycle(taskIds: readonly string[], downstream: ReadonlyMap<string, readonly string[]>): string[] | null {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Map<string, number>(taskIds.map((id) => [id, WHITE]));
  // Iterative DFS: a 10,000-task chain must not overflow the stack.
  for (const root of taskIds) {
    if (color.get(root) !== WHITE) continue;
    const path: string[] = [root];
    const cursor: number[] = [0];
    color.set(root, GREY);
    while (path.length > 0) {
      const node = path[path.length - 1] as string;
      const children = downstream.get(node) ?? [];
      const i = cursor[cursor.length - 1] as number;
      if (i >= children.length) {
        color.set(node, BLACK);
        path.pop();
        cursor.pop();
        continue;
      }
      cursor[cursor.length - 1] = i + 1;
      const child = children[i] as string;
      const c = color.get(child);
      if (c === GREY) return [...path.slice(path.indexOf(child)), child];
      if (c === WHITE) {
        color.set(child, GREY);
        path.push(child);
        cursor.push(0);
      }
    }
  }
  return null;
}

/**
 * Indexes a DAG's edges. Throws BundleError (`BUNDLE_INVALID`) naming the DAG and the task when an edge
 * is unsound or the graph has a cycle (with its path).
 */
export function buildGraph(dag: Pick<DagSpec, 'dagId' | 'tasks'>): DagGraph {
  const problems = validateDagEdges(dag);
  if (problems.length > 0) {
    throw new BundleError('BUNDLE_INVALID', `DAG ${dag.dagId}: ${problems.map((p) => p.message).join('; ')}`);
  }
  const taskIds = dag.tasks.map((t) => t.taskId);
  const upstream = new Map<string, string[]>(taskIds.map((id) => [id, []]));
  const downstream = new Map<string, string[]>(taskIds.map((id) => [id, []]));
  for (const task of dag.tasks) {
    // Union of both lists: they agree once validated, but each edge is recorded once.
    for (const up of task.upstream) addEdge(upstream, downstream, up, task.taskId);
    for (const down of task.downstream) addEdge(upstream, downstream, task.taskId, down);
  }
  for (const list of upstream.values()) list.sort();
  for (const list of downstream.values()) list.sort();
  const cycle = findCycle(taskIds, downstream);
  if (cycle) throw new BundleError('BUNDLE_INVALID', `DAG ${dag.dagId} has a cycle: ${cycle.join(' -> ')}`);
  return {
    dagId: dag.dagId,
    taskIds,
    tasks: new Map(dag.tasks.map((t) => [t.taskId, t])),
    upstream,
    downstream,
    topoOrder: topologicalOrder(taskIds, upstream, downstream),
  };
}

function addEdge(upstream: Map<string, string[]>, downstream: Map<string, string[]>, from: string, to: string): void {
  const down = downstream.get(from);
  const up = upstream.get(to);
  if (!down || !up || down.includes(to)) return;
  down.push(to);
  up.push(from);
}

/** Kahn's algorithm; ties broken by bundle order so the result is stable. Assumes no cycle. */
function topologicalOrder(
  taskIds: readonly string[],
  upstream: ReadonlyMap<string, readonly string[]>,
  downstream: ReadonlyMap<string, readonly string[]>,
): string[] {
  const position = new Map(taskIds.map((id, i) => [id, i]));
  const pending = new Map(taskIds.map((id) => [id, upstream.get(id)?.length ?? 0]));
  // A sorted ready list keyed by bundle position; the DAG sizes we handle keep this cheap.
  const ready = taskIds.filter((id) => pending.get(id) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    order.push(id);
    for (const down of downstream.get(id) ?? []) {
      const left = (pending.get(down) ?? 0) - 1;
      pending.set(down, left);
      if (left === 0) insertSorted(ready, down, position);
    }
  }
  return order;
}

function insertSorted(list: string[], id: string, position: ReadonlyMap<string, number>): void {
  const p = position.get(id) ?? 0;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((position.get(list[mid] as string) ?? 0) < p) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, id);
}

function closure(start: string, edges: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [...(edges.get(start) ?? [])];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const next of edges.get(id) ?? []) if (!seen.has(next)) stack.push(next);
  }
  return seen;
}

/** Every task upstream of `taskId`, transitively (Airflow's get_flat_relative_ids(upstream=True)). */
export function upstreamClosure(graph: DagGraph, taskId: string): Set<string> {
  return closure(taskId, graph.upstream);
}

/** Every task downstream of `taskId`, transitively (Airflow's get_flat_relative_ids(upstream=False)). */
export function downstreamClosure(graph: DagGraph, taskId: string): Set<string> {
  return closure(taskId, graph.downstream);
}

/** Tasks with no upstream, in bundle order. */
export function roots(graph: DagGraph): string[] {
  return graph.taskIds.filter((id) => (graph.upstream.get(id)?.length ?? 0) === 0);
}

/** Tasks with no downstream, in bundle order. */
export function leaves(graph: DagGraph): string[] {
  return graph.taskIds.filter((id) => (graph.downstream.get(id)?.length ?? 0) === 0);
}

/** The task spec for `taskId`; throws when the graph does not have it (a programming error). */
export function taskOf(graph: DagGraph, taskId: string): TaskSpec {
  const task = graph.tasks.get(taskId);
  if (!task) throw new BundleError('BUNDLE_INVALID', `DAG ${graph.dagId} has no task ${taskId}`);
  return task;
}
