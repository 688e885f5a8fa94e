/**
 * DAG-level on_success_callback / on_failure_callback through `dagbridge dags test`, as Airflow 2.10.5's DAG.test
 * calls them (models/dagrun.py update_state -> models/dag.py handle_callback): once, after the run's state is set,
 * with the context of the run's last task instance plus `reason`; a failing callback is logged, the next one
 * still runs, and the run keeps its state.
 */
import { execa } from 'execa';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from './support/cluster.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'callback_dags');

async function dagsTest(dagId: string): Promise<{ exitCode: number; state: string; calls: unknown[]; stderr: string }> {
  const result = await execa(process.execPath, [CLI, 'dags', 'test', dagId, '--dags-folder', FIXTURES, '--json'], {
    reject: false,
    cwd: ROOT,
    env: { DAGBRIDGE_DATABASE_URL: '', DAGBRIDGE_REDIS_URL: '' },
  });
  const stderr = String(result.stderr);
  const calls = stderr.split('\n').filter((line) => line.startsWith('[dag callback] CB ')).map((line) => JSON.parse(line.slice('[dag callback] CB '.length)) as unknown);
  return { exitCode: result.exitCode ?? -1, state: (JSON.parse(String(result.stdout)) as { state: string }).state, calls, stderr };
}

describe('dags test calls DAG callbacks as Airflow 2.10.5 DAG.test does', () => {
  it('calls on_success_callback once with reason success and the last task instance', async () => {
    const { exitCode, state, calls } = await dagsTest('callbacks_success');
    expect([state, exitCode]).toEqual(['success', 0]);
    expect(calls).toEqual([{ name: 'success', reason: 'success', dagRunState: 'success', taskId: 'last', tiState: 'success', runId: expect.stringMatching(/^manual__/) }]);
  }, 60_000);

  it('calls each on_failure_callback with reason task_failure; a broken one is logged and the run stays failed', async () => {
    const { exitCode, state, calls, stderr } = await dagsTest('callbacks_failure');
    expect([state, exitCode]).toEqual(['failed', 1]);
    expect(calls).toEqual([{ name: 'failure', reason: 'task_failure', dagRunState: 'failed', taskId: 'last', tiState: 'failed', runId: expect.stringMatching(/^manual__/) }]);
    expect(stderr).toContain('failed to invoke dag state update callback');
    expect(stderr).toContain('RuntimeError: this callback is broken');
  }, 60_000);
});
