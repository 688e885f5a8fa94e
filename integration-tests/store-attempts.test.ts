import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { DagSpec } from '../src/dag/bundle.js';
import type { AttemptOutcome, DagRunRecord, LogLine, TaskInstanceKey } from '../src/ports/metadata-store.js';
import { METADATA_CHANGES_CHANNEL } from '../src/store/db.js';
import { PgStore } from '../src/store/pg-store.js';
import { latestRenderedFields, listTries } from '../src/store/web-queries.js';
import { isUnreachable } from '../src/lib/unreachable.js';
import { dagVersionHash } from '../src/store/version-hash.js';
import { bundleOf, createMigratedDatabase, dagSpec, taskSpec, type TestDatabase } from './support/database.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);
const WORKER = { workerId: 'worker-1', hostname: 'node-3', pid: 4242 };

let db: TestDatabase;
let store: PgStore;
const spec: DagSpec = dagSpec('att', {
  tasks: [
    taskSpec('branch', { kind: 'branch', retries: 1 }),
    taskSpec('left'),
    taskSpec('right'),
    taskSpec('done'),
  ],
});
const target: DagSpec = dagSpec('target', { schedule: { type: 'none' }, params: { n: { default: 1, description: null, schema: { type: 'integer' } } } });
let counter = 0;

/** A running run with every task created; `taskId` scheduled and queued on try 1. */
async function queuedInstance(taskId = 'branch'): Promise<{ run: DagRunRecord; key: TaskInstanceKey }> {
  counter += 1;
  const { run } = await store.createDagRun(
    {
      dagId: 'att',
      runId: `manual__${counter}`,
      versionHash: dagVersionHash(spec),
      runType: 'manual',
      logicalDate: null,
      dataIntervalStart: null,
      dataIntervalEnd: null,
      runAfter: '2024-01-01T00:00:00+00:00',
      conf: { n: counter },
      queuedAt: T0,
      state: 'running',
    },
    T0,
  );
  const created = run as DagRunRecord;
  await store.applyChanges(
    created,
    spec,
    spec.tasks.map((task) => ({ kind: 'create' as const, taskId: task.taskId, mapIndex: -1, priorityWeight: 1, state: task.taskId === taskId ? ('scheduled' as const) : undefined })),
    T0,
  );
  const key = { dagId: 'att', runId: created.runId, taskId, mapIndex: -1 };
  await store.markQueued([{ ...key, tryNumber: 1 }], T0 + 1);
  return { run: created, key };
}

function outcome(key: TaskInstanceKey, overrides: Partial<AttemptOutcome> = {}): AttemptOutcome {
  return {
    key,
    tryNumber: 1,
    state: 'success',
    endDate: T0 + 10_000,
    xcoms: [],
    skipTaskIds: [],
    nextRetryAt: null,
    rescheduleAt: null,
    error: null,
    exitCode: 0,
    signal: null,
    exitReason: null,
    triggerDagRuns: [],
    ...overrides,
  };
}

async function history(key: TaskInstanceKey): Promise<Array<Record<string, unknown>>> {
  const result = await db.pool.query(
    `SELECT try_number, worker_id, hostname, pid, start_date, end_date, duration_seconds, state, exit_code, signal, exit_reason, error, log_lines
       FROM task_instance_tries WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 ORDER BY try_number`,
    [key.dagId, key.runId, key.taskId, key.mapIndex],
  );
  return result.rows.map((row: Record<string, unknown>) => ({
    ...row,
    start_date: row.start_date instanceof Date ? row.start_date.getTime() : row.start_date,
    end_date: row.end_date instanceof Date ? row.end_date.getTime() : row.end_date,
    log_lines: Number(row.log_lines),
  }));
}

beforeAll(async () => {
  db = await createMigratedDatabase('attempts');
  store = new PgStore(db.pool);
  await store.syncBundle(bundleOf([spec, target]), T0);
});

afterAll(async () => {
  await store.close();
  await db.drop();
});

describe('startTry', () => {
  it('starts a queued try once, returns the instance and its run, and records the attempt', async () => {
    const { run, key } = await queuedInstance();
    const started = await store.startTry(key, 1, WORKER, T0 + 2);
    expect(started.started).toBe(true);
    if (!started.started) return;
    expect(started.run).toEqual(run);
    expect(started.instance).toMatchObject({ state: 'running', tryNumber: 1, startDate: T0 + 2, sensorFirstPokeAt: T0 + 2, ...WORKER });
    expect(await store.startTry(key, 1, { ...WORKER, workerId: 'worker-2' }, T0 + 3)).toEqual({
      started: false,
      reason: 'task instance is running on try 1, not queued on try 1',
    });
    expect(await history(key)).toEqual([
      { try_number: 1, worker_id: 'worker-1', hostname: 'node-3', pid: 4242, start_date: T0 + 2, end_date: null, duration_seconds: null, state: 'running', exit_code: null, signal: null, exit_reason: null, error: null, log_lines: 0 },
    ]);
  });

  it('refuses a stale try and an unknown instance', async () => {
    const { key } = await queuedInstance();
    expect(await store.startTry(key, 2, WORKER, T0)).toEqual({ started: false, reason: 'task instance is queued on try 1, not queued on try 2' });
    expect(await store.startTry({ ...key, taskId: 'ghost' }, 1, WORKER, T0)).toEqual({ started: false, reason: 'task instance does not exist' });
  });

  it('exactly one of many concurrent starts of the same try wins (duplicated messages)', async () => {
    const { key } = await queuedInstance();
    const other = new PgStore(db.newPool());
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_v, i) => (i % 2 === 0 ? store : other).startTry(key, 1, { ...WORKER, workerId: `w${i}` }, T0 + i)),
    );
    expect(attempts.filter((a) => a.started)).toHaveLength(1);
    await other.close();
  });
});

describe('finishTry', () => {
  it('records success: state, XComs (upserted), skips whatever the state (SkipMixin._set_state_to_skipped), history with duration', async () => {
    const { key } = await queuedInstance();
    await store.startTry(key, 1, WORKER, T0 + 2_000);
    // `done` already finished: Airflow 2.10.5's SkipMixin._set_state_to_skipped skips it all the same.
    await store.applyChanges((await store.getDagRun(key)) as DagRunRecord, spec, [{ kind: 'transition', taskId: 'done', mapIndex: -1, from: 'none', to: 'success' }], T0);
    const ok = await store.finishTry(
      outcome(key, {
        xcoms: [
          { key: 'return_value', value: { rows: [1, 2, 3] } },
          { key: 'branch', value: 'left' },
          { key: 'branch', value: 'left-final' },
        ],
        skipTaskIds: ['right', 'done'],
      }),
    );
    expect(ok).toBe(true);
    expect(await store.getTaskInstance(key)).toMatchObject({ state: 'success', endDate: T0 + 10_000, note: null, startDate: T0 + 2_000 });
    expect(await store.listXcoms(key)).toEqual([
      { taskId: 'branch', mapIndex: -1, key: 'branch', value: 'left-final' },
      { taskId: 'branch', mapIndex: -1, key: 'return_value', value: { rows: [1, 2, 3] } },
    ]);
    const states = Object.fromEntries((await store.listTaskInstances(key)).map((ti) => [ti.taskId, [ti.state, ti.note]]));
    expect(states).toEqual({ branch: ['success', null], left: ['none', null], right: ['skipped', 'skipped by branch'], done: ['skipped', 'skipped by branch'] });
    expect(await history(key)).toEqual([
      { try_number: 1, worker_id: 'worker-1', hostname: 'node-3', pid: 4242, start_date: T0 + 2_000, end_date: T0 + 10_000, duration_seconds: 8, state: 'success', exit_code: 0, signal: null, exit_reason: null, error: null, log_lines: 0 },
    ]);
    // A second report of the same attempt (redelivered result) changes nothing.
    expect(await store.finishTry(outcome(key, { state: 'failed' }))).toBe(false);
  });

  // Airflow 2.10.5 TaskInstance.rendered_map_index: set by a try that rendered its map_index_template.
  it('stores the name a try rendered from map_index_template; a try that rendered none keeps the earlier name', async () => {
    const { run, key } = await queuedInstance('left');
    await store.startTry(key, 1, WORKER, T0 + 2_000);
    expect(await store.finishTry(outcome(key, { state: 'up_for_retry', nextRetryAt: T0 + 20_000, renderedMapIndex: 'file b.csv' }))).toBe(true);
    expect((await store.getTaskInstance(key))?.renderedMapIndex).toBe('file b.csv');
    await store.applyChanges(run, spec, [{ kind: 'transition', taskId: 'left', mapIndex: -1, from: 'up_for_retry', to: 'scheduled', newTry: true }], T0 + 20_000);
    await store.markQueued([{ ...key, tryNumber: 2 }], T0 + 20_001);
    await store.startTry(key, 2, WORKER, T0 + 20_002);
    expect(await store.finishTry(outcome(key, { tryNumber: 2, state: 'failed', renderedMapIndex: null }))).toBe(true);
    expect(await store.getTaskInstance(key)).toMatchObject({ state: 'failed', tryNumber: 2, renderedMapIndex: 'file b.csv' });
  });

  it("stores each try's rendered template fields on its history row; the latest try that rendered some is the instance's", async () => {
    const { run, key } = await queuedInstance('left');
    await store.startTry(key, 1, WORKER, T0 + 2_000);
    const rendered = { bash_command: 'echo 2024-01-01', env: { API_PASSWORD: '***' } };
    expect(await store.finishTry(outcome(key, { state: 'up_for_retry', nextRetryAt: T0 + 20_000, renderedFields: rendered }))).toBe(true);
    expect(await latestRenderedFields(db.pool, key)).toEqual({ tryNumber: 1, fields: rendered });
    await store.applyChanges(run, spec, [{ kind: 'transition', taskId: 'left', mapIndex: -1, from: 'up_for_retry', to: 'scheduled', newTry: true }], T0 + 20_000);
    await store.markQueued([{ ...key, tryNumber: 2 }], T0 + 20_001);
    await store.startTry(key, 2, WORKER, T0 + 20_002);
    // A try that ended before rendering reports none: the instance keeps try 1's, as Airflow keeps its row.
    expect(await store.finishTry(outcome(key, { tryNumber: 2, state: 'failed', renderedFields: {} }))).toBe(true);
    expect((await listTries(db.pool, key)).map((t) => [t.tryNumber, t.renderedFields])).toEqual([[1, rendered], [2, null]]);
    expect(await latestRenderedFields(db.pool, key)).toEqual({ tryNumber: 1, fields: rendered });
  });

  // Airflow 2.10.5 SkipMixin._skip_all_except skips the task instance with the branch's own map index only.
  it('limits the skips to skipMapIndex when it is set', async () => {
    const { run, key } = await queuedInstance();
    await store.applyChanges(run, spec, [0, 1].map((mapIndex) => ({ kind: 'create' as const, taskId: 'left', mapIndex, priorityWeight: 1 })), T0);
    await store.startTry(key, 1, WORKER, T0 + 2_000);
    expect(await store.finishTry(outcome(key, { skipTaskIds: ['left'], skipMapIndex: 1 }))).toBe(true);
    const left = (await store.listTaskInstances(key)).filter((ti) => ti.taskId === 'left').map((ti) => [ti.mapIndex, ti.state]);
    expect(left).toEqual([[-1, 'none'], [0, 'none'], [1, 'skipped']]);
  });

  it('records a failure for retry: nextRetryAt, the error as note and history; the next try clears old XComs', async () => {
    const { run, key } = await queuedInstance();
    await store.startTry(key, 1, WORKER, T0);
    const error = { type: 'ValueError', message: 'boom', traceback: 'Traceback ...', retryable: true };
    expect(
      await store.finishTry(outcome(key, { state: 'up_for_retry', nextRetryAt: T0 + 300_000, error, exitCode: 1, exitReason: 'exit code 1', xcoms: [{ key: 'partial', value: 1 }] })),
    ).toBe(true);
    expect(await store.getTaskInstance(key)).toMatchObject({ state: 'up_for_retry', nextRetryAt: T0 + 300_000, note: 'ValueError: boom' });
    expect((await history(key))[0]).toMatchObject({ state: 'up_for_retry', exit_code: 1, exit_reason: 'exit code 1', error });

    await store.applyChanges(run, spec, [{ kind: 'transition', taskId: 'branch', mapIndex: -1, from: 'up_for_retry', to: 'scheduled', newTry: true }], T0 + 300_001);
    expect(await store.markQueued([{ ...key, tryNumber: 2 }], T0 + 300_002)).toHaveLength(1);
    const second = await store.startTry(key, 2, { ...WORKER, workerId: 'worker-2' }, T0 + 300_003);
    expect(second.started && second.instance.sensorFirstPokeAt).toBe(T0 + 300_003);
    expect(await store.listXcoms(key)).toEqual([]);
    expect((await history(key)).map((h) => [h.try_number, h.worker_id, h.state])).toEqual([
      [1, 'worker-1', 'up_for_retry'],
      [2, 'worker-2', 'running'],
    ]);
  });

  it('returns false and writes nothing when the instance was cleared or handed to another try', async () => {
    const { run, key } = await queuedInstance();
    await store.startTry(key, 1, WORKER, T0);
    // Lease expired: handed back as a new try; the old try's report is stale.
    expect(await store.requeueTry(key, 1, 'running', 'lease expired', T0 + 1)).toBe(true);
    expect(await store.finishTry(outcome(key))).toBe(false);
    // The new try runs and is cleared by a user while queued: its report is refused too.
    await store.markQueued([{ ...key, tryNumber: 2 }], T0 + 2);
    await store.applyChanges(run, spec, [{ kind: 'transition', taskId: 'branch', mapIndex: -1, from: 'queued', to: 'none' }], T0 + 3);
    expect(await store.finishTry(outcome(key, { tryNumber: 2, xcoms: [{ key: 'k', value: 1 }], skipTaskIds: ['left'] }))).toBe(false);
    expect(await store.listXcoms(key)).toEqual([]);
    expect((await store.getTaskInstance({ ...key, taskId: 'left' }))?.state).toBe('none');
  });

  it('turns the outcome of a try cleared while running (restarting) into up_for_retry and drops its results', async () => {
    const { run, key } = await queuedInstance();
    await store.startTry(key, 1, WORKER, T0);
    await store.applyChanges(run, spec, [{ kind: 'transition', taskId: 'branch', mapIndex: -1, from: 'running', to: 'restarting' }], T0 + 1);
    expect(await store.finishTry(outcome(key, { xcoms: [{ key: 'k', value: 1 }], skipTaskIds: ['left'] }))).toBe(true);
    expect(await store.getTaskInstance(key)).toMatchObject({ state: 'up_for_retry', nextRetryAt: T0 + 10_000, maxTries: 1, note: 'cleared while running: retrying' });
    expect(await store.listXcoms(key)).toEqual([]);
    expect((await store.getTaskInstance({ ...key, taskId: 'left' }))?.state).toBe('none');
    expect((await history(key))[0]).toMatchObject({ state: 'up_for_retry' });
  });

  it('creates the DAG runs a TriggerDagRunOperator asked for, once, and resets one on request', async () => {
    const { key } = await queuedInstance();
    await store.startTry(key, 1, WORKER, T0);
    const request = { dagId: 'target', runId: null, conf: { from: 'att' }, logicalDate: null, resetDagRun: false };
    expect(
      await store.finishTry(
        outcome(key, {
          endDate: Date.UTC(2024, 4, 1, 8, 30, 0, 250),
          triggerDagRuns: [request, { ...request, runId: 'given', logicalDate: '2024-05-02T00:00:00+00:00' }, { ...request, dagId: 'unknown_dag' }],
        }),
      ),
    ).toBe(true);
    const runs = await store.listDagRuns({ dagId: 'target' });
    expect(runs.map((r) => [r.runId, r.runType, r.state, r.logicalDate, r.dataIntervalStart, r.dataIntervalEnd, r.conf])).toEqual([
      ['given', 'manual', 'queued', '2024-05-02T00:00:00+00:00', '2024-05-02T00:00:00+00:00', '2024-05-02T00:00:00+00:00', { from: 'att' }],
      [
        'manual__2024-05-01T08:30:00.250000+00:00',
        'manual',
        'queued',
        '2024-05-01T08:30:00.250000+00:00',
        '2024-05-01T08:30:00.250000+00:00',
        '2024-05-01T08:30:00.250000+00:00',
        { from: 'att' },
      ],
    ]);

    // Reset: the existing run `given` goes back to queued with its task instances cleared.
    const given = runs[0] as DagRunRecord;
    await store.setDagRunState(given, 'queued', 'running', T0);
    await store.applyChanges(given, target, [{ kind: 'create', taskId: 't1', mapIndex: -1, priorityWeight: 1, state: 'scheduled' }], T0);
    await store.applyChanges(given, target, [{ kind: 'transition', taskId: 't1', mapIndex: -1, from: 'scheduled', to: 'failed' }], T0);
    await store.setDagRunState(given, 'running', 'failed', T0);
    const next = await queuedInstance();
    await store.startTry(next.key, 1, WORKER, T0);
    await store.finishTry(outcome(next.key, { triggerDagRuns: [{ ...request, runId: 'given', resetDagRun: true }] }));
    expect(await store.getDagRun(given)).toMatchObject({ state: 'queued', startDate: null, endDate: null });
    expect(await store.getTaskInstance({ ...given, taskId: 't1', mapIndex: -1 })).toMatchObject({
      state: 'none',
      tryNumber: 1,
      maxTries: 1,
      note: `cleared at ${new Date(T0 + 10_000).toISOString()}`,
    });
  });
});

describe('finishTry with a run request that cannot be created', () => {
  it('fails the try without a retry, names the rule, and creates no run', async () => {
    const { key } = await queuedInstance();
    await store.startTry(key, 1, WORKER, T0);
    const before = (await store.listDagRuns({ dagId: 'target' })).length;
    const request = { dagId: 'target', runId: '$(id>pwned_runid)', conf: {}, logicalDate: null, resetDagRun: false };
    expect(await store.finishTry(outcome(key, { triggerDagRuns: [request], skipTaskIds: ['left'] }))).toBe(true);
    const instance = await store.getTaskInstance(key);
    expect(instance?.state).toBe('failed');
    expect(instance?.note).toMatch(/^ValueError: TriggerDagRunOperator asked for a run of DAG target that cannot be created: run_id "\$\(id>pwned_runid\)" may contain only/);
    expect((await store.getTaskInstance({ ...key, taskId: 'left' }))?.state).toBe('none');
    expect((await history(key))[0]).toMatchObject({ state: 'failed', exit_reason: 'invalid DAG run request' });
    expect((await store.listDagRuns({ dagId: 'target' })).length).toBe(before);
  });

  it("fails the try with Airflow's ParamValidationError when the target DAG's params refuse the conf, and creates no run", async () => {
    const { key } = await queuedInstance();
    await store.startTry(key, 1, WORKER, T0);
    const before = (await store.listDagRuns({ dagId: 'target' })).length;
    const request = { dagId: 'target', runId: null, conf: { n: 'one' }, logicalDate: null, resetDagRun: false };
    expect(await store.finishTry(outcome(key, { triggerDagRuns: [request] }))).toBe(true);
    expect((await store.getTaskInstance(key))?.note).toBe(
      "ParamValidationError: TriggerDagRunOperator asked for a run of DAG target that cannot be created: Invalid input for param n: 'one' is not of type 'integer'",
    );
    expect((await store.listDagRuns({ dagId: 'target' })).length).toBe(before);
  });
});

describe('clearTaskInstances', () => {
  it('restarts running instances, resets the others with their retries again, and leaves none alone', async () => {
    const { run, key } = await queuedInstance('branch');
    await store.startTry(key, 1, WORKER, T0);
    await store.applyChanges(run, spec, [{ kind: 'transition', taskId: 'left', mapIndex: -1, from: 'none', to: 'upstream_failed' }], T0);
    const targets = ['branch', 'left', 'right'].map((taskId) => ({ taskId, mapIndex: -1 }));
    expect(await store.clearTaskInstances(run, spec, targets, T0 + 5)).toBe(2);
    const states = Object.fromEntries((await store.listTaskInstances(run)).map((ti) => [ti.taskId, [ti.state, ti.maxTries, ti.endDate, ti.note]]));
    const note = `cleared at ${new Date(T0 + 5).toISOString()}`;
    expect(states).toEqual({
      branch: ['restarting', 1, null, note],
      left: ['none', 0, null, note],
      right: ['none', 0, null, null],
      done: ['none', 0, null, null],
    });
    // The restarting try's report becomes a retry.
    expect(await store.finishTry(outcome(key, { state: 'success' }))).toBe(true);
    expect((await store.getTaskInstance(key))?.state).toBe('up_for_retry');
  });
});

describe('requeueTry', () => {
  it('hands a queued or running try back as a new try that does not count against retries, compare-and-set on state and try', async () => {
    const { key } = await queuedInstance();
    expect(await store.requeueTry(key, 2, 'queued', 'stale', T0)).toBe(false);
    expect(await store.requeueTry(key, 1, 'running', 'wrong state', T0)).toBe(false);
    expect(await store.requeueTry(key, 1, 'queued', 'message lost', T0 + 5)).toBe(true);
    expect(await store.getTaskInstance(key)).toMatchObject({ state: 'scheduled', tryNumber: 2, maxTries: 2, queuedAt: null, note: 'message lost' });
    // A duplicate of try 1's message can no longer start anything.
    expect(await store.markQueued([{ ...key, tryNumber: 1 }], T0 + 6)).toEqual([]);
    await store.markQueued([{ ...key, tryNumber: 2 }], T0 + 6);
    expect((await store.startTry(key, 1, WORKER, T0 + 7)).started).toBe(false);
    expect((await store.startTry(key, 2, WORKER, T0 + 7)).started).toBe(true);
    expect(await store.requeueTry(key, 2, 'running', 'worker shutting down', T0 + 9)).toBe(true);
    expect(await store.getTaskInstance(key)).toMatchObject({ state: 'scheduled', tryNumber: 3, maxTries: 3, workerId: null, sensorFirstPokeAt: null });
    await store.markQueued([{ ...key, tryNumber: 3 }], T0 + 10);
    await store.startTry(key, 3, { ...WORKER, workerId: 'worker-9' }, T0 + 11);
    expect((await history(key)).map((h) => [h.try_number, h.worker_id, h.state, h.end_date, h.exit_reason, h.duration_seconds])).toEqual([
      [2, 'worker-1', 'handed_back', T0 + 9, 'worker shutting down', 0.002],
      [3, 'worker-9', 'running', null, null, null],
    ]);
    // Only try 2 ran and was handed back (try 1 was handed back before it started: no history row).
    expect(await store.countHandBacks(key)).toBe(1);
  });
});

describe('logs', () => {
  const line = (seq: number, text: string, stream: LogLine['stream'] = 'stdout', at = T0): LogLine => ({ seq, at, stream, line: text });

  it('appends batches and reads them in order, after a sequence number for --follow; a re-sent batch is stored once', async () => {
    const { key } = await queuedInstance();
    await store.startTry(key, 1, WORKER, T0);
    expect(await store.readLogLines(key, 1)).toEqual([]);
    await store.appendLogLines(key, 1, [line(0, 'zero'), line(1, 'one', 'stderr', T0 + 1)]);
    await store.appendLogLines(key, 1, []);
    await store.appendLogLines(key, 1, [line(2, 'two', 'system', T0 + 2), line(3, 'ünïcode ✓ "quoted" \\ back'), line(4, '')]);
    await store.appendLogLines(key, 1, [line(2, 'two', 'system', T0 + 2), line(3, 'ünïcode ✓ "quoted" \\ back'), line(4, '')]);
    const all = await store.readLogLines(key, 1);
    expect(all).toEqual([
      { seq: 0, at: T0, stream: 'stdout', line: 'zero' },
      { seq: 1, at: T0 + 1, stream: 'stderr', line: 'one' },
      { seq: 2, at: T0 + 2, stream: 'system', line: 'two' },
      { seq: 3, at: T0, stream: 'stdout', line: 'ünïcode ✓ "quoted" \\ back' },
      { seq: 4, at: T0, stream: 'stdout', line: '' },
    ]);
    expect((await store.readLogLines(key, 1, 0)).map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    expect((await store.readLogLines(key, 1, 2)).map((l) => l.line)).toEqual(['ünïcode ✓ "quoted" \\ back', '']);
    expect(await store.readLogLines(key, 1, 4)).toEqual([]);
    expect(await store.readLogLines(key, 2)).toEqual([]);
    expect((await history(key))[0]?.log_lines).toBe(5);
  });

  it('follows a log while it is written: every line once, in order, from a concurrent writer', async () => {
    const { key } = await queuedInstance();
    await store.startTry(key, 1, WORKER, T0);
    const writer = new PgStore(db.newPool());
    const total = 2_000;
    const writing = (async () => {
      for (let i = 0; i < total; i += 100) {
        await writer.appendLogLines(key, 1, Array.from({ length: 100 }, (_v, j) => line(i + j + 1, `line ${i + j}`)));
      }
    })();
    const seen: string[] = [];
    let after = 0;
    let done = false;
    void writing.then(() => (done = true));
    while (true) {
      const finished = done;
      const batch = await store.readLogLines(key, 1, after);
      for (const l of batch) {
        expect(l.seq).toBe(after + 1);
        after = l.seq;
        seen.push(l.line);
      }
      if (finished && batch.length === 0) break;
    }
    await writing;
    expect(seen).toEqual(Array.from({ length: total }, (_v, i) => `line ${i}`));
    await writer.close();
  });

  it('stores NUL characters of task output and results as U+FFFD instead of failing the write', async () => {
    const { key } = await queuedInstance();
    await store.startTry(key, 1, WORKER, T0);
    await store.appendLogLines(key, 1, [line(1, 'binary \u0000 output')]);
    expect((await store.readLogLines(key, 1))[0]?.line).toBe('binary \ufffd output');
    const error = { type: 'ValueError', message: 'bad \u0000 byte', traceback: '', retryable: false };
    expect(await store.finishTry(outcome(key, { state: 'failed', error, exitReason: 'exit \u0000', xcoms: [{ key: 'k', value: { s: '\u0000' } }] }))).toBe(true);
    expect(await store.listXcoms(key)).toEqual([{ taskId: 'branch', mapIndex: -1, key: 'k', value: { s: '\ufffd' } }]);
    expect((await store.getTaskInstance(key))?.note).toBe('ValueError: bad \ufffd byte');
  });

  it('returns lines in seq order even when batches arrive out of order', async () => {
    const { key } = await queuedInstance();
    await store.appendLogLines(key, 1, [line(3, 'c'), line(4, 'd')]);
    await store.appendLogLines(key, 1, [line(2, 'b'), line(1, 'a')]);
    expect((await store.readLogLines(key, 1)).map((l) => `${l.seq}${l.line}`)).toEqual(['1a', '2b', '3c', '4d']);
    expect((await store.readLogLines(key, 1, 1)).map((l) => l.line)).toEqual(['b', 'c', 'd']);
  });
});

// The group commit of attempt writes (src/store/write-coalescer.ts): writes submitted together commit in one
// transaction and wake a listener once; a batch whose connection is killed mid-transaction leaves none of its
// writes behind and tells every caller so, and the same writes succeed when sent again.
async function stateOf(key: TaskInstanceKey): Promise<{ state: string; try_number: number }> {
  const result = await db.pool.query<{ state: string; try_number: number }>(
    'SELECT state, try_number FROM task_instances WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4',
    [key.dagId, key.runId, key.taskId, key.mapIndex],
  );
  return result.rows[0]!;
}

/** Notifications on the changes channel, read up to a marker sent after the writes (delivery is in commit order). */
async function notificationsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const listener: pg.PoolClient = await db.pool.connect();
  const seen: string[] = [];
  let markerSeen!: () => void;
  const marker = new Promise<void>((resolve) => (markerSeen = resolve));
  listener.on('notification', (message) => {
    if (message.payload === 'test-marker') markerSeen();
    else seen.push(message.payload ?? '');
  });
  try {
    await listener.query(`LISTEN ${METADATA_CHANGES_CHANNEL}`);
    await work();
    await db.pool.query('SELECT pg_notify($1, $2)', [METADATA_CHANGES_CHANNEL, 'test-marker']);
    await marker;
    await listener.query(`UNLISTEN ${METADATA_CHANGES_CHANNEL}`);
  } finally {
    listener.release();
  }
  return seen;
}

describe('attempt writes in one transaction', () => {
  it('commits 20 finishes submitted together in one transaction, which wakes the scheduler once', async () => {
    const keys: TaskInstanceKey[] = [];
    for (let i = 0; i < 20; i += 1) keys.push((await queuedInstance()).key);
    const starts = await Promise.all(keys.map((key) => store.startTry(key, 1, WORKER, T0 + 2)));
    expect(starts.every((start) => start.started)).toBe(true);
    const before = { ...store.attemptWriteCounts! };
    const notifications = await notificationsDuring(async () => {
      expect(await Promise.all(keys.map((key) => store.finishTry(outcome(key))))).toEqual(keys.map(() => true));
    });
    expect(store.attemptWriteCounts!.batches - before.batches).toBe(1);
    expect(store.attemptWriteCounts!.writes - before.writes).toBe(20);
    expect(notifications).toEqual(['task_finished']);
    for (const key of keys) expect(await stateOf(key)).toEqual({ state: 'success', try_number: 1 });
  });

  it('sends a lone finish as one statement without a transaction: it wakes the scheduler, and a second finish of the try is refused', async () => {
    const { key } = await queuedInstance();
    expect((await store.startTry(key, 1, WORKER, T0 + 2)).started).toBe(true);
    const before = { ...store.attemptWriteCounts! };
    const notifications = await notificationsDuring(async () => {
      expect(await store.finishTry(outcome(key))).toBe(true);
    });
    expect(store.attemptWriteCounts!.untransacted - before.untransacted).toBe(1);
    expect(notifications).toEqual(['task_finished']);
    expect(await stateOf(key)).toEqual({ state: 'success', try_number: 1 });
    const again = await notificationsDuring(async () => {
      expect(await store.finishTry({ ...outcome(key), state: 'failed' })).toBe(false);
    });
    expect(again).toEqual([]);
    expect(await stateOf(key)).toEqual({ state: 'success', try_number: 1 });
  });

  it('runs a batch with a refused write again write by write: only that one fails', async () => {
    const [a, b] = [(await queuedInstance()).key, (await queuedInstance()).key];
    await store.startTry(b, 1, WORKER, T0 + 2);
    // b succeeds; an outcome with an illegal transition (running -> queued) is refused in the same batch.
    const results = await Promise.allSettled([store.startTry(a, 1, WORKER, T0 + 3), store.finishTry(outcome(b, { state: 'queued' })), store.finishTry(outcome(b))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await stateOf(a)).toEqual({ state: 'running', try_number: 1 });
    expect(await stateOf(b)).toEqual({ state: 'success', try_number: 1 });
  });

  it('leaves nothing of a batch whose connection is killed mid-transaction, tells every caller, and succeeds when sent again', async () => {
    const { key: toStart } = await queuedInstance();
    const { key: toFinish } = await queuedInstance();
    expect((await store.startTry(toFinish, 1, WORKER, T0 + 2)).started).toBe(true);
    // Another session holds the row toFinish's finishTry locks, so the batch stops there, after toStart's start ran.
    const blocker = await db.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM task_instances WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 FOR UPDATE', [toFinish.dagId, toFinish.runId, toFinish.taskId]);
    const batch = Promise.allSettled([store.startTry(toStart, 1, WORKER, T0 + 3), store.finishTry(outcome(toFinish))]);
    let waiting: number | undefined;
    for (let i = 0; i < 500 && waiting === undefined; i += 1) {
      const found = await db.pool.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      waiting = found.rows[0]?.pid;
      if (waiting === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(waiting).toBeDefined();
    await db.pool.query('SELECT pg_terminate_backend($1)', [waiting]);
    const results = await batch;
    await blocker.query('ROLLBACK');
    blocker.release();
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const result of results) expect(isUnreachable((result as PromiseRejectedResult).reason)).toBe(true);
    // The start that ran inside the killed transaction was never committed: the try is still queued, unstarted.
    expect(await stateOf(toStart)).toEqual({ state: 'queued', try_number: 1 });
    expect(await stateOf(toFinish)).toEqual({ state: 'running', try_number: 1 });
    // Sent again (as the worker's retries do), both go through, once.
    const again = await Promise.all([store.startTry(toStart, 1, WORKER, T0 + 4), store.finishTry(outcome(toFinish))]);
    expect(again[0].started).toBe(true);
    expect(again[1]).toBe(true);
    expect(await stateOf(toFinish)).toEqual({ state: 'success', try_number: 1 });
  });
});
