/**
 * DAG code sees one world at parse time (the export) and in the task (runAttempt): the same working directory
 * (the worker's), the same PYTHONPATH (config `pythonPath` and the worker's own PYTHONPATH), the same passEnv
 * globs; and a task that fails looking up a variable the worker withholds is told so in its log, by name.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagBundle, DagSpec } from '../dag/bundle.js';
import { silentLogger } from '../lib/logger.js';
import { MemoryStore } from '../ports/memory-store.js';
import { exportDags } from '../shim/export.js';
import { dagCodeSettingsOf, resolvePython } from '../shim/python.js';
import { runAttempt, type AttemptContext } from './attempt.js';
import { ForkServers } from './fork-server.js';
import { taskEnvSettingsOf } from './task-env.js';

// Opens a file relative to the working directory and imports a package from `pythonPath` at parse time, as
// DAG repos do (`open("include/...")`, a package at the repo root); its tasks read the environment.
const DAG_FILE = `
import os
from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator
from repo_pkg import SUFFIX

with open(os.path.join("include", "dag_id.txt")) as handle:
    DAG_ID = handle.read().strip() + SUFFIX


def seen():
    return {"cwd": os.getcwd(), "config": os.environ["DBT_CONFIG_FILE_PATH"], "inherited": os.environ.get("PYTHONPATH", "")}


def withheld():
    return os.environ["WORLD_TEST_WITHHELD_SECRET"]


with DAG(DAG_ID, start_date=datetime(2024, 1, 1), schedule=None):
    PythonOperator(task_id="seen", python_callable=seen)
    PythonOperator(task_id="withheld", python_callable=withheld)
`;

let root: string;
let dags: string;
let python: string;
let madeInclude = false;
const saved: Record<string, string | undefined> = {};
const planted: Record<string, string> = { DBT_CONFIG_FILE_PATH: '/etc/dbt.yml', WORLD_TEST_WITHHELD_SECRET: 'S3cretValue' };

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'dagbridge-world-test-'));
  dags = path.join(root, 'dags');
  mkdirSync(dags);
  mkdirSync(path.join(root, 'pkg', 'repo_pkg'), { recursive: true });
  writeFileSync(path.join(root, 'pkg', 'repo_pkg', '__init__.py'), 'SUFFIX = "_from_pkg"\n');
  writeFileSync(path.join(dags, 'world.py'), DAG_FILE);
  // The repo's working directory holds include/: the worker (and the scheduler) run from there.
  madeInclude = !existsSync(path.join(process.cwd(), 'include'));
  mkdirSync(path.join(process.cwd(), 'include'), { recursive: true });
  python = (await resolvePython('python3')).executable;
  for (const [name, value] of Object.entries(planted)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
}, 60_000);

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(root, { recursive: true, force: true });
  if (madeInclude) rmSync(path.join(process.cwd(), 'include'), { recursive: true, force: true });
});

async function queued(bundle: DagBundle, context: AttemptContext): Promise<{ store: MemoryStore; runId: string; dagId: string }> {
  const store = context.store as MemoryStore;
  await store.syncBundle(bundle, 0);
  const dag = bundle.dags[0] as DagSpec;
  const record = await store.getDag(dag.dagId);
  const { run } = await store.createDagRun({
    dagId: dag.dagId, runId: 'manual__1', versionHash: record?.versionHash ?? '', runType: 'manual', logicalDate: '2024-01-01T00:00:00+00:00',
    dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-01T00:00:00+00:00', conf: {}, queuedAt: 0, state: 'running',
  }, 0);
  if (!run) throw new Error('no run');
  const ids = dag.tasks.map((t) => t.taskId);
  await store.applyChanges(run, dag, [
    ...ids.map((taskId) => ({ kind: 'create' as const, taskId, mapIndex: -1, priorityWeight: 1 })),
    ...ids.map((taskId) => ({ kind: 'transition' as const, taskId, mapIndex: -1, from: 'none' as const, to: 'scheduled' as const, newTry: true })),
  ], 1);
  await store.markQueued(ids.map((taskId) => ({ dagId: dag.dagId, runId: run.runId, taskId, mapIndex: -1, tryNumber: 1 })), 2);
  return { store, runId: run.runId, dagId: dag.dagId };
}

describe('one world for DAG code at parse time and in the task', () => {
  it('parses and runs with the worker\'s cwd, pythonPath, the inherited PYTHONPATH and passEnv globs; names a withheld variable', async () => {
    const include = path.join(process.cwd(), 'include', 'dag_id.txt');
    writeFileSync(include, 'world_dag\n');
    try {
      const config = { passEnv: ['*_CONFIG_FILE_PATH'], pythonPath: [path.join(root, 'pkg')], inheritPythonPath: true, pluginsFolder: null };
      const parentEnv = { ...process.env, PYTHONPATH: '/inherited/site' };
      const bundle = await exportDags({ dagsFolder: dags, python, noAirflow: true, env: parentEnv, ...dagCodeSettingsOf(config) });
      expect(bundle.importErrors).toEqual([]);
      expect(bundle.dags.map((d) => d.dagId)).toEqual(['world_dag_from_pkg']);

      const saved = process.env.PYTHONPATH;
      process.env.PYTHONPATH = '/inherited/site';
      try {
        const context: AttemptContext = {
          store: new MemoryStore(), identity: { workerId: 'w1', hostname: 'h', pid: 1 }, python, dagsFolder: dags, noAirflow: true,
          env: taskEnvSettingsOf(config), killGraceMs: 1_000, logCapBytes: 1024 * 1024, log: silentLogger,
        };
        const { store, runId, dagId } = await queued(bundle, context);
        const key = (taskId: string) => ({ dagId, runId, taskId, mapIndex: -1 });
        expect(await runAttempt(context, key('seen'), 1)).toMatchObject({ status: 'finished', state: 'success' });
        const xcoms = await store.listXcoms({ dagId, runId });
        const value = xcoms.find((x) => x.taskId === 'seen')?.value as { cwd: string; config: string; inherited: string };
        expect(value.cwd).toBe(process.cwd());
        expect(value.config).toBe('/etc/dbt.yml');
        expect(value.inherited.split(path.delimiter)).toEqual(expect.arrayContaining([path.join(root, 'pkg'), '/inherited/site']));

        expect(await runAttempt(context, key('withheld'), 1)).toMatchObject({ status: 'finished', state: 'failed' });
        const lines = (await store.readLogLines(key('withheld'), 1)).map((l) => l.line);
        const hint = lines.find((line) => line.includes('withholds'));
        expect(hint).toMatch(/the worker has WORLD_TEST_WITHHELD_SECRET in its environment but withholds it from tasks \(passEnv is \["\*_CONFIG_FILE_PATH"\]\).*DAGBRIDGE_PASS_ENV=WORLD_TEST_WITHHELD_SECRET/);
        expect(lines.join('\n')).not.toContain('S3cretValue');
      } finally {
        if (saved === undefined) delete process.env.PYTHONPATH;
        else process.env.PYTHONPATH = saved;
      }
    } finally {
      rmSync(include, { force: true });
    }
  }, 120_000);

  // Airflow's DAG processor and task runner both parse the file with the variables table at hand.
  it('Variable.get at the top of a DAG file sees the variables table in a fresh interpreter and in a fork of the warm server', async () => {
    const folder = path.join(root, 'var_dags');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'parse_vars.py'), [
      'from datetime import datetime',
      'from airflow import DAG',
      'from airflow.models import Variable',
      'from airflow.operators.python import PythonOperator',
      'BATCH = Variable.get("batch_size", default_var="unset")',
      'with DAG("parse_vars", start_date=datetime(2024, 1, 1), schedule=None):',
      '    PythonOperator(task_id="fresh", python_callable=lambda: BATCH)',
      '    PythonOperator(task_id="forked", python_callable=lambda: BATCH)',
      '',
    ].join('\n'));
    const bundle = await exportDags({ dagsFolder: folder, python, noAirflow: true, variables: async () => ({ batch_size: '500' }) });
    expect(bundle.importErrors).toEqual([]);
    const forkServers = new ForkServers({ socketDir: root, cacheFiles: 8, log: silentLogger });
    try {
      const context: AttemptContext = {
        store: new MemoryStore(), identity: { workerId: 'w1', hostname: 'h', pid: 1 }, python, dagsFolder: folder, noAirflow: true,
        env: taskEnvSettingsOf({ passEnv: [], pythonPath: [], inheritPythonPath: false, pluginsFolder: null }), killGraceMs: 1_000, logCapBytes: 1024 * 1024, log: silentLogger,
      };
      const { store, runId, dagId } = await queued(bundle, context);
      await store.setVariable('batch_size', '500');
      const key = (taskId: string) => ({ dagId, runId, taskId, mapIndex: -1 });
      expect(await runAttempt(context, key('fresh'), 1)).toMatchObject({ status: 'finished', state: 'success' });
      expect(await runAttempt({ ...context, forkServers }, key('forked'), 1)).toMatchObject({ status: 'finished', state: 'success' });
      const values = Object.fromEntries((await store.listXcoms({ dagId, runId })).map((x) => [x.taskId, x.value]));
      expect(values).toEqual({ fresh: '500', forked: '500' });
    } finally {
      await forkServers.close();
    }
  }, 120_000);
});
