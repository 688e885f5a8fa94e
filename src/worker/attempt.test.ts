import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagBundle, DagSpec } from '../dag/bundle.js';
import { silentLogger } from '../lib/logger.js';
import { MemoryStore } from '../ports/memory-store.js';
import type { DagRunRecord, TaskInstanceKey } from '../ports/metadata-store.js';
import { exportDags } from '../shim/export.js';
import { resolvePython } from '../shim/python.js';
import { chooseRunAsUser, runAttempt, type AttemptContext } from './attempt.js';

const DAG_FILE = `
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import BranchPythonOperator

with DAG("attempt_reads", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    branch = BranchPythonOperator(task_id="branch", python_callable=lambda: "left")
    branch >> [EmptyOperator(task_id="left"), EmptyOperator(task_id="right")]
    BashOperator(task_id="plain", bash_command="true")
    BashOperator(task_id="failing", bash_command="exit 3", retries=1)
`;

let folder: string;
let bundle: DagBundle;
let python: string;

beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'dagbridge-attempt-test-'));
  writeFileSync(path.join(folder, 'attempt_reads.py'), DAG_FILE);
  python = (await resolvePython('python3')).executable;
  bundle = await exportDags({ dagsFolder: folder, python, noAirflow: true });
}, 60_000);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A store with every task instance queued on try 1, counting how often a whole run's instances are read. */
async function queuedRun(): Promise<{ store: MemoryStore; run: DagRunRecord; reads: () => number; context: AttemptContext }> {
  return queuedRunOf(bundle, ['branch', 'plain', 'failing']);
}

async function queuedRunOf(
  source: DagBundle,
  queued: string[],
): Promise<{ store: MemoryStore; run: DagRunRecord; reads: () => number; context: AttemptContext }> {
  const store = new MemoryStore();
  await store.syncBundle(source, 0);
  const dag = source.dags[0] as DagSpec;
  const record = await store.getDag(dag.dagId);
  const { run } = await store.createDagRun({
    dagId: dag.dagId, runId: 'manual__1', versionHash: record?.versionHash ?? '', runType: 'manual', logicalDate: '2024-01-01T00:00:00+00:00',
    dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-01T00:00:00+00:00', conf: {}, queuedAt: 0, state: 'running',
  }, 0);
  const created = run as DagRunRecord;
  await store.applyChanges(created, dag, [
    ...dag.tasks.map((t) => ({ kind: 'create' as const, taskId: t.taskId, mapIndex: -1, priorityWeight: 1 })),
    ...queued.map((taskId) => ({ kind: 'transition' as const, taskId, mapIndex: -1, from: 'none' as const, to: 'scheduled' as const, newTry: true })),
  ], 1);
  await store.markQueued(queued.map((taskId) => ({ dagId: dag.dagId, runId: created.runId, taskId, mapIndex: -1, tryNumber: 1 })), 2);
  let reads = 0;
  const counting = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'listTaskInstances') reads += 1;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  const context: AttemptContext = {
    store: counting, identity: { workerId: 'w1', hostname: 'h', pid: 1 }, python, dagsFolder: folder, noAirflow: true,
    env: { passEnv: [] }, killGraceMs: 1_000, logCapBytes: 1024 * 1024, log: silentLogger,
  };
  return { store, run: created, reads: () => reads, context };
}

describe('runAttempt reads of the run', () => {
  it('reads the whole run only for a result that skips other tasks, and applies the skips', async () => {
    const { store, run, reads, context } = await queuedRun();
    const key = (taskId: string): TaskInstanceKey => ({ dagId: run.dagId, runId: run.runId, taskId, mapIndex: -1 });

    expect(await runAttempt(context, key('plain'), 1)).toMatchObject({ status: 'finished', state: 'success', recorded: true });
    expect(reads()).toBe(0);

    expect(await runAttempt(context, key('failing'), 1)).toMatchObject({ status: 'finished', state: 'up_for_retry', recorded: true });
    expect(reads()).toBe(0);

    expect(await runAttempt(context, key('branch'), 1)).toMatchObject({ status: 'finished', state: 'success', recorded: true });
    expect(reads()).toBe(1);

    const states = Object.fromEntries((await store.listTaskInstances(run)).map((ti) => [ti.taskId, ti.state]));
    expect(states).toEqual({ branch: 'success', left: 'none', right: 'skipped', plain: 'success', failing: 'up_for_retry' });
  }, 60_000);
});

describe('runAttempt after the try started', () => {
  it('records a try the worker refuses (an id it cannot pass to the shim) as failed, not retryable, with the reason', async () => {
    // A task id changed after the DAG was built (the review's `t.task_id = "../t|x"`) reaches the store from an
    // older bundle or another writer; the worker's own check refuses it after startTry.
    const bad = '../t|x';
    const dag = structuredClone(bundle.dags[0] as DagSpec);
    const failing = dag.tasks.find((t) => t.taskId === 'failing');
    if (!failing) throw new Error('fixture lacks the failing task');
    Object.assign(failing, { taskId: bad, retries: 3 });
    const { store, run, context } = await queuedRunOf({ ...bundle, dags: [dag] }, [bad]);
    const key: TaskInstanceKey = { dagId: run.dagId, runId: run.runId, taskId: bad, mapIndex: -1 };

    const report = await runAttempt(context, key, 1);

    expect(report).toMatchObject({ status: 'finished', state: 'failed', recorded: true });
    const instance = await store.getTaskInstance(key);
    expect(instance?.state).toBe('failed');
    const lines = (await store.readLogLines(key, 1)).map((l) => l.line).join('\n');
    expect(lines).toContain('is not a valid Airflow key');
  }, 60_000);
});

describe('chooseRunAsUser', () => {
  it('runs a task as the worker\'s first user, as its own run_as_user when listed, and refuses any other', () => {
    expect(chooseRunAsUser(undefined, [], () => 'root')).toEqual({ user: null });
    expect(chooseRunAsUser(undefined, ['airflow', 'etl'], () => 'root')).toEqual({ user: 'airflow' });
    expect(chooseRunAsUser('etl', ['airflow', 'etl'], () => 'root')).toEqual({ user: 'etl' });
    // Its own user, as Airflow runs it without sudo; but never the worker's user past a --run-as-user list.
    expect(chooseRunAsUser('airflow', [], () => 'airflow')).toEqual({ user: null });
    expect(chooseRunAsUser('root', ['airflow'], () => 'root')).toEqual({
      refused: 'the task\'s run_as_user "root" is not a user this worker runs tasks as (it allows airflow): start the worker with --run-as-user naming it (env DAGBRIDGE_RUN_AS_USER), as root',
    });
    expect(chooseRunAsUser('etl', [], () => 'root')).toMatchObject({ refused: expect.stringContaining('(it allows none)') });
  });

  it('looks the worker\'s own user up only for a task that names a user it does not list, every time', () => {
    let asked = 0;
    const self = (name: string) => () => {
      asked += 1;
      return name;
    };
    expect(chooseRunAsUser(undefined, [], self('root'))).toEqual({ user: null });
    expect(chooseRunAsUser('etl', ['etl'], self('root'))).toEqual({ user: 'etl' });
    expect(asked).toBe(0);
    expect(chooseRunAsUser('airflow', [], self('airflow'))).toEqual({ user: null });
    // The worker's user renamed meanwhile: the next attempt sees the new name, nothing is kept.
    expect(chooseRunAsUser('airflow', [], self('renamed'))).toMatchObject({ refused: expect.any(String) });
    expect(asked).toBe(2);
  });
});
