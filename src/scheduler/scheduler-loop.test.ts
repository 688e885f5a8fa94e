import { describe, expect, it } from 'vitest';
import type { DagSpec } from '../dag/bundle.js';
import { bundleOf, dagOf, task } from '../dag/spec-fixtures.js';
import { silentLogger } from '../lib/logger.js';
import type { Executor } from '../ports/executor.js';
import { MemoryStore } from '../ports/memory-store.js';
import { SchedulerLoop } from './scheduler-loop.js';
import type { DagRunHook } from '../dag/dag-run-listeners.js';
import type { DagRunRecord, TaskInstanceRecord } from '../ports/metadata-store.js';

/** An executor that records what it was given; the test decides each attempt's outcome. */
class RecordingExecutor implements Executor {
  readonly name = 'recording';
  readonly given: TaskInstanceRecord[] = [];
  constructor(private slots = Infinity) {}
  openSlots(): number {
    return this.slots;
  }
  async enqueue(instances: readonly TaskInstanceRecord[]): Promise<void> {
    this.given.push(...instances);
  }
  async stop(): Promise<void> {}
}

async function setup(dag: DagSpec): Promise<{ store: MemoryStore; run: DagRunRecord }> {
  const store = new MemoryStore();
  await store.syncBundle(bundleOf(dag), 0);
  const record = await store.getDag(dag.dagId);
  const { run } = await store.createDagRun({
    dagId: dag.dagId, runId: 'manual__2024-01-01T00:00:00+00:00', versionHash: record?.versionHash ?? '', runType: 'manual',
    logicalDate: '2024-01-01T00:00:00+00:00', dataIntervalStart: '2024-01-01T00:00:00+00:00', dataIntervalEnd: '2024-01-01T00:00:00+00:00',
    runAfter: '2024-01-01T00:00:00+00:00', conf: {}, queuedAt: 0,
  }, 0);
  return { store, run: run as DagRunRecord };
}

/** Runs every queued instance to `state` through the store, as a worker would. */
async function finishAll(store: MemoryStore, executor: RecordingExecutor, state: 'success' | 'failed', now: number, retryAt: number | null = null): Promise<string[]> {
  const done: string[] = [];
  for (const ti of executor.given.splice(0)) {
    const started = await store.startTry(ti, ti.tryNumber, { workerId: 'w1', hostname: 'h', pid: 1 }, now);
    expect(started.started).toBe(true);
    await store.finishTry({
      key: ti, tryNumber: ti.tryNumber, state: state === 'failed' && retryAt !== null ? 'up_for_retry' : state, endDate: now, xcoms: [], skipTaskIds: [],
      nextRetryAt: retryAt, rescheduleAt: null, error: null, exitCode: 0, signal: null, exitReason: null, triggerDagRuns: [],
    });
    done.push(ti.taskId);
  }
  return done;
}

const states = async (store: MemoryStore, run: DagRunRecord): Promise<Record<string, string>> =>
  Object.fromEntries((await store.listTaskInstances(run)).map((ti) => [ti.taskId, ti.state]));

describe('SchedulerLoop', () => {
  it('expands a mapped task up to its maxMapLength, and fails one longer than the default of 1024', async () => {
    const mapped = (length: number): DagSpec => dagOf(
      [task('m', { mapping: { kind: 'expand', inputs: { x: { type: 'literal', value: Array.from({ length }, (_, i) => i) } }, partial: {}, groupId: null } })],
      [], { dagId: `mapped_${length}` },
    );
    const raised = await setup(mapped(1500));
    await new SchedulerLoop(raised.store, new RecordingExecutor(), silentLogger, { maxMapLength: 1500 }).tick(1);
    expect((await raised.store.listTaskInstances(raised.run)).length).toBe(1500);

    const capped = await setup(mapped(1025));
    await new SchedulerLoop(capped.store, new RecordingExecutor(), silentLogger).tick(1);
    const [only, ...rest] = await capped.store.listTaskInstances(capped.run);
    expect(rest).toEqual([]);
    expect(only?.state).toBe('failed');
    expect(only?.note).toContain('max_map_length');
  });

  it('runs a chain in order and finishes the run', async () => {
    const dag = dagOf([task('a'), task('b'), task('c')], ['a>b', 'b>c'], { dagId: 'chain' });
    const { store, run } = await setup(dag);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);

    const first = await loop.tick(1);
    expect(first.queued).toBe(1);
    expect(executor.given.map((ti) => [ti.taskId, ti.tryNumber, ti.state])).toEqual([['a', 1, 'queued']]);
    expect(await states(store, run)).toEqual({ a: 'queued', b: 'none', c: 'none' });
    expect(await finishAll(store, executor, 'success', 2)).toEqual(['a']);
    await loop.tick(3);
    expect(await finishAll(store, executor, 'success', 4)).toEqual(['b']);
    await loop.tick(5);
    expect(await finishAll(store, executor, 'success', 6)).toEqual(['c']);
    const last = await loop.tick(7);
    expect(last.runsFinished).toEqual([{ dagId: 'chain', runId: run.runId, state: 'success' }]);
    expect((await store.getDagRun(run))?.state).toBe('success');
  });

  it('marks downstream upstream_failed and fails the run', async () => {
    const dag = dagOf([task('a'), task('b')], ['a>b'], { dagId: 'fails' });
    const { store, run } = await setup(dag);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(1);
    await finishAll(store, executor, 'failed', 2);
    const stats = await loop.tick(3);
    expect(await states(store, run)).toEqual({ a: 'failed', b: 'upstream_failed' });
    expect(stats.runsFinished).toEqual([{ dagId: 'fails', runId: run.runId, state: 'failed' }]);
  });

  it('schedules a retry only once its time has come, on a new try', async () => {
    const dag = dagOf([task('a', { retries: 1 })], [], { dagId: 'retry' });
    const { store, run } = await setup(dag);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(1);
    await finishAll(store, executor, 'failed', 2, 1_000);
    await loop.tick(500);
    expect(executor.given).toEqual([]);
    expect(await states(store, run)).toEqual({ a: 'up_for_retry' });
    await loop.tick(1_000);
    expect(executor.given.map((ti) => [ti.taskId, ti.tryNumber])).toEqual([['a', 2]]);
  });

  it('gives the executor no more than its open slots, highest priority first', async () => {
    const dag = dagOf([task('low', { priorityWeight: 1 }), task('high', { priorityWeight: 10 }), task('mid', { priorityWeight: 5 })], [], { dagId: 'prio' });
    const { store } = await setup(dag);
    const executor = new RecordingExecutor(2);
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(1);
    expect(executor.given.map((ti) => ti.taskId)).toEqual(['high', 'mid']);
  });

  it('never queues the same try twice when two schedulers share one store', async () => {
    const tasks = Array.from({ length: 40 }, (_, i) => task(`t${i}`));
    const dag = dagOf(tasks, [], { dagId: 'two', maxActiveTasks: 100 });
    const { store } = await setup(dag);
    const one = new RecordingExecutor();
    const two = new RecordingExecutor();
    const loops = [new SchedulerLoop(store, one, silentLogger), new SchedulerLoop(store, two, silentLogger)];
    await Promise.all([loops[0]?.tick(1), loops[1]?.tick(1), loops[0]?.tick(2), loops[1]?.tick(2)]);
    const all = [...one.given, ...two.given].map((ti) => `${ti.taskId}#${ti.tryNumber}`);
    expect(all.length).toBe(40);
    expect(new Set(all).size).toBe(40);
  });

  it('respects max_active_runs: a second queued run waits', async () => {
    const dag = dagOf([task('a')], [], { dagId: 'mar', maxActiveRuns: 1 });
    const { store } = await setup(dag);
    const record = await store.getDag('mar');
    await store.createDagRun({
      dagId: 'mar', runId: 'manual__2024-01-02T00:00:00+00:00', versionHash: record?.versionHash ?? '', runType: 'manual',
      logicalDate: '2024-01-02T00:00:00+00:00', dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-02T00:00:00+00:00', conf: {}, queuedAt: 1,
    }, 1);
    const loop = new SchedulerLoop(store, new RecordingExecutor(), silentLogger);
    await loop.tick(2);
    const runs = await store.listDagRuns({ dagId: 'mar' });
    expect(runs.map((r) => [r.runId.slice(8, 18), r.state]).sort()).toEqual([['2024-01-01', 'running'], ['2024-01-02', 'queued']]);
  });
});

describe('SchedulerLoop limits', () => {
  it('stops at max_active_tasks (16 by default) and says why the rest wait', async () => {
    const dag = dagOf(Array.from({ length: 20 }, (_, i) => task(`t${i}`)), [], { dagId: 'limit', maxActiveTasks: 16 });
    const { store } = await setup(dag);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(1);
    expect(executor.given.length).toBe(16);
    expect(loop.lastRejections.length).toBe(4);
    expect(loop.lastRejections[0]?.reason.kind).toBe('max_active_tasks');
  });
});

describe('SchedulerLoop and paused DAGs', () => {
  it('neither starts runs nor queues tasks of a paused DAG, and resumes after unpause', async () => {
    const dag = dagOf([task('a')], [], { dagId: 'paused' });
    const { store, run } = await setup(dag);
    await store.setPaused('paused', true);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(1);
    expect([(await store.getDagRun(run))?.state, executor.given.length]).toEqual(['queued', 0]);
    await store.setPaused('paused', false);
    await loop.tick(10_000);
    expect([(await store.getDagRun(run))?.state, executor.given.map((ti) => ti.taskId)]).toEqual(['running', ['a']]);
  });
});

describe('SchedulerLoop and dagrun_timeout', () => {
  it('fails a run past its dagrun_timeout and skips what had not finished', async () => {
    const dag = dagOf([task('a'), task('b')], ['a>b'], { dagId: 'timeout', dagrunTimeoutSeconds: 10 });
    const { store, run } = await setup(dag);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(1_000);
    await finishAll(store, executor, 'success', 2_000);
    await loop.tick(5_000);
    expect(await states(store, run)).toEqual({ a: 'success', b: 'queued' });
    const stats = await loop.tick(12_000);
    expect(stats.runsFinished).toEqual([{ dagId: 'timeout', runId: run.runId, state: 'failed' }]);
    expect((await store.getDagRun(run))?.state).toBe('failed');
    // Unfinished instances are skipped, as Airflow does; a stale message for b is then refused by startTry.
    expect(await states(store, run)).toEqual({ a: 'success', b: 'skipped' });
  });
});

describe('SchedulerLoop and DAG callbacks', () => {
  it.each([
    ['success', { hasOnSuccessCallback: true } as const, { kind: 'success', reason: 'success' }],
    ['failed', { hasOnFailureCallback: true } as const, { kind: 'failure', reason: 'task_failure' }],
    ['success', { hasOnFailureCallback: true } as const, null],
    ['failed', {} as const, null],
  ] as const)('a run ending %s of a DAG with %j records %j (Airflow 2.10.5 DagRun.update_state)', async (outcome, flags, expected) => {
    const dag = dagOf([task('a')], [], { dagId: 'callbacks', ...flags });
    const { store, run } = await setup(dag);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(1_000);
    await finishAll(store, executor, outcome, 2_000);
    await loop.tick(3_000);
    await loop.tick(4_000);
    expect((await store.getDagRun(run))?.state).toBe(outcome);
    const claims = await store.claimDagCallbacks(10, 5_000);
    expect(claims).toEqual(expected === null ? [] : [{ dagId: 'callbacks', runId: run.runId, ...expected }]);
  });

  it('a run failed by dagrun_timeout records the failure callback with reason timed_out', async () => {
    const dag = dagOf([task('a'), task('b')], ['a>b'], { dagId: 'timeout_cb', dagrunTimeoutSeconds: 10, hasOnFailureCallback: true });
    const { store, run } = await setup(dag);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(1_000);
    await finishAll(store, executor, 'success', 2_000);
    await loop.tick(5_000);
    await loop.tick(12_000);
    expect(await store.claimDagCallbacks(10, 13_000)).toEqual([{ dagId: 'timeout_cb', runId: run.runId, kind: 'failure', reason: 'timed_out' }]);
  });
});

describe('SchedulerLoop and plugin listeners\' DAG-run hooks', () => {
  const allHooks = new Set(['on_dag_run_running', 'on_dag_run_success', 'on_dag_run_failed'] as const);
  const calls = async (store: MemoryStore, run: DagRunRecord): Promise<Array<[string, string]>> =>
    (await store.listDagRunListenerCalls(run)).map((call) => [call.hook, call.msg]);
  /** A one-task run started and ended `outcome` by a loop that knows `hooks`. */
  const endedRun = async (outcome: 'success' | 'failed', hooks: ReadonlySet<DagRunHook>): Promise<{ store: MemoryStore; run: DagRunRecord }> => {
    const { store, run } = await setup(dagOf([task('a')], [], { dagId: 'listened' }));
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger, { dagRunHooks: hooks });
    await loop.tick(1_000);
    await finishAll(store, executor, outcome, 2_000);
    await loop.tick(3_000);
    return { store, run };
  };

  // Airflow 2.10.5: SchedulerJobRunner._start_queued_dagruns notifies running with msg ""; DagRun.update_state
  // notifies success / failed with msg "success" / "task_failure" (airflow/models/dagrun.py).
  it.each([
    ['success', [['on_dag_run_running', ''], ['on_dag_run_success', 'success']]],
    ['failed', [['on_dag_run_running', ''], ['on_dag_run_failed', 'task_failure']]],
  ] as const)('a run ending %s records %j, in order', async (outcome, expected) => {
    const { store, run } = await endedRun(outcome, allHooks);
    expect(await calls(store, run)).toEqual(expected);
  });

  it('records only the hooks some listener implements, and nothing without listeners', async () => {
    for (const [hooks, expected] of [[new Set(['on_dag_run_success'] as const), [['on_dag_run_success', 'success']]], [new Set<never>(), []]] as const) {
      const { store, run } = await endedRun('success', hooks);
      expect(await calls(store, run)).toEqual(expected);
    }
  });

  it('a run failed by dagrun_timeout notifies on_dag_run_failed with an empty msg (SchedulerJobRunner._schedule_dag_run)', async () => {
    const dag = dagOf([task('a'), task('b')], ['a>b'], { dagId: 'timeout_listened', dagrunTimeoutSeconds: 10 });
    const { store, run } = await setup(dag);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger, { dagRunHooks: allHooks });
    await loop.tick(1_000);
    await finishAll(store, executor, 'success', 2_000);
    await loop.tick(5_000);
    await loop.tick(12_000);
    expect(await calls(store, run)).toEqual([['on_dag_run_running', ''], ['on_dag_run_failed', '']]);
  });

  it('hands a run\'s calls out one at a time, in order: the next only once the earlier one is done', async () => {
    const { store, run } = await endedRun('success', allHooks);
    const first = await store.claimDagRunListenerCalls(10, 4_000);
    expect(first.map((c) => c.hook)).toEqual(['on_dag_run_running']);
    expect(await store.claimDagRunListenerCalls(10, 4_000)).toEqual([]);
    await store.finishDagRunListenerCall(first[0]!.id, { error: null, output: '' }, 5_000);
    expect((await store.claimDagRunListenerCalls(10, 6_000)).map((c) => c.hook)).toEqual(['on_dag_run_success']);
    expect((await store.listDagRunListenerCalls(run)).map((c) => c.state)).toEqual(['done', 'running']);
  });
});

describe('SchedulerLoop decides only the runs that changed', () => {
  /** A loop over a run of a -> b whose `a` is queued, ticked until its own writes are behind it. */
  const settled = async (dag = dagOf([task('a'), task('b')], ['a>b'], { dagId: 'idle' })) => {
    const { store, run } = await setup(dag);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(1);
    // The first tick's own writes (creates, a -> scheduled -> queued) are changes: the next tick decides again.
    expect((await loop.tick(2)).runsDecided).toBe(1);
    return { store, run, executor, loop };
  };
  const decided = (stats: { runsDecided: number; runsUnchanged: number }): [number, number] => [stats.runsDecided, stats.runsUnchanged];

  it('does not decide a run that nothing changed, tick after tick', async () => {
    const { loop } = await settled();
    expect(decided(await loop.tick(3))).toEqual([0, 1]);
    expect(decided(await loop.tick(4))).toEqual([0, 1]);
  });

  it('decides a run again once a worker finished one of its instances', async () => {
    const { store, run, executor, loop } = await settled();
    await loop.tick(3);
    await finishAll(store, executor, 'success', 4);
    expect(decided(await loop.tick(5))).toEqual([1, 0]);
    expect(executor.given.map((ti) => ti.taskId)).toEqual(['b']);
    expect(await states(store, run)).toEqual({ a: 'success', b: 'queued' });
  });

  it('decides a run again once a worker started an instance, or handed one back', async () => {
    const { store, executor, loop } = await settled();
    const [a] = executor.given;
    await store.startTry(a!, a!.tryNumber, { workerId: 'w1', hostname: 'h', pid: 1 }, 3);
    expect(decided(await loop.tick(4))).toEqual([1, 0]);
    expect(decided(await loop.tick(5))).toEqual([0, 1]);
    await store.requeueTry(a!, a!.tryNumber, 'running', 'worker lost', 6);
    expect(decided(await loop.tick(7))).toEqual([1, 0]);
  });

  it('decides a run again once its instances were cleared through the store', async () => {
    const { store, run, executor, loop } = await settled(dagOf([task('a')], [], { dagId: 'cleared' }));
    await finishAll(store, executor, 'failed', 3);
    const spec = await store.getDagVersion(run.dagId, run.versionHash);
    // The run is still running as far as the store knows: the loop has not decided it since `a` failed.
    expect(await store.clearTaskInstances(run, spec!, [{ taskId: 'a', mapIndex: -1 }], 4)).toBe(1);
    expect(decided(await loop.tick(5))).toEqual([1, 0]);
    expect(executor.given.map((ti) => [ti.taskId, ti.tryNumber])).toEqual([['a', 2]]);
  });

  it('decides a run again once another scheduler changed it', async () => {
    const { store, executor, loop } = await settled();
    const other = new SchedulerLoop(store, new RecordingExecutor(), silentLogger);
    await finishAll(store, executor, 'success', 3);
    // The other scheduler queues b first; this loop must see b queued, not decide from what it saw before.
    expect((await other.tick(4)).queued).toBe(1);
    expect(decided(await loop.tick(5))).toEqual([1, 0]);
    expect(executor.given).toEqual([]);
  });

  it('decides a run again once an XCom of it was pushed', async () => {
    const { store, executor, loop } = await settled();
    const [a] = executor.given;
    await store.startTry(a!, a!.tryNumber, { workerId: 'w1', hostname: 'h', pid: 1 }, 3);
    await loop.tick(4);
    expect(decided(await loop.tick(5))).toEqual([0, 1]);
    expect(await store.pushXcom(a!, a!.tryNumber, 'return_value', [1, 2])).toBe(true);
    expect(decided(await loop.tick(7))).toEqual([1, 0]);
  });

  it('decides a run waiting on a retry delay when the delay ends, not before', async () => {
    const { store, run, executor, loop } = await settled(dagOf([task('a', { retries: 1 })], [], { dagId: 'retry_idle' }));
    await finishAll(store, executor, 'failed', 3, 1_000);
    expect(decided(await loop.tick(4))).toEqual([1, 0]);
    expect(decided(await loop.tick(500))).toEqual([0, 1]);
    expect(decided(await loop.tick(1_000))).toEqual([1, 0]);
    expect(executor.given.map((ti) => [ti.taskId, ti.tryNumber])).toEqual([['a', 2]]);
    expect(await states(store, run)).toEqual({ a: 'queued' });
  });

  it('decides a run waiting on a sensor\'s next poke when it is due', async () => {
    const { store, executor, loop } = await settled(dagOf([task('s')], [], { dagId: 'poke_idle' }));
    const [s] = executor.given.splice(0);
    await store.startTry(s!, s!.tryNumber, { workerId: 'w1', hostname: 'h', pid: 1 }, 3);
    await store.finishTry({
      key: s!, tryNumber: s!.tryNumber, state: 'up_for_reschedule', endDate: 4, xcoms: [], skipTaskIds: [],
      nextRetryAt: null, rescheduleAt: 2_000, error: null, exitCode: 0, signal: null, exitReason: null, triggerDagRuns: [],
    });
    await loop.tick(5);
    expect(decided(await loop.tick(1_999))).toEqual([0, 1]);
    await loop.tick(2_000);
    expect(executor.given.map((ti) => [ti.taskId, ti.tryNumber])).toEqual([['s', 1]]);
  });

  it('fails an unchanged run once its dagrun_timeout has passed', async () => {
    const { store, run, loop } = await settled(dagOf([task('a')], [], { dagId: 'timeout_idle', dagrunTimeoutSeconds: 10 }));
    expect(decided(await loop.tick(3))).toEqual([0, 1]);
    expect((await loop.tick(10_002)).runsFinished).toEqual([{ dagId: 'timeout_idle', runId: run.runId, state: 'failed' }]);
    expect((await store.getDagRun(run))?.state).toBe('failed');
  });

  it('decides every tick a run that waits on its previous run (depends_on_past)', async () => {
    const dag = dagOf([task('a', { dependsOnPast: true })], [], { dagId: 'past' });
    const { store, run } = await setup(dag);
    await store.createDagRun({
      dagId: 'past', runId: 'manual__2023-12-31T00:00:00+00:00', versionHash: run.versionHash, runType: 'manual',
      logicalDate: '2023-12-31T00:00:00+00:00', dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2023-12-31T00:00:00+00:00', conf: {}, queuedAt: 0,
    }, 0);
    const loop = new SchedulerLoop(store, new RecordingExecutor(0), silentLogger);
    await loop.tick(1);
    await loop.tick(2);
    // The later run waits for the earlier one's `a`; the earlier run, with nothing to do, is left alone.
    expect(decided(await loop.tick(3))).toEqual([1, 1]);
    expect(decided(await loop.tick(4))).toEqual([1, 1]);
  });

  it('queues a waiting instance of an unchanged run once its pool has room', async () => {
    const dag = dagOf([task('a', { pool: 'tiny' })], [], { dagId: 'pool_idle' });
    const { store } = await setup(dag);
    await store.setPool('tiny', 0);
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(1);
    await loop.tick(2);
    expect([decided(await loop.tick(3)), executor.given.length]).toEqual([[0, 1], 0]);
    await store.setPool('tiny', 1);
    expect((await loop.tick(4)).queued).toBe(1);
  });
});
