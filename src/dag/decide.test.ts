import { describe, expect, it } from 'vitest';
import { applyTaskResult, type NextRetryAtFn } from './apply-result.js';
import type { DagSpec, TaskSpec } from './bundle.js';
import { decideRun, type DecideInput, type RunChange, type RunDecision } from './decide.js';
import { dagOf, task } from './spec-fixtures.js';
import type { TaskInstanceState } from './states.js';
import { tiKey, type TaskInstanceView } from './task-instance.js';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const retryIn60s: NextRetryAtFn = (_task, _try, end) => end + 60_000;

/** Applies changes the way the store does (compare-and-set on the expected state). */
function apply(tis: TaskInstanceView[], changes: readonly RunChange[]): TaskInstanceView[] {
  const out = tis.map((t) => ({ ...t }));
  for (const c of changes) {
    if (c.kind === 'create') {
      out.push({ taskId: c.taskId, mapIndex: c.mapIndex, state: 'none', tryNumber: 0, maxTries: c.maxTries, startDate: null, endDate: null });
    } else if (c.kind === 'remap') {
      const ti = out.find((t) => t.taskId === c.taskId && t.mapIndex === -1 && t.state === c.state);
      if (!ti) throw new Error(`remap CAS failed: ${c.taskId}`);
      ti.mapIndex = 0;
    } else {
      const ti = out.find((t) => t.taskId === c.taskId && t.mapIndex === c.mapIndex && t.state === c.from);
      if (!ti) throw new Error(`CAS failed: ${tiKey(c.taskId, c.mapIndex)} ${c.from} -> ${c.to}`);
      ti.state = c.to;
      if ('tryNumber' in c && c.tryNumber !== undefined) ti.tryNumber = c.tryNumber;
      if ('nextRetryAt' in c) (ti as { nextRetryAt?: number | null }).nextRetryAt = (c as { nextRetryAt?: number }).nextRetryAt ?? null;
    }
  }
  return out;
}

/** A run driven through decideRun and worker results, as the scheduler and workers would. */
class Run {
  tis: TaskInstanceView[] = [];
  last!: RunDecision;
  constructor(
    readonly dag: DagSpec,
    readonly extra: Partial<DecideInput> = {},
  ) {}

  decide(now = NOW): RunDecision {
    this.last = decideRun({ dag: this.dag, tis: this.tis, now, ...this.extra });
    this.tis = apply(this.tis, this.last.changes);
    return this.last;
  }

  /** Queue and start a scheduled TI, then report `state`. */
  finish(key: string, state: 'success' | 'failed' | 'skipped', opts: { follow?: string[]; skip?: string[]; retryable?: boolean; now?: number } = {}): void {
    const ti = this.get(key);
    this.tis = apply(this.tis, [
      { kind: 'transition', taskId: ti.taskId, mapIndex: ti.mapIndex, from: 'scheduled', to: 'queued', reason: 'test' },
      { kind: 'transition', taskId: ti.taskId, mapIndex: ti.mapIndex, from: 'queued', to: 'running', reason: 'test' },
    ]);
    const decision = applyTaskResult(this.dag, this.tis, {
      taskId: ti.taskId,
      mapIndex: ti.mapIndex,
      state,
      followTaskIds: opts.follow ?? null,
      skipTaskIds: opts.skip ?? [],
      retryable: opts.retryable ?? true,
      now: opts.now ?? NOW,
      nextRetryAt: retryIn60s,
    });
    this.tis = apply(this.tis, decision.transitions);
  }

  get(key: string): TaskInstanceView {
    const ti = this.tis.find((t) => tiKey(t.taskId, t.mapIndex) === key);
    if (!ti) throw new Error(`no TI ${key}`);
    return ti;
  }

  states(): Record<string, TaskInstanceState> {
    return Object.fromEntries([...this.tis].sort((a, b) => (tiKey(a.taskId, a.mapIndex) < tiKey(b.taskId, b.mapIndex) ? -1 : 1)).map((t) => [tiKey(t.taskId, t.mapIndex), t.state]));
  }
}

const literal = (value: unknown): TaskSpec['mapping'] => ({ kind: 'expand', inputs: { x: { type: 'literal', value } }, partial: {}, groupId: null });
const fromXcom = (taskId: string): TaskSpec['mapping'] => ({
  kind: 'expand',
  inputs: { x: { type: 'xcom', taskId, key: 'return_value' } },
  partial: {},
  groupId: null,
});

describe('decideRun: linear chain', () => {
  const dag = dagOf([task('a'), task('b'), task('c')], ['a>b', 'b>c']);

  it('creates every task instance at run start and schedules the root', () => {
    const run = new Run(dag);
    const d = run.decide();
    expect(d.changes).toEqual([
      { kind: 'create', taskId: 'a', mapIndex: -1, maxTries: 0, reason: 'the run started' },
      { kind: 'create', taskId: 'b', mapIndex: -1, maxTries: 0, reason: 'the run started' },
      { kind: 'create', taskId: 'c', mapIndex: -1, maxTries: 0, reason: 'the run started' },
      { kind: 'transition', taskId: 'a', mapIndex: -1, from: 'none', to: 'scheduled', reason: 'the task has no upstream tasks', tryNumber: 1 },
    ]);
    expect(d.scheduled).toEqual([{ taskId: 'a', mapIndex: -1 }]);
    expect(d.waiting).toEqual([
      { taskId: 'b', mapIndex: -1, state: 'none', reason: 'trigger rule all_success needs every upstream to succeed, 1 have not (0/1 upstream done)' },
      { taskId: 'c', mapIndex: -1, state: 'none', reason: 'trigger rule all_success needs every upstream to succeed, 1 have not (0/1 upstream done)' },
    ]);
    expect(d.runState).toBe('running');
  });

  it('runs to success', () => {
    const run = new Run(dag);
    run.decide();
    run.finish('a', 'success');
    expect(run.decide().scheduled).toEqual([{ taskId: 'b', mapIndex: -1 }]);
    run.finish('b', 'success');
    run.decide();
    run.finish('c', 'success');
    const d = run.decide();
    expect(d.changes).toEqual([]);
    expect(d.runState).toBe('success');
  });

  it('cascades upstream_failed down the chain in one decision and fails the run', () => {
    const run = new Run(dag);
    run.decide();
    run.finish('a', 'failed');
    const d = run.decide();
    expect(d.changes).toEqual([
      { kind: 'transition', taskId: 'b', mapIndex: -1, from: 'none', to: 'upstream_failed', reason: 'trigger rule all_success can no longer be met because of upstream failures (1/1 upstream done, 1 failed)' },
      { kind: 'transition', taskId: 'c', mapIndex: -1, from: 'none', to: 'upstream_failed', reason: 'trigger rule all_success can no longer be met because of upstream failures (1/1 upstream done, 1 upstream_failed)' },
    ]);
    expect(d.runState).toBe('failed');
    expect(d.runStateReason).toBe('every task finished; c is upstream_failed');
  });
});

describe('decideRun: fan-in with each rule (a success, b failed)', () => {
  it.each([
    ['all_success', 'upstream_failed'],
    ['all_failed', 'skipped'],
    ['all_done', 'scheduled'],
    ['all_done_min_one_success', 'scheduled'],
    ['all_done_setup_success', 'scheduled'],
    ['one_success', 'scheduled'],
    ['one_failed', 'scheduled'],
    ['one_done', 'scheduled'],
    ['none_failed', 'upstream_failed'],
    ['none_skipped', 'scheduled'],
    ['all_skipped', 'skipped'],
    ['none_failed_min_one_success', 'upstream_failed'],
    ['none_failed_or_skipped', 'upstream_failed'],
    ['always', 'scheduled'],
    ['dummy', 'scheduled'],
  ])('%s -> %s', (rule, expected) => {
    const run = new Run(dagOf([task('a'), task('b'), task('c', { triggerRule: rule })], ['a>c', 'b>c']));
    run.decide();
    if (rule === 'always' || rule === 'dummy') {
      expect(run.get('c').state).toBe('scheduled');
      return;
    }
    run.finish('a', 'success');
    run.finish('b', 'failed');
    run.decide();
    expect(run.get('c').state).toBe(expected);
  });

  it('one_success runs as soon as one upstream succeeds, without waiting for the other', () => {
    const run = new Run(dagOf([task('a'), task('b'), task('c', { triggerRule: 'one_success' })], ['a>c', 'b>c']));
    run.decide();
    run.finish('a', 'success');
    run.decide();
    expect(run.states()).toEqual({ a: 'success', b: 'scheduled', c: 'scheduled' });
  });
});

describe('decideRun: branch with join', () => {
  const dag = dagOf(
    [task('branch', { kind: 'branch' }), task('x'), task('y'), task('join', { triggerRule: 'none_failed_min_one_success' })],
    ['branch>x', 'branch>y', 'x>join', 'y>join'],
  );

  it('skips the branch not taken and runs the join', () => {
    const run = new Run(dag);
    run.decide();
    run.finish('branch', 'success', { follow: ['x'] });
    expect(run.states()).toEqual({ branch: 'success', join: 'none', x: 'none', y: 'skipped' });
    run.decide();
    expect(run.states()).toEqual({ branch: 'success', join: 'none', x: 'scheduled', y: 'skipped' });
    run.finish('x', 'success');
    run.decide();
    run.finish('join', 'success');
    expect(run.decide().runState).toBe('success');
  });

  it('skips the join too when it keeps the default all_success', () => {
    const run = new Run(dagOf([task('branch', { kind: 'branch' }), task('x'), task('y'), task('join')], ['branch>x', 'branch>y', 'x>join', 'y>join']));
    run.decide();
    run.finish('branch', 'success', { follow: ['x'] });
    run.decide();
    expect(run.get('join').state).toBe('skipped');
  });

  it('does not skip a join that is also downstream of the followed task', () => {
    const run = new Run(dagOf([task('branch', { kind: 'branch' }), task('x'), task('join', { triggerRule: 'none_failed_min_one_success' })], ['branch>x', 'branch>join', 'x>join']));
    run.decide();
    run.finish('branch', 'success', { follow: ['x'] });
    expect(run.states()).toEqual({ branch: 'success', join: 'none', x: 'none' });
  });

  it('follows a TaskGroup id through its root tasks', () => {
    const groupDag = dagOf(
      [task('branch', { kind: 'branch' }), task('g.first', { group: 'g' }), task('g.second', { group: 'g' }), task('other')],
      ['branch>g.first', 'g.first>g.second', 'branch>other'],
      { taskGroups: [{ groupId: 'g', parentGroupId: null, prefixGroupId: true, tooltip: null, isMapped: false }] },
    );
    const run = new Run(groupDag);
    run.decide();
    run.finish('branch', 'success', { follow: ['g'] });
    expect(run.states()).toEqual({ branch: 'success', 'g.first': 'none', 'g.second': 'none', other: 'skipped' });
  });
});

describe('decideRun: short-circuit', () => {
  const tasks = (ignore: boolean): TaskSpec[] => [
    task('check', { kind: 'short_circuit', ignoreDownstreamTriggerRules: ignore }),
    task('a'),
    task('b', { triggerRule: 'all_done' }),
  ];

  it('skips every downstream task with ignore_downstream_trigger_rules', () => {
    const run = new Run(dagOf(tasks(true), ['check>a', 'a>b']));
    run.decide();
    run.finish('check', 'success', { skip: ['a', 'b'] });
    const d = run.decide();
    expect(run.states()).toEqual({ a: 'skipped', b: 'skipped', check: 'success' });
    expect(d.runState).toBe('success');
  });

  it('skips only the direct downstream otherwise; the rest follows trigger rules', () => {
    const run = new Run(dagOf(tasks(false), ['check>a', 'a>b']));
    run.decide();
    run.finish('check', 'success', { skip: ['a'] });
    run.decide();
    expect(run.states()).toEqual({ a: 'skipped', b: 'scheduled', check: 'success' });
  });
});

describe('decideRun: retries', () => {
  const dag = dagOf([task('a', { retries: 2 }), task('b')], ['a>b']);

  it('retries after the delay, then fails when no retry is left', () => {
    const run = new Run(dag);
    run.decide();
    expect(run.get('a')).toMatchObject({ state: 'scheduled', tryNumber: 1, maxTries: 2 });
    run.finish('a', 'failed');
    expect(run.get('a')).toMatchObject({ state: 'up_for_retry', nextRetryAt: NOW + 60_000 });

    const early = run.decide(NOW + 59_999);
    expect(early.changes).toEqual([]);
    expect(early.waiting[0]).toEqual({ taskId: 'a', mapIndex: -1, state: 'up_for_retry', reason: 'waiting for the retry delay: next try at 2024-01-01T12:01:00.000Z' });
    expect(early.runState).toBe('running');

    const due = run.decide(NOW + 60_000);
    expect(due.changes).toEqual([
      { kind: 'transition', taskId: 'a', mapIndex: -1, from: 'up_for_retry', to: 'scheduled', reason: 'up for retry: time reached', tryNumber: 2 },
    ]);
    run.finish('a', 'failed');
    run.decide(NOW + 120_000);
    expect(run.get('a').tryNumber).toBe(3);
    run.finish('a', 'failed');
    expect(run.get('a').state).toBe('failed');
    const end = run.decide(NOW + 200_000);
    expect(run.get('b').state).toBe('upstream_failed');
    expect(end.runState).toBe('failed');
  });

  it('does not retry a failure that is not retryable', () => {
    const run = new Run(dag);
    run.decide();
    run.finish('a', 'failed', { retryable: false });
    expect(run.get('a').state).toBe('failed');
  });
});

describe('decideRun: dynamic task mapping', () => {
  it('expands literals at run start; the downstream waits for every instance', () => {
    const run = new Run(dagOf([task('m', { mapping: literal([1, 2, 3]) }), task('after')], ['m>after']));
    const d = run.decide();
    expect(d.changes.filter((c) => c.kind === 'create').map((c) => tiKey(c.taskId, c.mapIndex))).toEqual(['m[0]', 'm[1]', 'm[2]', 'after']);
    expect(d.scheduled.map((t) => tiKey(t.taskId, t.mapIndex))).toEqual(['m[0]', 'm[1]', 'm[2]']);
    run.finish('m[0]', 'success');
    run.finish('m[1]', 'success');
    run.decide();
    expect(run.get('after').state).toBe('none');
    expect(run.last.waiting).toEqual([
      { taskId: 'after', mapIndex: -1, state: 'none', reason: 'trigger rule all_success needs every upstream to succeed, 1 have not (2/3 upstream done, 2 success)' },
    ]);
    run.finish('m[2]', 'success');
    run.decide();
    expect(run.get('after').state).toBe('scheduled');
  });

  it('uses the cross product of literal inputs', () => {
    const mapping: TaskSpec['mapping'] = {
      kind: 'expand',
      inputs: { x: { type: 'literal', value: [1, 2] }, y: { type: 'literal', value: { a: 1, b: 2, c: 3 } } },
      partial: {},
      groupId: null,
    };
    const d = new Run(dagOf([task('m', { mapping })])).decide();
    expect(d.scheduled).toHaveLength(6);
  });

  it('expands from an upstream XCom once it is pushed, turning the placeholder into index 0', () => {
    let pushed: number | null = null;
    const dag = dagOf([task('p'), task('m', { mapping: fromXcom('p') }), task('after')], ['p>m', 'm>after']);
    const run = new Run(dag, { mapInputLength: (taskId, key) => (taskId === 'p' && key === 'return_value' ? pushed : null) });
    run.decide();
    expect(run.get('m').state).toBe('none');
    run.finish('p', 'success');
    pushed = 2;
    const d = run.decide();
    expect(d.changes).toEqual([
      { kind: 'remap', taskId: 'm', fromMapIndex: -1, toMapIndex: 0, state: 'none', reason: 'expanded into 2 task instance(s)' },
      { kind: 'create', taskId: 'm', mapIndex: 1, maxTries: 0, reason: 'expanded into 2 task instance(s)' },
      { kind: 'transition', taskId: 'm', mapIndex: 0, from: 'none', to: 'scheduled', reason: 'trigger rule all_success met (1/1 upstream done, 1 success)', tryNumber: 1 },
      { kind: 'transition', taskId: 'm', mapIndex: 1, from: 'none', to: 'scheduled', reason: 'trigger rule all_success met (1/1 upstream done, 1 success)', tryNumber: 1 },
    ]);
    run.finish('m[0]', 'success');
    run.decide();
    expect(run.get('after').state).toBe('none');
    run.finish('m[1]', 'success');
    run.decide();
    expect(run.get('after').state).toBe('scheduled');
  });

  it('skips a task mapped over an empty list, and its all_success downstream', () => {
    const run = new Run(dagOf([task('p'), task('m', { mapping: fromXcom('p') }), task('after')], ['p>m', 'm>after']), { mapInputLength: () => 0 });
    run.decide();
    run.finish('p', 'success');
    const d = run.decide();
    expect(run.states()).toEqual({ after: 'skipped', m: 'skipped', p: 'success' });
    expect(d.changes[0]).toEqual({ kind: 'transition', taskId: 'm', mapIndex: -1, from: 'none', to: 'skipped', reason: 'mapped over an empty list or dict: nothing to run' });
    expect(d.runState).toBe('success');
  });

  it('skips an empty literal mapping when its turn comes', () => {
    const run = new Run(dagOf([task('m', { mapping: literal([]) })]));
    run.decide();
    expect(run.states()).toEqual({ m: 'skipped' });
  });

  it('fails the task when the expansion exceeds the cap', () => {
    const run = new Run(dagOf([task('m', { mapping: literal([1, 2, 3]) })]), { options: { maxMapLength: 2 } });
    const d = run.decide();
    expect(run.states()).toEqual({ m: 'failed' });
    expect(d.changes[1]).toEqual({
      kind: 'transition',
      taskId: 'm',
      mapIndex: -1,
      from: 'none',
      to: 'failed',
      reason: 'mapping would create 3 task instances, more than the limit of 2 (max_map_length)',
    });
    expect(d.runState).toBe('failed');
  });

  it('marks the mapped task upstream_failed when the producer succeeded without a mappable value', () => {
    const run = new Run(dagOf([task('p'), task('m', { mapping: fromXcom('p'), triggerRule: 'all_done' })], ['p>m']));
    run.decide();
    run.finish('p', 'success');
    run.decide();
    expect(run.get('m').state).toBe('upstream_failed');
  });

  it('marks the mapped task upstream_failed when its producer failed, whatever its trigger rule', () => {
    const run = new Run(dagOf([task('p'), task('m', { mapping: fromXcom('p'), triggerRule: 'all_done' })], ['p>m']));
    run.decide();
    run.finish('p', 'failed');
    run.decide();
    expect(run.get('m').state).toBe('upstream_failed');
  });

  it('runs a mapped task group per map index: b[1] depends only on a[1]', () => {
    const groupMapping: TaskSpec['mapping'] = { kind: 'expand', inputs: { x: { type: 'literal', value: ['x', 'y'] } }, partial: {}, groupId: 'g' };
    const dag = dagOf(
      [task('g.a', { group: 'g', mapping: groupMapping }), task('g.b', { group: 'g', mapping: groupMapping }), task('end')],
      ['g.a>g.b', 'g.b>end'],
      { taskGroups: [{ groupId: 'g', parentGroupId: null, prefixGroupId: true, tooltip: null, isMapped: true }] },
    );
    const run = new Run(dag);
    run.decide();
    expect(run.last.scheduled.map((t) => tiKey(t.taskId, t.mapIndex))).toEqual(['g.a[0]', 'g.a[1]']);
    run.finish('g.a[1]', 'success');
    run.decide();
    expect(run.states()).toEqual({ end: 'none', 'g.a[0]': 'scheduled', 'g.a[1]': 'success', 'g.b[0]': 'none', 'g.b[1]': 'scheduled' });
    run.finish('g.a[0]', 'failed');
    run.decide();
    expect(run.get('g.b[0]').state).toBe('upstream_failed');
    run.finish('g.b[1]', 'success');
    run.decide();
    expect(run.get('end').state).toBe('upstream_failed');
  });
});

describe('decideRun: setup and teardown', () => {
  const dag = dagOf(
    [
      task('setup', { isSetup: true }),
      task('work'),
      task('more'),
      task('teardown', { isTeardown: true, triggerRule: 'all_done_setup_success' }),
    ],
    ['setup>work', 'work>more', 'more>teardown', 'setup>teardown'],
  );

  it('runs the teardown after a failure; the run fails because of the work, not the teardown', () => {
    const run = new Run(dag);
    run.decide();
    run.finish('setup', 'success');
    run.decide();
    run.finish('work', 'failed');
    run.decide();
    expect(run.states()).toEqual({ more: 'upstream_failed', setup: 'success', teardown: 'scheduled', work: 'failed' });
    expect(run.last.runState).toBe('running');
    run.finish('teardown', 'success');
    const d = run.decide();
    expect(d.runState).toBe('failed');
    expect(d.runStateReason).toBe('every task finished; more is upstream_failed');
  });

  it('does not let a failing teardown fail the run', () => {
    const run = new Run(dag);
    run.decide();
    run.finish('setup', 'success');
    run.decide();
    run.finish('work', 'success');
    run.decide();
    run.finish('more', 'success');
    run.decide();
    run.finish('teardown', 'failed');
    expect(run.decide().runState).toBe('success');
  });

  it('lets a teardown with on_failure_fail_dagrun fail the run', () => {
    const strict = dagOf(
      dag.tasks.map((t) => (t.taskId === 'teardown' ? { ...t, onFailureFailDagrun: true, upstream: [], downstream: [] } : { ...t, upstream: [], downstream: [] })),
      ['setup>work', 'work>more', 'more>teardown', 'setup>teardown'],
    );
    const run = new Run(strict);
    run.decide();
    run.finish('setup', 'success');
    run.decide();
    run.finish('work', 'success');
    run.decide();
    run.finish('more', 'success');
    run.decide();
    run.finish('teardown', 'failed');
    expect(run.decide().runState).toBe('failed');
  });

  it('skips the teardown when its setup was skipped', () => {
    const run = new Run(dag);
    run.decide();
    run.finish('setup', 'skipped');
    run.decide();
    expect(run.states()).toEqual({ more: 'skipped', setup: 'skipped', teardown: 'skipped', work: 'skipped' });
  });

  it('makes a task wait for an indirect setup (setup constraint)', () => {
    // setup -> teardown, and setup -> a -> b: b's relevant setup is indirect.
    const indirect = dagOf(
      [task('setup', { isSetup: true }), task('a', { triggerRule: 'all_done' }), task('b', { triggerRule: 'all_done' }), task('teardown', { isTeardown: true, triggerRule: 'all_done_setup_success' })],
      ['setup>a', 'a>b', 'b>teardown', 'setup>teardown'],
    );
    const run = new Run(indirect);
    run.decide();
    run.finish('setup', 'failed');
    run.decide();
    // a (direct downstream, all_done) runs; b must not run without its setup; the teardown has nothing
    // to tear down once every upstream is done and no setup succeeded.
    expect(run.states()).toEqual({ a: 'scheduled', b: 'upstream_failed', setup: 'failed', teardown: 'upstream_failed' });
  });
});

describe('decideRun: depends_on_past', () => {
  const dag = dagOf([task('a', { dependsOnPast: true }), task('b')], ['a>b']);
  const prev = (state: TaskInstanceState): DecideInput['previousRun'] => ({
    runId: 'scheduled__prev',
    tis: [
      { taskId: 'a', mapIndex: -1, state, tryNumber: 1, maxTries: 0, startDate: null, endDate: null },
      { taskId: 'b', mapIndex: -1, state: 'failed', tryNumber: 1, maxTries: 0, startDate: null, endDate: null },
    ],
  });

  it.each([
    ['success', 'scheduled'],
    ['skipped', 'scheduled'],
    ['failed', 'none'],
    ['running', 'none'],
  ] as const)('previous a %s -> a %s', (previous, expected) => {
    const run = new Run(dag, { previousRun: prev(previous) });
    run.decide();
    expect(run.get('a').state).toBe(expected);
  });

  it('explains the wait', () => {
    const d = new Run(dag, { previousRun: prev('failed') }).decide();
    expect(d.waiting[0]).toEqual({
      taskId: 'a',
      mapIndex: -1,
      state: 'none',
      reason: 'depends_on_past: 1 task instance(s) of the previous run scheduled__prev are not success or skipped (failed)',
    });
    expect(d.runState).toBe('running');
  });

  it('waits for the previous run downstream with wait_for_downstream', () => {
    const waitDag = dagOf([task('a', { dependsOnPast: true, waitForDownstream: true }), task('b')], ['a>b']);
    const d = new Run(waitDag, { previousRun: prev('success') }).decide();
    expect(d.waiting[0]?.reason).toBe('wait_for_downstream: downstream task(s) b of the previous run scheduled__prev are not success or skipped');
  });

  it('passes the first run, and a task new in this run with ignore_first_depends_on_past', () => {
    expect(new Run(dag, { previousRun: null }).decide().scheduled).toEqual([{ taskId: 'a', mapIndex: -1 }]);
    const newTask = dagOf([task('a', { dependsOnPast: true, ignoreFirstDependsOnPast: true })]);
    const empty = { runId: 'p', tis: [] };
    expect(new Run(newTask, { previousRun: empty, hasPriorTis: () => false }).decide().scheduled).toHaveLength(1);
    expect(new Run(newTask, { previousRun: empty, hasPriorTis: () => true }).decide().scheduled).toHaveLength(0);
  });
});

describe('decideRun: removed and restored tasks, empty tasks, run state', () => {
  it('removes task instances of tasks no longer in the DAG', () => {
    const tis: TaskInstanceView[] = [
      { taskId: 'gone', mapIndex: -1, state: 'none', tryNumber: 0, maxTries: 0, startDate: null, endDate: null },
      { taskId: 'a', mapIndex: -1, state: 'success', tryNumber: 1, maxTries: 0, startDate: null, endDate: null },
    ];
    const d = decideRun({ dag: dagOf([task('a')]), tis, now: NOW });
    expect(d.changes).toEqual([{ kind: 'transition', taskId: 'gone', mapIndex: -1, from: 'none', to: 'removed', reason: 'the task is no longer in the DAG' }]);
    expect(d.runState).toBe('success');
  });

  it('restores a removed task instance of a task back in the DAG, and creates an added task', () => {
    const tis: TaskInstanceView[] = [{ taskId: 'a', mapIndex: -1, state: 'removed', tryNumber: 0, maxTries: 0, startDate: null, endDate: null }];
    const d = decideRun({ dag: dagOf([task('a'), task('b')]), tis, now: NOW });
    expect(d.changes.slice(0, 2)).toEqual([
      { kind: 'transition', taskId: 'a', mapIndex: -1, from: 'removed', to: 'none', reason: 'the task is in the DAG again' },
      { kind: 'create', taskId: 'b', mapIndex: -1, maxTries: 0, reason: 'the task was added to the DAG' },
    ]);
  });

  it('marks an empty task success without running it', () => {
    const d = new Run(dagOf([task('start', { kind: 'empty' }), task('a')], ['start>a'])).decide();
    expect(d.changes[2]).toEqual({
      kind: 'transition',
      taskId: 'start',
      mapIndex: -1,
      from: 'none',
      to: 'success',
      reason: 'the task has no upstream tasks; an empty task succeeds without running',
      tryNumber: 1,
    });
    expect(d.scheduled).toEqual([{ taskId: 'a', mapIndex: -1 }]);
  });

  it('fails a deadlocked run', () => {
    // An unmapped all_success task whose upstream was removed can never run (Airflow counts removed as not success).
    const tis: TaskInstanceView[] = [
      { taskId: 'a', mapIndex: -1, state: 'removed', tryNumber: 0, maxTries: 0, startDate: null, endDate: null },
      { taskId: 'b', mapIndex: -1, state: 'none', tryNumber: 0, maxTries: 0, startDate: null, endDate: null },
    ];
    const mapped = dagOf([task('a', { mapping: fromXcom('x') }), task('b'), task('x')], ['a>b', 'x>a']);
    const withX = [...tis, { taskId: 'x', mapIndex: -1, state: 'success' as const, tryNumber: 1, maxTries: 0, startDate: null, endDate: null }];
    const d = decideRun({ dag: mapped, tis: withX, now: NOW });
    expect(d.changes).toEqual([]);
    expect(d.runState).toBe('failed');
    expect(d.runStateReason).toBe('deadlock: no task instance can run (b wait for upstream states that cannot change)');
  });
});

describe('decideRun: a 10,000-task chain', () => {
  it('decides the start and a mid-chain step', () => {
    const n = 10_000;
    const tasks = Array.from({ length: n }, (_, i) => task(`t${i}`));
    const edges = Array.from({ length: n - 1 }, (_, i) => `t${i}>t${i + 1}`);
    const dag = dagOf(tasks, edges);
    const started = performance.now();
    const first = decideRun({ dag, tis: [], now: NOW });
    const tis = apply([], first.changes);
    const half = tis.map((t, i) => (i < n / 2 ? { ...t, state: 'success' as const, tryNumber: 1 } : t));
    const second = decideRun({ dag, tis: half, now: NOW });
    console.log(`decideRun on a ${n}-task chain: two decisions in ${(performance.now() - started).toFixed(0)} ms`);
    expect(first.changes).toHaveLength(n + 1);
    expect(second.scheduled).toEqual([{ taskId: `t${n / 2}`, mapIndex: -1 }]);
    expect(second.waiting).toHaveLength(n / 2 - 1);
  });
});
