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
  it('computes branch skips itself, adds the reported ones, skips only unstarted instances', () => {
    const dag = dagOf(
      [task('br', { kind: 'branch' }), task('x'), task('y'), task('z', { triggerRule: 'always' })],
      ['br>x', 'br>y', 'br>z'],
    );
    const decision = applyTaskResult(
      dag,
      [ti('br', 'running'), ti('x', 'none'), ti('y', 'scheduled'), ti('z', 'running')],
      result({ taskId: 'br', followTaskIds: ['x'], skipTaskIds: ['ghost'] }),
    );
    expect(decision.transitions.map((t) => `${t.taskId}:${t.from}>${t.to}`)).toEqual(['br:running>success', 'y:scheduled>skipped']);
    expect(decision.unknownSkipTaskIds).toEqual(['ghost']);
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
