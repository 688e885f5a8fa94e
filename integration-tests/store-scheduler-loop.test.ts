/**
 * The scheduler loop on the PostgreSQL store: the same scenarios the loop's unit tests run on the memory
 * store, so both stores are held to the same behaviour.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagSpec } from '../src/dag/bundle.js';
import { dagOf, task } from '../src/dag/spec-fixtures.js';
import type { Executor } from '../src/ports/executor.js';
import { silentLogger } from '../src/lib/logger.js';
import { SchedulerLoop } from '../src/scheduler/scheduler-loop.js';
import { replayAdmission } from '../src/scheduler/admission-input.js';
import type { DagRunRecord, TaskInstanceRecord } from '../src/ports/metadata-store.js';
import { PgStore } from '../src/store/pg-store.js';
import { bundleOf, createMigratedDatabase, type TestDatabase } from './support/database.js';

class RecordingExecutor implements Executor {
  readonly name = 'recording';
  readonly given: TaskInstanceRecord[] = [];
  constructor(private readonly slots = Infinity) {}
  openSlots(): number {
    return this.slots;
  }
  async enqueue(instances: readonly TaskInstanceRecord[]): Promise<void> {
    this.given.push(...instances);
  }
  async stop(): Promise<void> {}
}

let db: TestDatabase;
let store: PgStore;
const T = Date.UTC(2024, 0, 1);

beforeAll(async () => {
  db = await createMigratedDatabase('scheduler_loop');
  store = new PgStore(db.pool);
});

afterAll(async () => {
  await store.close();
  await db.drop();
});

async function setup(dag: DagSpec): Promise<DagRunRecord> {
  await store.syncBundle(bundleOf([dag]), T);
  const record = await store.getDag(dag.dagId);
  const { run } = await store.createDagRun(
    {
      dagId: dag.dagId,
      runId: 'manual__2024-01-01T00:00:00+00:00',
      versionHash: record?.versionHash ?? '',
      runType: 'manual',
      logicalDate: '2024-01-01T00:00:00+00:00',
      dataIntervalStart: '2024-01-01T00:00:00+00:00',
      dataIntervalEnd: '2024-01-01T00:00:00+00:00',
      runAfter: '2024-01-01T00:00:00+00:00',
      conf: {},
      queuedAt: T,
    },
    T,
  );
  return run as DagRunRecord;
}

async function finishAll(executor: RecordingExecutor, state: 'success' | 'failed', now: number, retryAt: number | null = null): Promise<string[]> {
  const done: string[] = [];
  for (const ti of executor.given.splice(0)) {
    const started = await store.startTry(ti, ti.tryNumber, { workerId: 'w1', hostname: 'h', pid: 1 }, now);
    expect(started.started).toBe(true);
    const finished = await store.finishTry({
      key: ti,
      tryNumber: ti.tryNumber,
      state: state === 'failed' && retryAt !== null ? 'up_for_retry' : state,
      endDate: now,
      xcoms: [],
      skipTaskIds: [],
      nextRetryAt: retryAt,
      rescheduleAt: null,
      error: null,
      exitCode: state === 'success' ? 0 : 1,
      signal: null,
      exitReason: null,
      triggerDagRuns: [],
    });
    expect(finished).toBe(true);
    done.push(ti.taskId);
  }
  return done;
}

const states = async (run: DagRunRecord): Promise<Record<string, string>> =>
  Object.fromEntries((await store.listTaskInstances(run)).map((ti) => [ti.taskId, ti.state]));

describe('SchedulerLoop on PgStore', () => {
  it('runs a chain in order and finishes the run', async () => {
    const run = await setup(dagOf([task('a'), task('b'), task('c')], ['a>b', 'b>c'], { dagId: 'chain' }));
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    expect((await loop.tick(T + 1)).queued).toBe(1);
    expect(executor.given.map((ti) => [ti.taskId, ti.tryNumber, ti.state])).toEqual([['a', 1, 'queued']]);
    expect(await states(run)).toEqual({ a: 'queued', b: 'none', c: 'none' });
    expect(await finishAll(executor, 'success', T + 2)).toEqual(['a']);
    await loop.tick(T + 3);
    expect(await finishAll(executor, 'success', T + 4)).toEqual(['b']);
    await loop.tick(T + 5);
    expect(await finishAll(executor, 'success', T + 6)).toEqual(['c']);
    const last = await loop.tick(T + 7);
    expect(last.runsFinished).toEqual([{ dagId: 'chain', runId: run.runId, state: 'success' }]);
    expect(await store.getDagRun(run)).toMatchObject({ state: 'success', endDate: T + 7 });
  });

  it('marks downstream upstream_failed and fails the run', async () => {
    const run = await setup(dagOf([task('a'), task('b')], ['a>b'], { dagId: 'fails' }));
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(T + 1);
    await finishAll(executor, 'failed', T + 2);
    const stats = await loop.tick(T + 3);
    expect(await states(run)).toEqual({ a: 'failed', b: 'upstream_failed' });
    expect(stats.runsFinished).toEqual([{ dagId: 'fails', runId: run.runId, state: 'failed' }]);
  });

  it('schedules a retry only once its time has come, on a new try', async () => {
    const run = await setup(dagOf([task('a', { retries: 1 })], [], { dagId: 'retry' }));
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(T + 1);
    await finishAll(executor, 'failed', T + 2, T + 1_000);
    await loop.tick(T + 500);
    expect(executor.given).toEqual([]);
    expect(await states(run)).toEqual({ a: 'up_for_retry' });
    await loop.tick(T + 1_000);
    expect(executor.given.map((ti) => [ti.taskId, ti.tryNumber])).toEqual([['a', 2]]);
  });

  it('never queues the same try twice when two schedulers on two pools share the database', async () => {
    await setup(dagOf(Array.from({ length: 40 }, (_, i) => task(`t${i}`)), [], { dagId: 'two', maxActiveTasks: 100 }));
    const other = new PgStore(db.newPool());
    const one = new RecordingExecutor();
    const two = new RecordingExecutor();
    const loops = [new SchedulerLoop(store, one, silentLogger), new SchedulerLoop(other, two, silentLogger)];
    await Promise.all([loops[0]?.tick(T + 1), loops[1]?.tick(T + 1), loops[0]?.tick(T + 2), loops[1]?.tick(T + 2)]);
    const all = [...one.given, ...two.given].map((ti) => `${ti.taskId}#${ti.tryNumber}`);
    expect(all.length).toBe(40);
    expect(new Set(all).size).toBe(40);
    await other.close();
  });
});

describe('run change stamps on PgStore (migration 0011)', () => {
  const stampOf = async (run: DagRunRecord): Promise<string | undefined> =>
    (await store.runChangeStamps()).find((s) => s.dagId === run.dagId && s.runId === run.runId)?.stamp;
  const rowsOf = async (run: DagRunRecord): Promise<{ rows: number; total: number }> => {
    const result = await db.pool.query<{ rows: number; total: number }>(
      'SELECT count(*)::int AS rows, COALESCE(sum(changes), 0)::int AS total FROM dag_run_changes WHERE dag_id = $1 AND run_id = $2',
      [run.dagId, run.runId],
    );
    return result.rows[0]!;
  };

  it('moves with every write of a run\'s instances, XComs or row, whoever makes it, and only then', async () => {
    const run = await setup(dagOf([task('a'), task('b')], ['a>b'], { dagId: 'stamps' }));
    const loop = new SchedulerLoop(store, new RecordingExecutor(), silentLogger);
    await loop.tick(T + 1);
    const writes = [
      `UPDATE task_instances SET note = 'by hand' WHERE dag_id = $1 AND run_id = $2 AND task_id = 'b'`,
      `INSERT INTO xcoms (dag_id, run_id, task_id, map_index, key, value, updated_at) VALUES ($1, $2, 'a', -1, 'k', '1', now())`,
      `UPDATE xcoms SET value = '2' WHERE dag_id = $1 AND run_id = $2`,
      `DELETE FROM xcoms WHERE dag_id = $1 AND run_id = $2`,
      `UPDATE dag_runs SET conf = '{"x": 1}' WHERE dag_id = $1 AND run_id = $2`,
    ];
    for (const sql of writes) {
      const before = await stampOf(run);
      expect(await stampOf(run)).toBe(before);
      await db.pool.query(sql, [run.dagId, run.runId]);
      expect(await stampOf(run), sql).not.toBe(before);
    }
    // A compare-and-set that matches nothing is no change.
    const before = await stampOf(run);
    await db.pool.query(`UPDATE task_instances SET state = 'success' WHERE dag_id = $1 AND run_id = $2 AND state = 'restarting'`, [run.dagId, run.runId]);
    expect(await stampOf(run)).toBe(before);
  });

  it('moves for a change that commits after the stamp was read, whatever order the transactions commit in', async () => {
    const run = await setup(dagOf([task('a'), task('b')], [], { dagId: 'late_commit' }));
    await new SchedulerLoop(store, new RecordingExecutor(), silentLogger).tick(T + 1);
    const early = await db.pool.connect();
    try {
      await early.query('BEGIN');
      await early.query(`UPDATE task_instances SET note = 'early' WHERE dag_id = $1 AND run_id = $2 AND task_id = 'a'`, [run.dagId, run.runId]);
      // A later writer commits first; the reader reads between the two commits.
      await db.pool.query(`UPDATE task_instances SET note = 'late' WHERE dag_id = $1 AND run_id = $2 AND task_id = 'b'`, [run.dagId, run.runId]);
      const between = await stampOf(run);
      await early.query('COMMIT');
      expect(await stampOf(run)).not.toBe(between);
    } finally {
      early.release();
    }
  });

  it('folds a run\'s many change rows into one with the same total, and a finished run\'s at once', async () => {
    const run = await setup(dagOf([task('a')], [], { dagId: 'folded' }));
    for (let i = 0; i < 40; i += 1) await db.pool.query(`UPDATE dag_runs SET conf = $3::jsonb WHERE dag_id = $1 AND run_id = $2`, [run.dagId, run.runId, JSON.stringify({ i })]);
    const before = await rowsOf(run);
    expect(before.rows).toBeGreaterThan(32);
    const first = await stampOf(run);
    expect(await rowsOf(run)).toEqual({ rows: 1, total: before.total });
    // Folding gives the stamp a new row id once (a false "changed" is harmless); then it holds still.
    const second = await stampOf(run);
    expect(second).not.toBe(first);
    expect(await stampOf(run)).toBe(second);
    await db.pool.query(`UPDATE dag_runs SET state = 'failed' WHERE dag_id = $1 AND run_id = $2`, [run.dagId, run.runId]);
    expect(await rowsOf(run)).toEqual({ rows: 1, total: before.total + 1 });
    await db.pool.query('DELETE FROM dag_runs WHERE dag_id = $1 AND run_id = $2', [run.dagId, run.runId]);
    expect(await rowsOf(run)).toEqual({ rows: 0, total: 0 });
  });

  it('lets the loop leave an unchanged run alone and decide it again after any write to it', async () => {
    const run = await setup(dagOf([task('a'), task('b')], ['a>b'], { dagId: 'idle_pg' }));
    const executor = new RecordingExecutor();
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(T + 1);
    await loop.tick(T + 2);
    // Runs of the earlier tests are still running too, unchanged: none of them is decided either.
    expect((await loop.tick(T + 3)).runsDecided).toBe(0);
    // Marked success by hand (as an API or an operator in psql would): b must be scheduled on the next tick.
    await db.pool.query(`UPDATE task_instances SET state = 'success' WHERE dag_id = $1 AND run_id = $2 AND task_id = 'a'`, [run.dagId, run.runId]);
    executor.given.splice(0);
    expect((await loop.tick(T + 4)).runsDecided).toBe(1);
    expect(executor.given.map((ti) => ti.taskId)).toEqual(['b']);
    await finishAll(executor, 'success', T + 5);
    await loop.tick(T + 6);
    expect(await store.getDagRun(run)).toMatchObject({ state: 'success' });
  });
  describe('reading only the instances that changed', () => {
    const keysOf = (tis: readonly TaskInstanceRecord[]): string[] => tis.map((ti) => `${ti.taskId}[${ti.mapIndex}]`).sort();

    it('answers every instance first, then the rows written since, by any writer, and a late commit on a later read', async () => {
      const run = await setup(dagOf([task('a'), task('b'), task('c')], [], { dagId: 'changed_rows' }));
      await new SchedulerLoop(store, new RecordingExecutor(0), silentLogger).tick(T + 1);
      const whole = await store.listTaskInstancesChanged(run, null);
      expect(keysOf(whole.instances)).toEqual(['a[-1]', 'b[-1]', 'c[-1]']);
      expect(whole.total).toBe(3);
      expect((await store.listTaskInstancesChanged(run, whole.next)).instances).toEqual([]);

      await db.pool.query(`UPDATE task_instances SET note = 'by hand' WHERE dag_id = $1 AND run_id = $2 AND task_id = 'b'`, [run.dagId, run.runId]);
      const one = await store.listTaskInstancesChanged(run, whole.next);
      expect(keysOf(one.instances)).toEqual(['b[-1]']);
      expect(one.instances[0]?.note).toBe('by hand');

      // A transaction that wrote before a read and commits after it: the next read still holds its row.
      const early = await db.pool.connect();
      try {
        await early.query('BEGIN');
        await early.query(`UPDATE task_instances SET note = 'early' WHERE dag_id = $1 AND run_id = $2 AND task_id = 'a'`, [run.dagId, run.runId]);
        await db.pool.query(`UPDATE task_instances SET note = 'late' WHERE dag_id = $1 AND run_id = $2 AND task_id = 'c'`, [run.dagId, run.runId]);
        const between = await store.listTaskInstancesChanged(run, one.next);
        expect(keysOf(between.instances)).toContain('c[-1]');
        expect(between.instances.find((ti) => ti.taskId === 'a')?.note ?? null).not.toBe('early');
        await early.query('COMMIT');
        const after = await store.listTaskInstancesChanged(run, between.next);
        expect(after.instances.find((ti) => ti.taskId === 'a')?.note).toBe('early');
      } finally {
        early.release();
      }
    });

    it('lets the loop read a busy run by its changed rows, and read it whole when a row changed its key', async () => {
      const mapped = task('m', { mapping: { kind: 'expand', inputs: { x: { type: 'xcom', taskId: 'make', key: 'return_value' } }, partial: {}, groupId: null } });
      const run = await setup(dagOf([task('make'), mapped, ...Array.from({ length: 20 }, (_, i) => task(`t${i}`))], ['make>m'], { dagId: 'changed_loop' }));
      const reads: Array<{ since: string | null; rows: number }> = [];
      const listChanged: PgStore['listTaskInstancesChanged'] = async (key, since) => {
        const answer = await store.listTaskInstancesChanged(key, since);
        if (key.dagId === run.dagId) reads.push({ since, rows: answer.instances.length });
        return answer;
      };
      const counting = new Proxy(store, {
        get: (target, name) => (name === 'listTaskInstancesChanged' ? listChanged : (Reflect.get(target, name) as unknown as (...args: unknown[]) => unknown).bind?.(target) ?? Reflect.get(target, name)),
      });
      const executor = new RecordingExecutor();
      const loop = new SchedulerLoop(counting, executor, silentLogger);
      await loop.tick(T + 1);
      await loop.tick(T + 2);
      reads.splice(0);
      // Another writer finishes one instance: the loop reads that row, not the run's 22.
      await db.pool.query(`UPDATE task_instances SET state = 'success' WHERE dag_id = $1 AND run_id = $2 AND task_id = 't3'`, [run.dagId, run.runId]);
      await loop.tick(T + 3);
      expect(reads).toEqual([{ since: expect.any(String), rows: 1 }]);

      // Another scheduler expands m (its placeholder becomes map index 0, one more index is added): the copy's
      // count no longer matches, so the run is read whole and m[-1] is gone from what the loop decides on.
      await db.pool.query(`INSERT INTO xcoms (dag_id, run_id, task_id, map_index, key, value, updated_at) VALUES ($1, $2, 'make', -1, 'return_value', '[1, 2]', now())`, [run.dagId, run.runId]);
      await db.pool.query(`UPDATE task_instances SET state = 'success' WHERE dag_id = $1 AND run_id = $2 AND task_id = 'make'`, [run.dagId, run.runId]);
      const other = new SchedulerLoop(store, new RecordingExecutor(), silentLogger);
      await other.tick(T + 4);
      expect(keysOf((await store.listTaskInstances(run)).filter((ti) => ti.taskId === 'm'))).toEqual(['m[0]', 'm[1]']);
      reads.splice(0);
      executor.given.splice(0);
      await loop.tick(T + 5);
      expect(reads.map((r) => r.since === null)).toEqual([false, true]);
      const finished = await loop.tick(T + 6);
      expect(finished.changesApplied).toBe(0);
      expect(keysOf((await store.listTaskInstances(run)).filter((ti) => ti.taskId === 'm'))).toEqual(['m[0]', 'm[1]']);
    });
  });
  it('queues what admission over every scheduled instance queues, reading each query\'s limit from the database', async () => {
    // Ties of priority and map index are cut by ids bytewise; pools, per-task limits and max_active_tasks starve.
    const ids = ['A_1', 'a1', 'B', '_x', 'b_2', 'Z', 'z', 'a_1', 'Ab', 'aB'];
    const tasks = ids.flatMap((id, i) => [
      task(id, { priorityWeight: 1 + (i % 3), pool: i % 4 === 0 ? 'small' : 'default_pool' }),
      task(`${id}_capped`, { priorityWeight: 3, maxActiveTisPerDag: 1 }),
      task(`${id}_full`, { priorityWeight: 9, pool: 'full' }),
    ]);
    await store.setPool('small', 2);
    await store.setPool('full', 0);
    const dag = dagOf(tasks, [], { dagId: 'admission_pages', maxActiveTasks: 12 });
    const run = await setup(dag);
    const executor = new RecordingExecutor(0);
    const loop = new SchedulerLoop(store, executor, silentLogger);
    await loop.tick(T + 1);
    expect((await store.listTaskInstances(run)).every((ti) => ti.state === 'scheduled')).toBe(true);
    const activeRuns = await store.listActiveRuns();
    const spec = await store.getDagVersion(run.dagId, run.versionHash);
    const expected = replayAdmission({
      scheduled: await store.listScheduled(), occupancy: await store.occupancy(), activeRuns,
      specOf: (r) => (r.dagId === run.dagId ? spec : null), maxToAdmit: 7,
    });
    expect(expected.admitted.length).toBeGreaterThan(0);
    const reads: number[] = [];
    const listFor: PgStore['listScheduledFor'] = async (query) => {
      const rows = await store.listScheduledFor(query);
      reads.push(rows.length);
      return rows;
    };
    const counting = new Proxy(store, {
      get: (target, name) => (name === 'listScheduledFor' ? listFor : (Reflect.get(target, name) as unknown as (...args: unknown[]) => unknown).bind?.(target) ?? Reflect.get(target, name)),
    });
    const queued = await new SchedulerLoop(counting, new RecordingExecutor(7), silentLogger).tick(T + 2);
    const given = (await store.listTaskInstances(run)).filter((ti) => ti.state === 'queued').map((ti) => ti.taskId).sort();
    expect(queued.queued).toBe(expected.admitted.length);
    expect(given).toEqual(expected.admitted.map((c) => c.taskId).sort());
    expect(Math.max(...reads)).toBeLessThanOrEqual(7);
  });
});
