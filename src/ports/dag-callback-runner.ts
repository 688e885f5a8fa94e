/**
 * Calls a DAG's success/failure callbacks for a claimed request (docs/dag-callbacks.md). The scheduler receives it
 * as a function; the implementation (src/worker/dag-callback.ts) starts `python -m dagbridge_shim dag-callback` in
 * a task-like subprocess.
 */
import type { DagRunHook } from '../dag/dag-run-listeners.js';
import type { DagCallbackClaim, DagRunListenerClaim } from './metadata-store.js';

/** What one call did: the callbacks' error summary (null: called without error) and their output. */
export interface DagCallbackOutcome {
  readonly error: string | null;
  readonly output: string;
}

/** Runs one claimed DAG callback to its end; never throws for the callback's own errors. */
export type DagCallbackRunner = (claim: DagCallbackClaim) => Promise<DagCallbackOutcome>;

/** Calls one claimed listener DAG-run hook to its end; never throws for the listener's own errors. */
export type DagRunListenerRunner = (claim: DagRunListenerClaim) => Promise<DagCallbackOutcome>;

/** The plugin listeners' DAG-run hooks a scheduler calls: which hooks exist, and how to call one. */
export interface DagRunListeners {
  readonly hooks: ReadonlySet<DagRunHook>;
  readonly run: DagRunListenerRunner;
}
