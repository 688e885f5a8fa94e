/**
 * Which DAG callback a finished run calls, as Airflow 2.10.5's DagRun.update_state decides it: a success calls
 * `on_success_callback` with reason `success`; a failure (`task_failure`, `all_tasks_deadlocked`, or
 * `timed_out` from dagrun_timeout) calls `on_failure_callback`. A DAG without that callback calls nothing.
 */
import type { DagSpec } from './bundle.js';
import type { DagRunEndReason } from './dag-run-state.js';

/** A DAG callback to call once: its kind and the `reason` its context carries. */
export interface DagCallbackRequest {
  readonly kind: 'success' | 'failure';
  readonly reason: DagRunEndReason;
}

/** The callback request of a run of `spec` that ended for `reason`, or null when the DAG has no such callback. */
export function dagCallbackFor(spec: Pick<DagSpec, 'hasOnSuccessCallback' | 'hasOnFailureCallback'>, reason: DagRunEndReason): DagCallbackRequest | null {
  if (reason === 'success') return spec.hasOnSuccessCallback ? { kind: 'success', reason } : null;
  return spec.hasOnFailureCallback ? { kind: 'failure', reason } : null;
}
