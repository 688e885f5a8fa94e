import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagSpec } from '../src/dag/bundle.js';
import { IllegalTransitionError } from '../src/lib/errors.js';
import type { DagRunRecord, TaskInstanceChange, TaskInstanceRecord } from '../src/ports/metadata-store.js';
import { PgStore } from '../src/store/pg-store.js';
import { dagVersionHash } from '../src/store/version-hash.js';
import { bundleOf, createMigratedDatabase, dagSpec, taskSpec, type TestDatabase } from './support/database.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);

let db: TestDatabase;
let store: PgStore;
const spec: DagSpec = dagSpec('ti', {
  tasks: [
    taskSpec('extract', { retries: 2, queue: 'etl', pool: 'db_pool', poolSlots: 3 }),
    taskSpec('load', { retries: 1 }),
    taskSpec('mapped'),
  ],
});
let runCounter = 0;

async function newRun(state: 'queued' | 'running' = 'running'): Promise<DagRunRecord> {
  runCounter += 1;
  const { run } = await store.createDagRun(
    {
      dagId: 'ti',
      runId: `manual__${runCounter}`,
      versionHash: dagVersionHash(spec),
      runType: 'manual',
      logicalDate: `2024-02-${String(runCounter).padStart(2, '0')}T00:00:00+00:00`,
      dataIntervalStart: null,
      dataIntervalEnd: null,
      runAfter: `2024-02-${String(runCounter).padStart(2, '0')}T00:00:00+00:00`,
      conf: {},
      queuedAt: T0,
      state,
    },
    T0,
  );
  return run as DagRunRecord;
}

const create = (taskId: string, mapIndex = -1, extra: Partial<Extract<TaskInstanceChange, { kind: 'create' }>> = {}): TaskInstanceChange => ({
  kind: 'create',
  taskId,
  mapIndex,
  priorityWeight: 5,
  ...extra,
});
const move = (taskId: string, from: string, to: string, extra: object = {}, mapIndex = -1): TaskInstanceChange =>
  ({ kind: 'transition', taskId, mapIndex, from, to, ...extra }) as TaskInstanceChange;

beforeAll(async () => {
  db = await createMigratedDatabase('task_instances');
  store = new PgStore(db.pool);
  await store.syncBundle(bundleOf([spec]), T0);
});

afterAll(async () => {
  await store.close();
  await db.drop();
});

describe('applyChanges', () => {
  it('creates instances with queue, pool, slots and max_tries from the spec, insert-if-absent', async () => {
    const run = await newRun();
    const changes = [create('extract'), create('load', -1, { state: 'scheduled', note: 'ready' }), create('extract')];
    const applied = await store.applyChanges(run, spec, changes, T0 + 1);
    // The second create of `extract` lands in a later wave and finds the row there: not applied.
    expect(applied).toEqual([changes[0], changes[1]]);
    const expected: TaskInstanceRecord = {
      dagId: 'ti',
      runId: run.runId,
      taskId: 'extract',
      mapIndex: -1,
      state: 'none',
      tryNumber: 0,
      maxTries: 2,
      queue: 'etl',
      pool: 'db_pool',
      poolSlots: 3,
      priorityWeight: 5,
      queuedAt: null,
      startDate: null,
      endDate: null,
      nextRetryAt: null,
      rescheduleAt: null,
      sensorFirstPokeAt: null,
      workerId: null,
      hostname: null,
      pid: null,
      note: null,
      renderedMapIndex: null,
    };
    expect(await store.getTaskInstance({ dagId: 'ti', runId: run.runId, taskId: 'extract', mapIndex: -1 })).toEqual(expected);
    const load = await store.getTaskInstance({ dagId: 'ti', runId: run.runId, taskId: 'load', mapIndex: -1 });
    // Created straight into scheduled: on its first try.
    expect(load).toMatchObject({ state: 'scheduled', tryNumber: 1, maxTries: 1, queue: 'default', pool: 'default_pool', note: 'ready' });
    expect(await store.applyChanges(run, spec, [create('extract')], T0)).toEqual([]);
  });

  it('applies chains of changes of one instance in order, compare-and-set on each `from`', async () => {
    const run = await newRun();
    const changes = [
      create('mapped', 0),
      create('mapped', 1),
      move('mapped', 'none', 'scheduled', { newTry: true }, 0),
      move('mapped', 'scheduled', 'none', {}, 1), // refused: mapped[1] is none
      move('mapped', 'scheduled', 'queued', {}, 0),
    ];
    const applied = await store.applyChanges(run, spec, changes, T0 + 2);
    expect(applied).toEqual([changes[0], changes[1], changes[2], changes[4]]);
    const tis = await store.listTaskInstances(run);
    expect(tis.map((ti) => [ti.taskId, ti.mapIndex, ti.state, ti.tryNumber, ti.queuedAt])).toEqual([
      ['mapped', 0, 'queued', 1, T0 + 2],
      ['mapped', 1, 'none', 0, null],
    ]);
  });

  it('stores nextRetryAt on up_for_retry, counts a new try on none/up_for_retry -> scheduled, and resets on clear', async () => {
    const run = await newRun();
    const key = { dagId: 'ti', runId: run.runId, taskId: 'extract', mapIndex: -1 };
    await store.applyChanges(run, spec, [create('extract'), move('extract', 'none', 'scheduled', { newTry: true })], T0);
    await store.markQueued([{ ...key, tryNumber: 1 }], T0 + 1);
    await store.startTry(key, 1, { workerId: 'w1', hostname: 'h1', pid: 11 }, T0 + 2);
    expect(await store.applyChanges(run, spec, [move('extract', 'running', 'up_for_retry', { nextRetryAt: T0 + 60_000, note: 'exit code 1' })], T0 + 3)).toHaveLength(1);
    expect(await store.getTaskInstance(key)).toMatchObject({
      state: 'up_for_retry',
      tryNumber: 1,
      nextRetryAt: T0 + 60_000,
      endDate: T0 + 3,
      note: 'exit code 1',
      workerId: 'w1',
    });
    await store.applyChanges(run, spec, [move('extract', 'up_for_retry', 'scheduled', { newTry: true, note: null })], T0 + 60_001);
    expect(await store.getTaskInstance(key)).toMatchObject({ state: 'scheduled', tryNumber: 2, nextRetryAt: null, endDate: null, note: null, sensorFirstPokeAt: null });
    // Clearing (-> none) allows the task's retries again from the current try, like Airflow's clear.
    await store.applyChanges(run, spec, [move('extract', 'scheduled', 'none', { note: 'cleared' })], T0 + 60_002);
    expect(await store.getTaskInstance(key)).toMatchObject({ state: 'none', tryNumber: 2, maxTries: 4, workerId: null, startDate: null, note: 'cleared' });
  });

  it('refuses an illegal transition before writing anything', async () => {
    const run = await newRun();
    await expect(store.applyChanges(run, spec, [create('load'), move('load', 'none', 'running')], T0)).rejects.toThrow(IllegalTransitionError);
    expect(await store.listTaskInstances(run)).toEqual([]);
  });

  it('takes max_tries from the change when given, and Airflow defaults for a task the spec lacks', async () => {
    const run = await newRun();
    await store.applyChanges(run, spec, [create('extract', -1, { maxTries: 7 }), create('ghost')], T0);
    const tis = await store.listTaskInstances(run);
    expect(tis.map((ti) => [ti.taskId, ti.maxTries, ti.queue, ti.pool, ti.poolSlots])).toEqual([
      ['extract', 7, 'etl', 'db_pool', 3],
      ['ghost', 0, 'default', 'default_pool', 1],
    ]);
  });

  it('keeps the note when a transition carries none, replaces it (or clears it with null) otherwise', async () => {
    const run = await newRun();
    await store.applyChanges(run, spec, [create('load', -1, { note: 'created' }), move('load', 'none', 'scheduled', { newTry: true })], T0);
    expect((await store.listTaskInstances(run))[0]?.note).toBe('created');
    await store.applyChanges(run, spec, [move('load', 'scheduled', 'none', { note: null })], T0);
    expect((await store.listTaskInstances(run))[0]?.note).toBeNull();
    await store.applyChanges(run, spec, [move('load', 'none', 'skipped', { note: 'branch not taken' })], T0 + 4);
    expect((await store.listTaskInstances(run))[0]).toMatchObject({ state: 'skipped', note: 'branch not taken', endDate: T0 + 4 });
  });

  it('remaps a mapped placeholder to map index 0 with its state, tries and history, compare-and-set on its state', async () => {
    const run = await newRun();
    const key = { dagId: 'ti', runId: run.runId, taskId: 'mapped', mapIndex: -1 };
    await store.applyChanges(run, spec, [create('mapped', -1, { state: 'scheduled' })], T0);
    await store.appendLogLines(key, 1, [{ seq: 1, at: T0, stream: 'system', line: 'placeholder' }]);
    const remap = (state: string, note?: string): TaskInstanceChange => ({ kind: 'remap', taskId: 'mapped', mapIndex: -1, toMapIndex: 0, state, note }) as TaskInstanceChange;
    expect(await store.applyChanges(run, spec, [remap('none')], T0)).toEqual([]);
    const changes = [remap('scheduled', 'expanded'), move('mapped', 'scheduled', 'queued', {}, 0), create('mapped', 1)];
    expect(await store.applyChanges(run, spec, changes, T0 + 1)).toEqual(changes);
    const tis = await store.listTaskInstances(run);
    expect(tis.map((ti) => [ti.mapIndex, ti.state, ti.tryNumber, ti.note])).toEqual([
      [0, 'queued', 1, 'expanded'],
      [1, 'none', 0, null],
    ]);
    expect(await store.readLogLines({ ...key, mapIndex: 0 }, 1)).toEqual([{ seq: 1, at: T0, stream: 'system', line: 'placeholder' }]);
    // Map index 0 exists now: a second placeholder cannot take it.
    await store.applyChanges(run, spec, [create('mapped', -1)], T0);
    expect(await store.applyChanges(run, spec, [remap('none')], T0)).toEqual([]);
  });

  it('sets dates for finished states like TaskInstance.set_state', async () => {
    const run = await newRun();
    await store.applyChanges(run, spec, [create('load'), move('load', 'none', 'upstream_failed', { note: 'upstream extract failed' })], T0 + 7);
    expect(await store.getTaskInstance({ dagId: 'ti', runId: run.runId, taskId: 'load', mapIndex: -1 })).toMatchObject({
      state: 'upstream_failed',
      startDate: T0 + 7,
      endDate: T0 + 7,
      note: 'upstream extract failed',
    });
  });

  it('applies a batch of 1,000 changes and returns exactly the applied ones', async () => {
    const run = await newRun();
    const creates = Array.from({ length: 1000 }, (_v, i) => create('mapped', i));
    expect(await store.applyChanges(run, spec, creates, T0)).toHaveLength(1000);
    // Every other instance was moved away from `none` first: half of the batch must be refused.
    await store.applyChanges(run, spec, creates.filter((_c, i) => i % 2 === 0).map((_c, i) => move('mapped', 'none', 'removed', {}, i * 2)), T0);
    const batch = creates.map((_c, i) => move('mapped', 'none', 'scheduled', { newTry: true }, i));
    const applied = await store.applyChanges(run, spec, batch, T0 + 1);
    expect(applied).toEqual(batch.filter((_c, i) => i % 2 === 1));
    const scheduled = (await store.listTaskInstances(run)).filter((ti) => ti.state === 'scheduled');
    expect(scheduled.map((ti) => ti.mapIndex)).toEqual(Array.from({ length: 500 }, (_v, i) => i * 2 + 1));
    expect(new Set(scheduled.map((ti) => ti.tryNumber))).toEqual(new Set([1]));
  });
});

describe('admission', () => {
  it('lists scheduled instances of active runs by priority, and queues each try at most once', async () => {
    const run = await newRun();
    const finished = await newRun();
    await store.applyChanges(
      run,
      spec,
      [
        create('extract', -1, { priorityWeight: 1, state: 'scheduled' }),
        create('load', -1, { priorityWeight: 9, state: 'scheduled' }),
      ],
      T0,
    );
    await store.applyChanges(finished, spec, [create('load', -1, { state: 'scheduled' })], T0);
    await store.setDagRunState(finished, 'running', 'failed', T0);
    const scheduled = (await store.listScheduled()).filter((ti) => ti.runId === run.runId || ti.runId === finished.runId);
    expect(scheduled.map((ti) => [ti.runId, ti.taskId])).toEqual([
      [run.runId, 'load'],
      [run.runId, 'extract'],
    ]);
    const key = (taskId: string, tryNumber: number) => ({ dagId: 'ti', runId: run.runId, taskId, mapIndex: -1, tryNumber });
    // A stale try number is refused.
    expect(await store.markQueued([key('load', 2)], T0 + 1)).toEqual([]);
    const queued = await store.markQueued([key('load', 1), key('extract', 1)], T0 + 1);
    expect(queued.map((ti) => [ti.taskId, ti.state, ti.queuedAt])).toEqual([
      ['load', 'queued', T0 + 1],
      ['extract', 'queued', T0 + 1],
    ]);
    expect(await store.markQueued([key('load', 1)], T0 + 2)).toEqual([]);
    expect((await store.listQueued()).filter((ti) => ti.runId === run.runId).map((ti) => ti.taskId).sort()).toEqual(['extract', 'load']);
  });

  it('never queues one try twice when two schedulers race (two pools, 200 instances, 10 rounds)', async () => {
    const other = new PgStore(db.newPool());
    const run = await newRun();
    const n = 200;
    await store.applyChanges(run, spec, Array.from({ length: n }, (_v, i) => create('mapped', i, { state: 'scheduled' })), T0);
    const keys = Array.from({ length: n }, (_v, i) => ({ dagId: 'ti', runId: run.runId, taskId: 'mapped', mapIndex: i, tryNumber: 1 }));
    const moved: number[] = [];
    for (let round = 0; round < 10; round += 1) {
      const slice = keys.slice(round * 20, round * 20 + 20);
      // Each scheduler asks for the whole slice, in opposite orders.
      const [a, b] = await Promise.all([store.markQueued(slice, T0), other.markQueued([...slice].reverse(), T0)]);
      moved.push(...a.map((ti) => ti.mapIndex), ...b.map((ti) => ti.mapIndex));
    }
    expect(moved.sort((x, y) => x - y)).toEqual(keys.map((k) => k.mapIndex));
    await other.close();
  });

  it('counts queued and running instances per pool (pool_slots), DAG, task and run task', async () => {
    const isolated = await createMigratedDatabase('occupancy');
    const s = new PgStore(isolated.pool);
    try {
      const other = dagSpec('other', { tasks: [taskSpec('x', { pool: 'unlisted' })] });
      await s.syncBundle(bundleOf([spec, other]), T0);
      await s.setPool('db_pool', 4, 'the database');
      const mkRun = async (dagId: string, runId: string, versionHash: string): Promise<DagRunRecord> =>
        (
          await s.createDagRun(
            { dagId, runId, versionHash, runType: 'manual', logicalDate: null, dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-01T00:00:00+00:00', conf: {}, queuedAt: T0, state: 'running' },
            T0,
          )
        ).run as DagRunRecord;
      const r1 = await mkRun('ti', 'r1', dagVersionHash(spec));
      const r2 = await mkRun('ti', 'r2', dagVersionHash(spec));
      const r3 = await mkRun('other', 'r3', dagVersionHash(other));
      await s.applyChanges(r1, spec, [create('extract', -1, { state: 'scheduled' }), create('load', -1, { state: 'scheduled' }), create('mapped', 0, { state: 'scheduled' })], T0);
      await s.applyChanges(r2, spec, [create('extract', -1, { state: 'scheduled' }), create('load', -1, { state: 'scheduled' })], T0);
      await s.applyChanges(r3, other, [create('x', -1, { state: 'scheduled' })], T0);
      const k = (run: string, taskId: string, mapIndex = -1, dagId = 'ti') => ({ dagId, runId: run, taskId, mapIndex, tryNumber: 1 });
      await s.markQueued([k('r1', 'extract'), k('r1', 'load'), k('r2', 'extract'), k('r3', 'x', -1, 'other')], T0);
      await s.startTry(k('r1', 'extract'), 1, { workerId: 'w', hostname: 'h', pid: 1 }, T0);
      // r2/load stays scheduled and r1/mapped[0] stays scheduled: not counted.
      const occupancy = await s.occupancy();
      expect(occupancy.pools).toEqual(
        new Map([
          ['default_pool', { slots: 128, used: 1 }],
          ['db_pool', { slots: 4, used: 6 }],
          ['unlisted', { slots: 0, used: 1 }],
        ]),
      );
      expect(occupancy.activeByDag).toEqual(new Map([['ti', 3], ['other', 1]]));
      expect(occupancy.activeByTask).toEqual(new Map([['ti\u0000extract', 2], ['ti\u0000load', 1], ['other\u0000x', 1]]));
      expect(occupancy.activeByRunTask).toEqual(
        new Map([['ti\u0000r1\u0000extract', 1], ['ti\u0000r1\u0000load', 1], ['ti\u0000r2\u0000extract', 1], ['other\u0000r3\u0000x', 1]]),
      );
      expect((await s.listRunning()).map((ti) => [ti.runId, ti.taskId, ti.workerId])).toEqual([['r1', 'extract', 'w']]);
    } finally {
      await s.close();
      await isolated.drop();
    }
  });
});
