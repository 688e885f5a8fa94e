/**
 * Effective priority weights: Airflow's `priority_weight_total` (`airflow/task/priority_strategy.py`,
 * formerly `BaseOperator.priority_weight_total`), the number the scheduler orders task instances by.
 *
 * - `absolute`: the task's own `priority_weight`.
 * - `downstream` (Airflow's default): own weight + the weights of every task reachable downstream, each
 *   counted once (the transitive closure, not the paths).
 * - `upstream`: the same over the upstream closure.
 * - A custom PriorityWeightStrategy: the weights its `get_weight` gave at export (`customWeight`, per map index
 *   when it reads `map_index`; docs/scheduling.md). A bundle without them (one exported before dagbridge read
 *   custom strategies) is weighted as `downstream` and reported in `unknownWeightRules`.
 * - Results are clamped to PostgreSQL's int32 range, like Airflow's `db_safe_priority`.
 *
 * Cost: closures are computed once per task in (reverse) topological order. A task with one child adds the
 * child's total (O(1)); a task with several children merges the children's closure bitsets and only pays for
 * the bits that are new. A 10,000-task chain is linear; no per-task graph walk.
 */
import { BundleError } from '../lib/errors.js';
import type { DagSpec, TaskSpec } from './bundle.js';

/** The weight rules Airflow ships. */
export type WeightRule = 'downstream' | 'upstream' | 'absolute';

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** Airflow's `db_safe_priority`: clamp to the database's integer range. */
export function dbSafePriority(weight: number): number {
  return Math.max(INT32_MIN, Math.min(INT32_MAX, weight));
}

/** Effective weights of one DAG's tasks. */
export interface PriorityWeights {
  /** task id -> effective priority weight (what Airflow stores in `task_instance.priority_weight`). */
  readonly byTaskId: ReadonlyMap<string, number>;
  /** Custom strategies' weights by map index (index 0 first; the last entry holds for higher indexes). */
  readonly byMapIndex: ReadonlyMap<string, readonly number[]>;
  /** Tasks whose `weightRule` is not one of Airflow's three and has no exported weight; weighted as `downstream`. */
  readonly unknownWeightRules: ReadonlyArray<{ readonly taskId: string; readonly weightRule: string }>;
}

type TaskGraphInput = Pick<DagSpec, 'dagId'> & {
  readonly tasks: ReadonlyArray<Pick<TaskSpec, 'taskId' | 'upstream' | 'downstream' | 'priorityWeight' | 'weightRule' | 'customWeight'>>;
};

/**
 * The weight a task instance gets when it is created (Airflow's `TaskInstance.insert_mapping`): a custom
 * strategy's weight for its map index, else the task's. A mapped task's placeholder renumbered from -1 to 0
 * keeps the weight it was created with, as in Airflow's `expand_mapped_task`.
 */
export function weightAt(weights: PriorityWeights, taskId: string, mapIndex: number): number {
  const table = mapIndex >= 0 ? weights.byMapIndex.get(taskId) : undefined;
  if (table && table.length > 0) return dbSafePriority(table[Math.min(mapIndex, table.length - 1)] ?? 1);
  return weights.byTaskId.get(taskId) ?? 1;
}

interface IndexedGraph {
  readonly weights: Float64Array;
  /** Distinct downstream task indexes per task. */
  readonly down: number[][];
  /** Distinct upstream task indexes per task. */
  readonly up: number[][];
  /** A topological order: every task before its downstream tasks. */
  readonly order: Int32Array;
}

function indexGraph(dag: TaskGraphInput): IndexedGraph {
  const index = new Map<string, number>();
  dag.tasks.forEach((task, i) => {
    if (index.has(task.taskId)) throw new BundleError('BUNDLE_INVALID', `DAG ${dag.dagId}: task id ${task.taskId} appears twice`);
    index.set(task.taskId, i);
  });
  const n = dag.tasks.length;
  const downSets = Array.from({ length: n }, () => new Set<number>());
  const lookup = (taskId: string, from: string): number => {
    const i = index.get(taskId);
    if (i === undefined) throw new BundleError('BUNDLE_INVALID', `DAG ${dag.dagId}: task ${from} refers to unknown task ${taskId}`);
    return i;
  };
  dag.tasks.forEach((task, i) => {
    // Both lists describe the same edges; reading both tolerates a bundle that filled in only one side.
    for (const d of task.downstream) downSets[i]?.add(lookup(d, task.taskId));
    for (const u of task.upstream) downSets[lookup(u, task.taskId)]?.add(i);
  });
  const down = downSets.map((set) => [...set]);
  const up: number[][] = Array.from({ length: n }, () => []);
  down.forEach((children, i) => children.forEach((c) => up[c]?.push(i)));
  // Kahn's algorithm; a leftover task means a cycle (the shim refuses those, so this is a guard).
  const indegree = Int32Array.from(up, (parents) => parents.length);
  const order = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (indegree[i] === 0) order[tail++] = i;
  while (head < tail) {
    const v = order[head++] ?? 0;
    for (const c of down[v] ?? []) {
      indegree[c] = (indegree[c] ?? 0) - 1;
      if (indegree[c] === 0) order[tail++] = c;
    }
  }
  if (tail !== n) throw new BundleError('BUNDLE_INVALID', `DAG ${dag.dagId}: the task graph has a cycle`);
  return { weights: Float64Array.from(dag.tasks, (t) => t.priorityWeight), down, up, order };
}

/**
 * For every task, its own weight plus the weights of its closure along `children` (downstream or upstream).
 * `order` must list each task after all of its children.
 */
function closureTotals(weights: Float64Array, children: number[][], parents: number[][], order: Iterable<number>): Float64Array {
  const n = weights.length;
  const words = Math.ceil(n / 32);
  const totals = new Float64Array(n);
  // Closure-with-self bitsets, kept only until every parent has read them.
  const sets: (Uint32Array | undefined)[] = new Array<Uint32Array | undefined>(n);
  const readsLeft = Int32Array.from(parents, (p) => p.length);

  const release = (c: number): void => {
    readsLeft[c] = (readsLeft[c] ?? 0) - 1;
    if (readsLeft[c] === 0) sets[c] = undefined;
  };
  const bitsetOf = (c: number): Uint32Array => {
    const set = sets[c];
    if (!set) throw new Error(`closure of task #${c} was released too early`);
    return set;
  };

  for (const v of order) {
    const kids = children[v] ?? [];
    const own = weights[v] ?? 0;
    const needSet = (parents[v]?.length ?? 0) > 0;
    let set: Uint32Array | undefined;
    if (kids.length === 0) {
      totals[v] = own;
      if (needSet) set = new Uint32Array(words);
    } else if (kids.length === 1) {
      const c = kids[0] ?? 0;
      totals[v] = own + (totals[c] ?? 0);
      if (needSet) set = readsLeft[c] === 1 ? bitsetOf(c) : bitsetOf(c).slice();
      release(c);
    } else {
      const first = kids[0] ?? 0;
      const acc = readsLeft[first] === 1 ? bitsetOf(first) : bitsetOf(first).slice();
      let sum = totals[first] ?? 0;
      for (let k = 1; k < kids.length; k++) {
        const other = bitsetOf(kids[k] ?? 0);
        for (let j = 0; j < words; j++) {
          let fresh = (other[j] ?? 0) & ~(acc[j] ?? 0);
          if (fresh === 0) continue;
          acc[j] = (acc[j] ?? 0) | fresh;
          while (fresh !== 0) {
            const low = fresh & -fresh;
            sum += weights[j * 32 + (31 - Math.clz32(low))] ?? 0;
            fresh ^= low;
          }
        }
      }
      totals[v] = own + sum;
      for (const c of kids) release(c);
      if (needSet) set = acc;
    }
    if (set) {
      set[v >>> 5] = (set[v >>> 5] ?? 0) | (1 << (v & 31));
      sets[v] = set;
    }
  }
  return totals;
}

/** The effective priority weight of every task of a DAG, by its weight rule. */
export function priorityWeights(dag: TaskGraphInput): PriorityWeights {
  const graph = indexGraph(dag);
  const unknownWeightRules: { taskId: string; weightRule: string }[] = [];
  let needDown = false;
  let needUp = false;
  const byMapIndex = new Map<string, readonly number[]>();
  for (const task of dag.tasks) {
    if (task.customWeight) {
      if (task.customWeight.byMapIndex) byMapIndex.set(task.taskId, task.customWeight.byMapIndex);
    } else if (task.weightRule === 'upstream') needUp = true;
    else if (task.weightRule !== 'absolute') {
      needDown = true;
      if (task.weightRule !== 'downstream') unknownWeightRules.push({ taskId: task.taskId, weightRule: task.weightRule });
    }
  }
  const topo = Array.from(graph.order);
  const downTotals = needDown ? closureTotals(graph.weights, graph.down, graph.up, [...topo].reverse()) : null;
  const upTotals = needUp ? closureTotals(graph.weights, graph.up, graph.down, topo) : null;
  const byTaskId = new Map<string, number>();
  dag.tasks.forEach((task, i) => {
    let weight: number;
    if (task.customWeight) weight = task.customWeight.weight;
    else if (task.weightRule === 'absolute') weight = task.priorityWeight;
    else if (task.weightRule === 'upstream') weight = upTotals?.[i] ?? task.priorityWeight;
    else weight = downTotals?.[i] ?? task.priorityWeight;
    byTaskId.set(task.taskId, dbSafePriority(weight));
  });
  return { byTaskId, byMapIndex, unknownWeightRules };
}
