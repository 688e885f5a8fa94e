import { describe, expect, it } from 'vitest';
import { BundleError } from '../lib/errors.js';
import { dagOf, task } from './spec-fixtures.js';
import { buildGraph, downstreamClosure, findCycle, leaves, roots, upstreamClosure, validateDagEdges } from './graph.js';

describe('buildGraph', () => {
  const dag = dagOf([task('a'), task('b'), task('c'), task('d')], ['a>b', 'a>c', 'b>d', 'c>d']);
  const graph = buildGraph(dag);

  it('orders tasks topologically, ties in bundle order', () => {
    expect(graph.topoOrder).toEqual(['a', 'b', 'c', 'd']);
    const reversed = buildGraph(dagOf([task('d'), task('c'), task('b'), task('a')], ['a>b', 'a>c', 'b>d', 'c>d']));
    expect(reversed.topoOrder).toEqual(['a', 'c', 'b', 'd']);
  });

  it('gives roots, leaves and closures', () => {
    expect(roots(graph)).toEqual(['a']);
    expect(leaves(graph)).toEqual(['d']);
    expect([...upstreamClosure(graph, 'd')].sort()).toEqual(['a', 'b', 'c']);
    expect([...downstreamClosure(graph, 'b')].sort()).toEqual(['d']);
    expect([...downstreamClosure(graph, 'd')]).toEqual([]);
  });

  it('refuses a cycle and names its path', () => {
    const cyclic = dagOf([task('a'), task('b'), task('c')], ['a>b', 'b>c', 'c>a']);
    expect(() => buildGraph(cyclic)).toThrow(new BundleError('BUNDLE_INVALID', 'DAG d has a cycle: a -> b -> c -> a'));
    expect(findCycle(['x'], new Map([['x', ['x']]]))).toEqual(['x', 'x']);
  });

  it('reports unknown, one-sided and self edges', () => {
    const bad = dagOf([task('a', { downstream: ['ghost'] }), task('b', { upstream: ['a'] }), task('c', { upstream: ['c'], downstream: ['c'] })]);
    expect(validateDagEdges(bad).map((p) => p.message)).toEqual([
      'task a: downstream names unknown task ghost',
      'task b lists a in upstream but a does not list b in downstream',
      'task c lists itself in upstream',
      'task c lists itself in downstream',
    ]);
    expect(() => buildGraph(bad)).toThrow(BundleError);
    expect(validateDagEdges({ tasks: [task('a'), task('a')] }).map((p) => p.message)).toEqual(['task id a is defined twice']);
  });

  it('handles a 10,000-task chain without deep recursion', () => {
    const n = 10_000;
    const tasks = Array.from({ length: n }, (_, i) => task(`t${i}`));
    const edges = Array.from({ length: n - 1 }, (_, i) => `t${i}>t${i + 1}`);
    const chain = buildGraph(dagOf(tasks, edges));
    expect(chain.topoOrder[0]).toBe('t0');
    expect(chain.topoOrder[n - 1]).toBe(`t${n - 1}`);
    expect(upstreamClosure(chain, `t${n - 1}`).size).toBe(n - 1);
    expect(findCycle(chain.taskIds, chain.downstream)).toBeNull();
  });
});
