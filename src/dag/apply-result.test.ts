import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../lib/errors.js';
import { applyTaskResult, type NextRetryAtFn, type TaskResultInput } from './apply-result.js';
import { buildGraph } from './graph.js';
import { mappedLength, mappedDependencies, closestMappedGroup } from './mapping.js';
import { branchSkipTaskIds, groupRoots, shortCircuitSkipTaskIds } from './skip-propagation.js';
import { dagOf, task } from './spec-fixtures.js';
import type { TaskInstanceState } from './states.js';
import type { TaskInstanceView } from './task-instance.js';

const NOW = Date.UTC(2024, 0, 1);
const calls: Array<[string, number, number, string]> = [];
const nextRetryAt: NextRetryAtFn = (t, tryNumber, end, key) => {
  calls.push([t.taskId, tryNumber, end, key]);
  return end + 1000 * tryNumber;
};

function ti(taskId: string, state: TaskInstanceState, extra: Partial<TaskInstanceView> = {}): TaskInstanceView {
  return { taskId, mapIndex: -1, state, tryNumber: 1, maxTries: 0, startDate: null, endDate: null, ...extra };
}

function result(overrides: Partial<TaskResultInput>): TaskResultInput {
  return { taskId: 'a', mapIndex: -1, state: 'success', followTaskIds: null, skipTaskIds: [], retryable: true, now: NOW, nextRetryAt, ...overrides };
}

describe('applyTaskResult: the task instance itself', () => {
  const dag = dagOf([task('a', { retries: 2 }), task('b')], ['a>b']);

  it.each([
    // [state reported, tryNumber, maxTries, retryable, expected state]
    ['success', 1, 2, true, 'success'],
    ['skipped', 1, 2, true, 'skipped'],
    ['up_for_reschedule', 1, 2, true, 'up_for_reschedule'],
    ['failed', 1, 2, true, 'up_for_retry'],
    ['failed', 2, 2, true, 'up_for_retry'],
    ['failed', 3, 2, true, 'failed'],
    ['failed', 1, 2, false, 'failed'],
  ] as const)('%s on try %i of max %i (retryable %s) -> %s', (state, tryNumber, maxTries, retryable, expected) => {
    const decision = applyTaskResult(dag, [ti('a', 'running', { tryNumber, maxTries }), ti('b', 'none')], result({ state, retryable }));
    expect(decision.transitions[0]?.to).toBe(expected);
  });

  it('asks retry.ts for the retry time with the try number and the task instance key', () => {
    calls.length = 0;
    const decision = applyTaskResult(dag, [ti('a', 'running', { tryNumber: 2, maxTries: 2 })], result({ state: 'failed' }));
    expect(calls).toEqual([['a', 2, NOW, 'a']]);
    expect(decision.transitions).toEqual([
      { kind: 'transition', taskId: 'a', mapIndex: -1, from: 'running', to: 'up_for_retry', reason: 'try 2 failed; 1 retry left', nextRetryAt: NOW + 2000 },
    ]);
  });

  it('does not retry a task without retries, whatever maxTries says', () => {
    const noRetries = dagOf([task('a', { retries: 0 })]);
    expect(applyTaskResult(noRetries, [ti('a', 'running', { maxTries: 3 })], result({ state: 'failed' })).transitions[0]?.to).toBe('failed');
  });

  it('retries a task cleared while running, whatever it reported', () => {
    const decision = applyTaskResult(dag, [ti('a', 'restarting', { tryNumber: 3, maxTries: 2 })], result({ state: 'success' }));
    expect(decision.transitions[0]).toMatchObject({ from: 'restarting', to: 'up_for_retry' });
  });

  it('refuses a result for a task instance that is not running', () => {
    expect(() => applyTaskResult(dag, [ti('a', 'success')], result({}))).toThrow(IllegalTransitionError);
    expect(() => applyTaskResult(dag, [ti('a', 'queued')], result({}))).toThrow(IllegalTransitionError);
    expect(() => applyTaskResult(dag, [], result({}))).toThrow(RangeError);
  });

  it('keeps the reschedule time', () => {
    const d = applyTaskResult(dag, [ti('a', 'running')], result({ state: 'up_for_reschedule', rescheduleAt: NOW + 5000 }));
    expect(d.transitions[0]).toMatchObject({ to: 'up_for_reschedule', rescheduleAt: NOW + 5000 });
  });
});

describe('applyTaskResult: skips', () => {
  // Airflow 2.10.5 airflow/models/skipmixin.py: _set_state_to_skipped is an UPDATE without a state filter.
  it('computes branch skips itself, adds the reported ones, skips whatever the state (SkipMixin._set_state_to_skipped)', () => {
    const dag = dagOf(
      [task('br', { kind: 'branch' }), task('x'), task('y'), task('z', { triggerRule: 'always' })],
      ['br>x', 'br>y', 'br>z'],
    );
    const decision = applyTaskResult(
      dag,
      [ti('br', 'running'), ti('x', 'none'), ti('y', 'scheduled'), ti('z', 'running')],
      result({ taskId: 'br', followTaskIds: ['x'], skipTaskIds: ['ghost'] }),
    );
    expect(decision.transitions.map((t) => `${t.taskId}:${t.from}>${t.to}`)).toEqual(['br:running>success', 'y:scheduled>skipped', 'z:running>skipped']);
    expect(decision.unknownSkipTaskIds).toEqual(['ghost']);
    expect(decision.skipMapIndex).toBe(-1);
  });

  // Airflow 2.10.5 airflow/operators/python.py ShortCircuitOperator.execute (get_flat_relatives) + SkipMixin.skip.
  it('a short-circuit with ignore_downstream_trigger_rules skips an always task that already ran, every map index', () => {
    const dag = dagOf(
      [task('sc', { kind: 'short_circuit' }), task('a'), task('b', { triggerRule: 'always' }), task('m', { mapping: { kind: 'expand', inputs: { v: { type: 'literal', value: [1, 2] } }, partial: {}, groupId: null } })],
      ['sc>a', 'a>b', 'a>m'],
    );
    const d = applyTaskResult(
      dag,
      [ti('sc', 'running'), ti('a', 'none'), ti('b', 'success'), ti('m', 'none', { mapIndex: 0 }), ti('m', 'queued', { mapIndex: 1 }), ti('m', 'removed', { mapIndex: 2 })],
      result({ taskId: 'sc', skipTaskIds: ['a', 'b', 'm'] }),
    );
    expect(d.transitions.map((t) => `${t.taskId}[${t.mapIndex}]:${t.from}>${t.to}`)).toEqual([
      'sc[-1]:running>success', 'a[-1]:none>skipped', 'b[-1]:success>skipped', 'm[0]:none>skipped', 'm[1]:queued>skipped',
    ]);
    expect(d.skipMapIndex).toBeNull();
  });

  // Airflow 2.10.5 airflow/models/skipmixin.py _skip_all_except: dag_run.get_task_instance(t.task_id, map_index=ti.map_index).
  it('an unmapped branch skips only the map index -1 instance of a not-followed task (an expanded one runs)', () => {
    const mapping = { kind: 'expand' as const, inputs: { v: { type: 'literal' as const, value: [1, 2] } }, partial: {}, groupId: null };
    const dag = dagOf([task('br', { kind: 'branch' }), task('x'), task('m', { mapping }), task('p', { mapping })], ['br>x', 'br>m', 'br>p']);
    const d = applyTaskResult(
      dag,
      [ti('br', 'running'), ti('x', 'none'), ti('m', 'none', { mapIndex: 0 }), ti('m', 'none', { mapIndex: 1 }), ti('p', 'none')],
      result({ taskId: 'br', followTaskIds: ['x'] }),
    );
    expect(d.transitions.map((t) => `${t.taskId}[${t.mapIndex}]>${t.to}`)).toEqual(['br[-1]>success', 'p[-1]>skipped']);
  });

  // Airflow 2.10.5 SkipMixin._skip sets states only for map_index == -1; NotPreviouslySkippedDep
  // (airflow/ti_deps/deps/not_previously_skipped_dep.py) reads the skip list of direct upstreams at the same map index.
  it('an expanded short-circuit skips only direct downstream instances with its own map index', () => {
    const mapping = { kind: 'expand' as const, inputs: { v: { type: 'literal' as const, value: [1, 2] } }, partial: {}, groupId: 'g' };
    const dag = dagOf(
      [task('g.sc', { kind: 'short_circuit', group: 'g', mapping }), task('g.a', { group: 'g', mapping }), task('g.b', { group: 'g', mapping })],
      ['g.sc>g.a', 'g.a>g.b'],
      { taskGroups: [{ groupId: 'g', parentGroupId: null, prefixGroupId: true, tooltip: null, isMapped: true }] },
    );
    const tis = [0, 1].flatMap((i) => [ti('g.sc', i === 0 ? 'running' : 'scheduled', { mapIndex: i }), ti('g.a', 'none', { mapIndex: i }), ti('g.b', 'none', { mapIndex: i })]);
    const d = applyTaskResult(dag, tis, result({ taskId: 'g.sc', mapIndex: 0, skipTaskIds: ['g.a', 'g.b'] }));
    expect(d.transitions.map((t) => `${t.taskId}[${t.mapIndex}]>${t.to}`)).toEqual(['g.sc[0]>success', 'g.a[0]>skipped']);
    expect(d.skipMapIndex).toBe(0);
  });

  it('skips nothing when the task failed', () => {
    const dag = dagOf([task('br', { kind: 'branch' }), task('x')], ['br>x']);
    const d = applyTaskResult(dag, [ti('br', 'running'), ti('x', 'none')], result({ taskId: 'br', state: 'failed', followTaskIds: [] }));
    expect(d.transitions.map((t) => t.taskId)).toEqual(['br']);
  });

  it('inside a mapped task group, an expanded branch skips only its own map index', () => {
    const mapping = { kind: 'expand' as const, inputs: { v: { type: 'literal' as const, value: [1, 2] } }, partial: {}, groupId: 'g' };
    const dag = dagOf(
      [task('g.br', { kind: 'branch', group: 'g', mapping }), task('g.x', { group: 'g', mapping }), task('g.y', { group: 'g', mapping })],
      ['g.br>g.x', 'g.br>g.y'],
      { taskGroups: [{ groupId: 'g', parentGroupId: null, prefixGroupId: true, tooltip: null, isMapped: true }] },
    );
    const tis = [0, 1].flatMap((i) => [ti('g.br', i === 1 ? 'running' : 'scheduled', { mapIndex: i }), ti('g.x', 'none', { mapIndex: i }), ti('g.y', 'none', { mapIndex: i })]);
    const d = applyTaskResult(dag, tis, result({ taskId: 'g.br', mapIndex: 1, followTaskIds: ['g.x'] }));
    expect(d.transitions.map((t) => `${t.taskId}[${t.mapIndex}]>${t.to}`)).toEqual(['g.br[1]>success', 'g.y[1]>skipped']);
  });
});

describe('skip propagation helpers', () => {
  const dag = dagOf(
    [task('br'), task('a'), task('b'), task('g.r1', { group: 'g' }), task('g.r2', { group: 'g' }), task('g.in', { group: 'g' }), task('join')],
    ['br>a', 'br>b', 'br>g.r1', 'br>g.r2', 'g.r1>g.in', 'a>join', 'b>join', 'g.in>join', 'br>join'],
    { taskGroups: [{ groupId: 'g', parentGroupId: null, prefixGroupId: true, tooltip: null, isMapped: false }] },
  );
  const graph = buildGraph(dag);

  it('finds group roots', () => {
    expect(groupRoots(dag, graph, 'g').sort()).toEqual(['g.r1', 'g.r2']);
  });

  it.each([
    [['a'], ['b', 'g.r1', 'g.r2']],
    [['g'], ['a', 'b']],
    [[], ['a', 'b', 'g.r1', 'g.r2', 'join']],
    [['a', 'b'], ['g.r1', 'g.r2']],
  ])('branch following %j skips %j', (follow, skipped) => {
    expect(branchSkipTaskIds(dag, graph, 'br', follow)).toEqual(skipped);
  });

  it('short-circuit skips everything downstream, or only the direct downstream', () => {
    expect(shortCircuitSkipTaskIds(graph, 'a', true)).toEqual(['join']);
    expect(shortCircuitSkipTaskIds(graph, 'br', true)).toEqual(['a', 'b', 'g.in', 'g.r1', 'g.r2', 'join']);
    expect(shortCircuitSkipTaskIds(graph, 'br', false)).toEqual(['a', 'b', 'g.r1', 'g.r2', 'join']);
  });
});

describe('mapping helpers', () => {
  it.each([
    [{ x: { type: 'literal', value: [1, 2, 3] } }, 'expand', { kind: 'known', length: 3 }],
    [{ x: { type: 'literal', value: [1, 2] }, y: { type: 'literal', value: ['a', 'b', 'c'] } }, 'expand', { kind: 'known', length: 6 }],
    [{ x: { type: 'literal', value: { k: 1 } } }, 'expand', { kind: 'known', length: 1 }],
    [{ x: { type: 'literal', value: [] } }, 'expand', { kind: 'known', length: 0 }],
    [{ x: { type: 'literal', value: 'str' } }, 'expand', { kind: 'invalid', reason: 'mapped input x is not a list or dict' }],
    [{ x: { type: 'literal', value: { $repr: 'ZipXComArg(...)' } } }, 'expand', { kind: 'invalid', reason: 'mapped input x is not a list or dict' }],
    [{ kwargs: { type: 'literal', value: [{ a: 1 }, { a: 2 }] } }, 'expand_kwargs', { kind: 'known', length: 2 }],
    [{ x: { type: 'xcom', taskId: 'p', key: 'return_value' } }, 'expand', { kind: 'unknown', missing: ['p.return_value'] }],
    [{}, 'expand', { kind: 'invalid', reason: 'mapped task has no mapped inputs' }],
  ] as const)('%j (%s) -> %j', (inputs, kind, expected) => {
    const t = task('m', { mapping: { kind, inputs: inputs as never, partial: {}, groupId: null } });
    expect(mappedLength(t, null)).toEqual(expected);
  });

  it('reads XCom lengths from the caller and lists the producers', () => {
    const t = task('m', {
      mapping: { kind: 'expand', inputs: { x: { type: 'xcom', taskId: 'p', key: 'return_value' }, y: { type: 'literal', value: [1, 2] } }, partial: {}, groupId: null },
    });
    expect(mappedLength(t, () => 4)).toEqual({ kind: 'known', length: 8 });
    expect(mappedLength(t, () => -1)).toEqual({ kind: 'invalid', reason: 'XCom return_value of p has no mappable length (-1)' });
    expect(mappedLength(task('plain'), null)).toEqual({ kind: 'not_mapped' });
    expect(mappedDependencies(t)).toEqual(['p']);
  });

  it('finds the closest mapped group through nested groups', () => {
    const groups = [
      { groupId: 'outer', parentGroupId: null, prefixGroupId: true, tooltip: null, isMapped: true },
      { groupId: 'outer.inner', parentGroupId: 'outer', prefixGroupId: true, tooltip: null, isMapped: false },
    ];
    expect(closestMappedGroup({ taskGroups: groups }, task('outer.inner.t', { group: 'outer.inner' }))).toBe('outer');
    expect(closestMappedGroup({ taskGroups: groups }, task('t'))).toBeNull();
  });
});
