/**
 * Cross-DAG dependencies through a real scheduler and worker on PostgreSQL and Redis: ExternalTaskSensor asks
 * the worker over the supervisor channel (`external.exists`, `external.count`) for another DAG's states at the
 * same logical date, in poke and reschedule modes, and fails on its failed_states with Airflow's message; with
 * deferrable=True it (and TriggerDagRunOperator's wait) defers on Airflow 2.10.5's triggers, run in the task's process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCluster } from './support/cluster.js';
import { startFixtureCluster, type FixtureCluster } from './support/fixture-cluster.js';
import { silentLogger } from '../src/lib/logger.js';
import type { PgStore } from '../src/store/pg-store.js';
import { insertUser } from '../src/store/web-queries.js';
import { Authenticator } from '../src/web/auth.js';
import { hashPassword } from '../src/web/passwords.js';
import type { WebContext } from '../src/web/routes.js';
import { buildWebServer } from '../src/web/server.js';

let started: FixtureCluster | undefined;
let cluster: TestCluster;

beforeAll(async () => {
  started = await startFixtureCluster('external', 'external_dags');
  cluster = started.cluster;
}, 60_000);

afterAll(async () => {
  await started?.tearDown();
});

const ti = (dagId: string, runId: string, taskId: string) => cluster.store.getTaskInstance({ dagId, runId, taskId, mapIndex: -1 });
const logOf = async (dagId: string, runId: string, taskId: string, tryNumber = 1): Promise<string> =>
  (await cluster.store.readLogLines({ dagId, runId, taskId, mapIndex: -1 }, tryNumber)).map((l) => l.line).join('\n');

describe('ExternalTaskSensor', () => {
  it('waits, in poke and in reschedule mode, for another DAG\'s task that succeeds later at the same logical date', async () => {
    await cluster.waitForDags(['ext_upstream', 'ext_waiter']);
    const date = '2024-06-01T00:00:00+00:00';
    const waiter = await cluster.trigger('ext_waiter', ['--logical-date', date]);
    // Both sensors are waiting before the DAG they watch has a run: one poking, one handed back to the scheduler.
    await cluster.until('the reschedule-mode sensor to be up_for_reschedule', async () => (await ti('ext_waiter', waiter, 'wait_reschedule'))?.state === 'up_for_reschedule');
    await cluster.until('the poke-mode sensor to be running', async () => (await ti('ext_waiter', waiter, 'wait_poke'))?.state === 'running');
    await cluster.trigger('ext_upstream', ['--logical-date', date]);
    const run = await cluster.waitForRun('ext_waiter', waiter);
    expect(run.state).toBe('success');
    const reschedule = await ti('ext_waiter', waiter, 'wait_reschedule');
    expect([reschedule?.state, reschedule?.tryNumber]).toEqual(['success', 1]);
    const log = await logOf('ext_waiter', waiter, 'wait_poke');
    expect(log).toContain(`Poking for tasks ['final'] in dag ext_upstream on ${date} ... `);
    expect(log).toContain('Success criteria met. Exiting.');
    expect(log).toMatch(/channel: \d+ requests \(0 refused\)/);
  }, 180_000);

  it('fails on failed_states with Airflow\'s message', async () => {
    await cluster.waitForDags(['ext_failing', 'ext_fail_waiter']);
    const date = '2024-06-02T00:00:00+00:00';
    const failing = await cluster.trigger('ext_failing', ['--logical-date', date]);
    expect((await cluster.waitForRun('ext_failing', failing)).state).toBe('failed');
    const waiter = await cluster.trigger('ext_fail_waiter', ['--logical-date', date]);
    expect((await cluster.waitForRun('ext_fail_waiter', waiter)).state).toBe('failed');
    expect((await ti('ext_fail_waiter', waiter, 'wait_failed'))?.state).toBe('failed');
    expect(await logOf('ext_fail_waiter', waiter, 'wait_failed')).toContain("AirflowException: Some of the external tasks ['boom'] in DAG ext_failing failed.");
  }, 180_000);
});

describe('TriggerDagRunOperator with wait_for_completion', () => {
  it('creates the run at once, once, and waits for its allowed or failed state; a task that is not a TriggerDagRunOperator is refused', async () => {
    await cluster.waitForDags(['ext_triggered', 'ext_trigger_waiter']);
    const waiter = await cluster.trigger('ext_trigger_waiter', ['--logical-date', '2024-06-03T00:00:00+00:00']);
    expect((await cluster.waitForRun('ext_trigger_waiter', waiter)).state).toBe('failed');
    expect((await ti('ext_trigger_waiter', waiter, 'trigger_ok'))?.state).toBe('success');
    expect((await ti('ext_trigger_waiter', waiter, 'trigger_failing'))?.state).toBe('failed');
    const runs = await cluster.store.listDagRuns({ dagId: 'ext_triggered' });
    expect(runs.map((r) => [r.runId, r.state]).sort()).toEqual([[`failing__${waiter}`, 'failed'], [`ok__${waiter}`, 'success']]);
    expect(await logOf('ext_trigger_waiter', waiter, 'trigger_ok')).toContain(`ext_triggered finished with allowed state success`);
    expect(await logOf('ext_trigger_waiter', waiter, 'trigger_failing')).toContain('AirflowException: ext_triggered failed with failed states failed');
    const xcoms = await cluster.store.listXcoms({ dagId: 'ext_trigger_waiter', runId: waiter });
    expect(xcoms.filter((x) => x.taskId === 'trigger_ok').map((x) => [x.key, x.value]).sort()).toEqual([
      ['trigger_execution_date_iso', runs.find((r) => r.runId === `ok__${waiter}`)?.logicalDate],
      ['trigger_run_id', `ok__${waiter}`],
    ]);
    expect(xcoms.find((x) => x.taskId === 'not_a_trigger' && x.key === 'return_value')?.value).toEqual([
      'forbidden',
      'channel request dagrun.trigger refused (forbidden): dagrun.trigger: only a TriggerDagRunOperator task may trigger a DAG run; ext_trigger_waiter.not_a_trigger is a PythonOperator',
    ]);
  }, 180_000);
});

describe('deferrable waits (Airflow 2.10.5: the trigger runs in the task\'s process over the channel)', () => {
  it('ExternalTaskSensor(deferrable=True) defers on a WorkflowTrigger and resumes when the other DAG\'s task succeeds', async () => {
    await cluster.waitForDags(['ext_upstream', 'ext_defer_waiter']);
    const date = '2024-06-05T00:00:00+00:00';
    const waiter = await cluster.trigger('ext_defer_waiter', ['--logical-date', date]);
    await cluster.until('the deferred sensor to be running', async () => (await ti('ext_defer_waiter', waiter, 'wait_deferred'))?.state === 'running');
    await cluster.until('the sensor to have deferred', async () => (await logOf('ext_defer_waiter', waiter, 'wait_deferred')).includes('Pausing task as DEFERRED'));
    await cluster.trigger('ext_upstream', ['--logical-date', date]);
    expect((await cluster.waitForRun('ext_defer_waiter', waiter)).state).toBe('success');
    const log = await logOf('ext_defer_waiter', waiter, 'wait_deferred');
    expect(log).toContain('Resuming wait_deferred with execute_complete');
    expect(log).toContain("External tasks ['final'] has executed successfully.");
    expect(log).not.toContain('Poking for tasks');
  }, 180_000);

  it('TriggerDagRunOperator(wait_for_completion=True, deferrable=True) defers on a DagStateTrigger; execute_complete fails on a failed state', async () => {
    await cluster.waitForDags(['ext_triggered', 'ext_trigger_defer']);
    const waiter = await cluster.trigger('ext_trigger_defer', ['--logical-date', '2024-06-06T00:00:00+00:00']);
    expect((await cluster.waitForRun('ext_trigger_defer', waiter)).state).toBe('failed');
    expect((await ti('ext_trigger_defer', waiter, 'trigger_ok'))?.state).toBe('success');
    expect((await ti('ext_trigger_defer', waiter, 'trigger_failing'))?.state).toBe('failed');
    const runs = await cluster.store.listDagRuns({ dagId: 'ext_triggered' });
    expect(runs.filter((r) => r.runId.endsWith(waiter) && r.runId.startsWith('d')).map((r) => [r.runId, r.state]).sort())
      .toEqual([[`dfailing__${waiter}`, 'failed'], [`dok__${waiter}`, 'success']]);
    const ok = await logOf('ext_trigger_defer', waiter, 'trigger_ok');
    expect(ok).toContain('Pausing task as DEFERRED');
    expect(ok).toContain('ext_triggered finished with allowed state success');
    expect(await logOf('ext_trigger_defer', waiter, 'trigger_failing')).toContain('AirflowException: ext_triggered failed with failed state failed');
  }, 180_000);
});

describe('what a task reads of the store when it asks', () => {
  it('the previous run and its instance, the run\'s instances now, its own state, prev_*_success', async () => {
    await cluster.waitForDags(['ext_history']);
    const first = await cluster.trigger('ext_history', ['--logical-date', '2024-06-04T00:00:00+00:00']);
    const firstRun = await cluster.waitForRun('ext_history', first);
    expect(firstRun.state).toBe('success');
    const second = await cluster.trigger('ext_history', ['--logical-date', '2024-06-05T00:00:00+00:00']);
    expect((await cluster.waitForRun('ext_history', second)).state).toBe('success');
    const read = async (runId: string): Promise<unknown> =>
      (await cluster.store.listXcoms({ dagId: 'ext_history', runId })).find((x) => x.taskId === 'inspect' && x.key === 'return_value')?.value;
    expect(await read(first)).toEqual({
      done_here: ['first'], previous_ti: null, previous_run: null, previous_start: null,
      prev_start_date_success: null, prev_data_interval_start_success: null, state_now: ['running', 'running'],
    });
    const previousInspect = await ti('ext_history', first, 'inspect');
    const later = (await read(second)) as Record<string, unknown>;
    // Instants as Python's isoformat writes them (microseconds left out when zero): compared as instants.
    const instant = (value: unknown): number => Date.parse(String(value));
    expect({ ...later, previous_start: instant(later.previous_start), prev_start_date_success: instant(later.prev_start_date_success) }).toEqual({
      done_here: ['first'],
      previous_ti: ['inspect', first, 'success'],
      previous_run: [first, 'success'],
      previous_start: previousInspect?.startDate,
      prev_start_date_success: firstRun.startDate,
      prev_data_interval_start_success: firstRun.dataIntervalStart,
      state_now: ['running', 'running'],
    });
  }, 180_000);
});

describe('ExternalTaskMarker', () => {
  const runAt = async (dagId: string, date: string): Promise<string> => {
    const runId = await cluster.trigger(dagId, ['--logical-date', date]);
    expect((await cluster.waitForRun(dagId, runId)).state).toBe('success');
    return runId;
  };

  it('clearing it with its downstream clears the task it names in the other DAG at the same logical date, and that task\'s downstream', async () => {
    await cluster.waitForDags(['ext_parent', 'ext_child']);
    const date = '2024-06-06T00:00:00+00:00';
    const parent = await runAt('ext_parent', date);
    const child = await runAt('ext_child', date);
    const cleared = await cluster.cliJson<{ cleared: number; taskIds: string[]; external: unknown[] }>(['tasks', 'clear', 'ext_parent', parent, 'start', '--downstream']);
    expect(cleared).toEqual({ cleared: 4, taskIds: ['marker', 'start'], external: [{ dagId: 'ext_child', runId: child, taskIds: ['child_end', 'child_start'] }] });
    await cluster.until('the child run to run again', async () => (await ti('ext_child', child, 'child_end'))?.tryNumber === 2 && (await cluster.store.getDagRun({ dagId: 'ext_child', runId: child }))?.state === 'success');
    expect((await ti('ext_child', child, 'child_other'))?.tryNumber).toBe(1);
    // Without --downstream the marker is not followed.
    expect(await cluster.cliJson(['tasks', 'clear', 'ext_parent', parent, 'marker'])).toMatchObject({ external: [] });
  }, 180_000);

  it('the REST API\'s clearTaskInstances with include_downstream follows the marker as the CLI does', async () => {
    await cluster.waitForDags(['ext_parent', 'ext_child']);
    const date = '2024-06-08T00:00:00+00:00';
    const parent = await runAt('ext_parent', date);
    const child = await runAt('ext_child', date);
    const store = cluster.store as PgStore;
    await insertUser(store.pool, 'clearer', 'User', await hashPassword('pw-of-the-clearer'));
    const context: WebContext = {
      store, pool: store.pool, queue: null, auth: new Authenticator(store.pool), log: silentLogger, leaseMs: 30_000,
      now: () => Date.now(), notify: async () => undefined, scheduleSemantics: null, fernetKey: null,
    };
    const { app } = await buildWebServer(context);
    try {
      const response = await app.inject({
        method: 'POST', url: '/api/v1/dags/ext_parent/clearTaskInstances',
        headers: { authorization: `Basic ${Buffer.from('clearer:pw-of-the-clearer').toString('base64')}` },
        payload: { dag_run_id: parent, task_ids: ['start'], include_downstream: true, dry_run: true, only_failed: false },
      });
      expect(response.statusCode, response.body).toBe(200);
      const listed = (response.json() as { task_instances: Array<{ dag_id: string; dag_run_id: string; task_id: string }> }).task_instances;
      expect(listed.map((t) => `${t.dag_id}.${t.task_id}@${t.dag_run_id}`).sort()).toEqual([
        `ext_child.child_end@${child}`, `ext_child.child_start@${child}`, `ext_parent.marker@${parent}`, `ext_parent.start@${parent}`,
      ]);
    } finally {
      await app.close();
    }
  }, 180_000);

  it('past the first marker\'s recursion_depth the clear is refused with Airflow\'s message and nothing changes', async () => {
    await cluster.waitForDags(['ext_deep_a', 'ext_deep_b', 'ext_child']);
    const date = '2024-06-07T00:00:00+00:00';
    const a = await runAt('ext_deep_a', date);
    await runAt('ext_deep_b', date);
    await runAt('ext_child', date);
    const result = await cluster.cli(['tasks', 'clear', 'ext_deep_a', a, 'to_b', '--downstream']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('Maximum recursion depth 1 reached for ExternalTaskMarker to_c. Attempted to clear too many tasks or there may be a cyclic dependency.');
    expect(await ti('ext_deep_a', a, 'to_b')).toMatchObject({ state: 'success', tryNumber: 1 });
  }, 180_000);
});
