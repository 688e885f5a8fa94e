import { describe, expect, it } from 'vitest';
import { dagRunHooksOf, dagRunListenerCallFor } from './dag-run-listeners.js';

// Airflow 2.10.5 airflow/models/dagrun.py DagRun.notify_dagrun_state_changed: running, success and failed notify
// their hook; queued is deliberately not notified.
describe('dagRunListenerCallFor', () => {
  const all = new Set(['on_dag_run_running', 'on_dag_run_success', 'on_dag_run_failed']);
  it.each([
    ['running', '', { hook: 'on_dag_run_running', msg: '' }],
    ['success', 'success', { hook: 'on_dag_run_success', msg: 'success' }],
    ['failed', 'all_tasks_deadlocked', { hook: 'on_dag_run_failed', msg: 'all_tasks_deadlocked' }],
    ['queued', '', null],
  ] as const)('entering %s with msg %j calls %j', (state, msg, expected) => {
    expect(dagRunListenerCallFor(all, state, msg)).toEqual(expected);
  });

  it('calls nothing for a hook no listener implements', () => {
    expect(dagRunListenerCallFor(new Set(['on_dag_run_failed']), 'success', 'success')).toBeNull();
  });

  it('keeps only the DAG-run hooks of the probe\'s answer', () => {
    expect([...dagRunHooksOf(['on_task_instance_running', 'on_dag_run_failed', 'on_starting'])]).toEqual(['on_dag_run_failed']);
  });
});
