import { describe, expect, it } from 'vitest';
import { priorityWeights, weightAt } from './priority.js';

interface MiniTask {
  taskId: string;
  upstream: string[];
  downstream: string[];
  priorityWeight: number;
  weightRule: string;
  customWeight?: { strategy: string; weight: number; byMapIndex: number[] | null };
}

/** Builds tasks from `a>b` edges; weights default to 1. */
function dag(edges: string[], weights: Record<string, number> = {}, rule = 'downstream', rules: Record<string, string> = {}) {
  const tasks = new Map<string, MiniTask>();
  const task = (id: string): MiniTask => {
    let t = tasks.get(id);
    if (!t) {
      t = { taskId: id, upstream: [], downstream: [], priorityWeight: weights[id] ?? 1, weightRule: rules[id] ?? rule };
      tasks.set(id, t);
    }
    return t;
  };
  for (const edge of edges) {
    const ids = edge.split('>');
    if (ids.length === 1) task(ids[0] ?? '');
    for (let i = 0; i + 1 < ids.length; i++) {
      const from = task(ids[i] ?? '');
      const to = task(ids[i + 1] ?? '');
      from.downstream.push(to.taskId);
      to.upstream.push(from.taskId);
    }
  }
  return { dagId: 'test', tasks: [...tasks.values()] };
}

const weightsOf = (d: ReturnType<typeof dag>): Record<string, number> => Object.fromEntries(priorityWeights(d).byTaskId);

describe('priorityWeights', () => {
  // Diamond a -> b, c -> d plus e hanging off c; each task counted once even when reached twice.
  const diamond = ['a>b>d', 'a>c>d', 'c>e'];
  const w = { a: 1, b: 2, c: 4, d: 8, e: 16 };

  it.each([
    ['downstream (Airflow default): own + every task below, once', 'downstream', { a: 31, b: 10, c: 28, d: 8, e: 16 }],
    ['upstream: own + every task above, once', 'upstream', { a: 1, b: 3, c: 5, d: 15, e: 21 }],
    ['absolute: own weight only', 'absolute', { a: 1, b: 2, c: 4, d: 8, e: 16 }],
    ['an unknown (custom) rule is weighted like downstream', 'my_plugin.Strategy', { a: 31, b: 10, c: 28, d: 8, e: 16 }],
  ])('%s', (_name, rule, expected) => {
    expect(weightsOf(dag(diamond, w, rule))).toEqual(expected);
  });

  it('applies each task its own rule and reports unknown rules', () => {
    const d = dag(diamond, w, 'downstream', { b: 'upstream', e: 'absolute', d: 'custom' });
    const result = priorityWeights(d);
    expect(Object.fromEntries(result.byTaskId)).toEqual({ a: 31, b: 3, c: 28, d: 8, e: 16 });
    expect(result.unknownWeightRules).toEqual([{ taskId: 'd', weightRule: 'custom' }]);
  });

  it('takes a custom strategy its exported weights, per map index when it has them', () => {
    const d = dag(diamond, w);
    // Exported for a strategy like max(map_index, 1) * 3 (table trimmed after its last change), and one like
    // Airflow's example plugin, max(3 - try_number + 1, 1), which is 4 at creation (try_number 0).
    const b = d.tasks.find((t) => t.taskId === 'b');
    const c = d.tasks.find((t) => t.taskId === 'c');
    if (!b || !c) throw new Error('fixture');
    b.weightRule = 'p.ByIndex';
    b.customWeight = { strategy: 'p.ByIndex', weight: 3, byMapIndex: [3, 3, 6, 9] };
    c.weightRule = 'p.Decreasing';
    c.customWeight = { strategy: 'p.Decreasing', weight: 4, byMapIndex: null };
    const result = priorityWeights(d);
    // a's downstream total still sums the tasks' own priority_weight (Airflow's _DownstreamPriorityWeightStrategy).
    expect(Object.fromEntries(result.byTaskId)).toEqual({ a: 31, b: 3, c: 4, d: 8, e: 16 });
    expect(result.unknownWeightRules).toEqual([]);
    expect([-1, 0, 1, 2, 3, 4, 1000].map((i) => weightAt(result, 'b', i))).toEqual([3, 3, 3, 6, 9, 9, 9]);
    expect([-1, 0, 7].map((i) => weightAt(result, 'c', i))).toEqual([4, 4, 4]);
    expect(weightAt(result, 'a', 2)).toBe(31);
  });

  it('handles wide fan-out and fan-in, isolated tasks and negative weights', () => {
    const edges = ['start>x1>end', 'start>x2>end', 'start>x3>end', 'solo'];
    expect(weightsOf(dag(edges, { x2: -5, end: 10 }))).toEqual({ start: 8, x1: 11, x2: 5, x3: 11, end: 10, solo: 1 });
  });

  it('clamps to the database integer range like db_safe_priority', () => {
    expect(weightsOf(dag(['a>b'], { a: 2_000_000_000, b: 2_000_000_000 }))).toEqual({ a: 2_147_483_647, b: 2_000_000_000 });
  });

  it('matches a brute-force closure walk on a dense layered DAG', () => {
    // Deterministic pseudo-random edges (LCG), 300 tasks, up to 4 children each, weights 1..9.
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const n = 300;
    const ids = Array.from({ length: n }, (_, i) => `t${i}`);
    const edges: string[] = ids.map((id) => id);
    const weights: Record<string, number> = {};
    ids.forEach((id, i) => {
      weights[id] = (next() % 9) + 1;
      const fanOut = next() % 5;
      for (let k = 0; k < fanOut && i + 1 < n; k++) edges.push(`${id}>t${i + 1 + (next() % Math.min(20, n - i - 1))}`);
    });
    for (const rule of ['downstream', 'upstream']) {
      const d = dag(edges, weights, rule);
      const byId = new Map(d.tasks.map((t) => [t.taskId, t]));
      const brute: Record<string, number> = {};
      for (const t of d.tasks) {
        const seen = new Set<string>();
        const stack = [...(rule === 'downstream' ? t.downstream : t.upstream)];
        while (stack.length > 0) {
          const id = stack.pop() ?? '';
          if (seen.has(id)) continue;
          seen.add(id);
          const rel = byId.get(id);
          stack.push(...((rule === 'downstream' ? rel?.downstream : rel?.upstream) ?? []));
        }
        brute[t.taskId] = t.priorityWeight + [...seen].reduce((sum, id) => sum + (byId.get(id)?.priorityWeight ?? 0), 0);
      }
      expect(weightsOf(d)).toEqual(brute);
    }
  });

  it('computes a 10,000-task chain in linear time (figure printed, no threshold)', () => {
    const n = 10_000;
    const chain = Array.from({ length: n }, (_, i) => `t${i}`).join('>');
    for (const rule of ['downstream', 'upstream'] as const) {
      const d = dag([chain], {}, rule);
      const started = performance.now();
      const result = priorityWeights(d);
      const elapsed = performance.now() - started;
      console.log(`priorityWeights: ${n}-task chain, ${rule}: ${elapsed.toFixed(1)} ms`);
      expect(result.byTaskId.get('t0')).toBe(rule === 'downstream' ? n : 1);
      expect(result.byTaskId.get('t4999')).toBe(rule === 'downstream' ? 5001 : 5000);
      expect(result.byTaskId.get(`t${n - 1}`)).toBe(rule === 'downstream' ? 1 : n);
    }
  });

  it('refuses a cycle, a duplicate task id and an edge to an unknown task, naming the DAG', () => {
    expect(() => priorityWeights(dag(['a>b>a']))).toThrow('DAG test: the task graph has a cycle');
    const dup = dag(['a>b']);
    dup.tasks.push({ ...dup.tasks[0]!, upstream: [], downstream: [] });
    expect(() => priorityWeights(dup)).toThrow('DAG test: task id a appears twice');
    const dangling = dag(['a']);
    dangling.tasks[0]!.downstream.push('ghost');
    expect(() => priorityWeights(dangling)).toThrow('DAG test: task a refers to unknown task ghost');
  });
});
