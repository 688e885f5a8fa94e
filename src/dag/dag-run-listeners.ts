/**
 * Which plugin listener hook a run's state change calls, as Airflow 2.10.5's DagRun.notify_dagrun_state_changed
 * decides it (airflow/models/dagrun.py): entering `running` calls `on_dag_run_running`, `success`
 * `on_dag_run_success`, `failed` `on_dag_run_failed`; `queued` calls nothing ("deliberately not notifying on
 * QUEUED"). The `msg` is the caller's: update_state passes `success`, `task_failure` or `all_tasks_deadlocked`;
 * the scheduler's start of a queued run and its dagrun_timeout pass nothing (`""`). Only hooks some listener
 * implements are called (docs/dag-callbacks.md).
 */
import type { DagRunState } from './states.js';

/** The DAG-run hooks of Airflow 2.10.5's airflow/listeners/spec/dagrun.py. */
export const DAG_RUN_HOOKS = ['on_dag_run_running', 'on_dag_run_success', 'on_dag_run_failed'] as const;
export type DagRunHook = (typeof DAG_RUN_HOOKS)[number];

/** One listener hook call to make once: the hook and its `msg`. */
export interface DagRunListenerCall {
  readonly hook: DagRunHook;
  readonly msg: string;
}

const HOOK_OF_STATE: Partial<Record<DagRunState, DagRunHook>> = {
  running: 'on_dag_run_running',
  success: 'on_dag_run_success',
  failed: 'on_dag_run_failed',
};

/** The call a run entering `state` makes, or null when no listener implements its hook (or the state has none). */
export function dagRunListenerCallFor(hooks: ReadonlySet<string>, state: DagRunState, msg = ''): DagRunListenerCall | null {
  const hook = HOOK_OF_STATE[state];
  return hook !== undefined && hooks.has(hook) ? { hook, msg } : null;
}

/** The DAG-run hooks among `hooks` (the probe's answer lists every listener hook implemented). */
export function dagRunHooksOf(hooks: readonly string[]): ReadonlySet<DagRunHook> {
  return new Set(DAG_RUN_HOOKS.filter((hook) => hooks.includes(hook)));
}
