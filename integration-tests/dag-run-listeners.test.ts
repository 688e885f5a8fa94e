/**
 * Plugin listeners' DAG-run hooks with a real cluster: two schedulers and a worker share one plugins folder whose
 * listener appends each call to a file. Each run's hooks are called exactly once per state change, in Airflow
 * 2.10.5's sequence (SchedulerJobRunner._start_queued_dagruns: on_dag_run_running with msg ""; DagRun.update_state:
 * on_dag_run_success with "success" / on_dag_run_failed with "task_failure"), with the run's DagRun in the state
 * it entered; a listener that raises is recorded and the run keeps its state.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TestCluster } from './support/cluster.js';

let root: string;
let cluster: TestCluster;

const events = (): Array<Record<string, string>> => {
  const file = path.join(root, 'plugins', 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, string>);
};

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'dagbridge-listeners-'));
  cpSync(path.join(ROOT, 'integration-tests', 'fixtures', 'listener_dags'), root, { recursive: true });
  cluster = await new TestCluster({ label: 'listeners', dagsFolder: path.join(root, 'dags'), env: { DAGBRIDGE_PLUGINS_FOLDER: path.join(root, 'plugins') } }).setUp();
  cluster.scheduler('s1');
  cluster.scheduler('s2');
  cluster.worker('w1', ['--concurrency', '2']);
}, 60_000);

afterAll(async () => {
  await cluster?.tearDown();
  rmSync(root, { recursive: true, force: true });
});

describe('plugin listeners hear DAG-run state changes once, in Airflow\'s order', () => {
  it('calls on_dag_run_running then on_dag_run_success / on_dag_run_failed, once each across two schedulers', async () => {
    await cluster.waitForDags(['listened_ok', 'listened_fail']);
    const ok = await cluster.trigger('listened_ok');
    const failing = await cluster.trigger('listened_fail');
    expect((await cluster.waitForRun('listened_ok', ok)).state).toBe('success');
    expect((await cluster.waitForRun('listened_fail', failing)).state).toBe('failed');

    const callsOf = (dagId: string, runId: string): Promise<unknown[] | null> => cluster.until(`the listener calls of ${dagId} to be done`, async () => {
      const calls = await cluster.store.listDagRunListenerCalls({ dagId, runId });
      return calls.length === 2 && calls.every((call) => call.state === 'done') ? calls.map((c) => [c.hook, c.msg, c.error === null ? null : 'error']) : null;
    }, 90_000);
    expect(await callsOf('listened_ok', ok)).toEqual([['on_dag_run_running', '', null], ['on_dag_run_success', 'success', null]]);
    expect(await callsOf('listened_fail', failing)).toEqual([['on_dag_run_running', '', null], ['on_dag_run_failed', 'task_failure', 'error']]);

    const heard = (runId: string): unknown[] => events().filter((e) => e.runId === runId).map((e) => [e.hook, e.msg, e.state, e.dag]);
    expect(heard(ok)).toEqual([['on_dag_run_running', '', 'running', 'listened_ok'], ['on_dag_run_success', 'success', 'success', 'listened_ok']]);
    expect(heard(failing)).toEqual([['on_dag_run_running', '', 'running', 'listened_fail'], ['on_dag_run_failed', 'task_failure', 'failed', 'listened_fail']]);
    // The failing listener changed nothing.
    expect((await cluster.waitForRun('listened_fail', failing)).state).toBe('failed');
  }, 180_000);
});
