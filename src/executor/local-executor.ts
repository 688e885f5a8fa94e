/**
 * The local executor: an in-process pool of `concurrency` slots that runs each queued task instance as its own
 * subprocess, through the same attempt code a worker uses. Like Airflow's LocalExecutor. Used by
 * `dagbridge standalone` and `dagbridge dags test`.
 */
import { ServiceLifecycle } from '../lib/service-state.js';
import type { TaskInstanceRecord } from '../ports/metadata-store.js';
import type { Executor } from '../ports/executor.js';

/** Runs one attempt of a queued task instance to its end (records the outcome itself). Never rejects for task failures. */
export type RunAttempt = (instance: TaskInstanceRecord, signal: AbortSignal) => Promise<void>;

/** Settings of the local executor. */
export interface LocalExecutorOptions {
  /** Parallel task subprocesses. */
  concurrency: number;
  runAttempt: RunAttempt;
  /** Called whenever an attempt settles (the scheduler wakes up to decide what runs next). */
  onAttemptSettled?: (instance: TaskInstanceRecord) => void;
  /** Called when an attempt's promise rejects: a bug or a lost store, never a task failure. */
  onAttemptError?: (instance: TaskInstanceRecord, error: unknown) => void;
}

/** The local pool. `stop()` aborts the running attempts (their task process groups are killed) and waits for them. */
export class LocalExecutor implements Executor {
  readonly name = 'local';
  private readonly pending: TaskInstanceRecord[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly lifecycle = new ServiceLifecycle('local executor');

  /** The pool serves from construction on. */
  constructor(private readonly options: LocalExecutorOptions) {
    void this.lifecycle.begin();
  }

  openSlots(): number {
    if (!this.lifecycle.isRunning) return 0;
    return Math.max(0, this.options.concurrency - this.running.size - this.pending.length);
  }

  /** Attempts running now. */
  get activeCount(): number {
    return this.running.size;
  }

  /** Task instances handed over and waiting for a free slot. */
  get pendingCount(): number {
    return this.pending.length;
  }

  async enqueue(instances: readonly TaskInstanceRecord[]): Promise<void> {
    if (!this.lifecycle.isRunning) return;
    this.pending.push(...instances);
    // Highest priority first, as the scheduler admitted them; stable for equal weights.
    this.pending.sort((a, b) => b.priorityWeight - a.priorityWeight);
    this.pump();
  }

  private pump(): void {
    while (this.lifecycle.isRunning && this.running.size < this.options.concurrency && this.pending.length > 0) {
      const instance = this.pending.shift() as TaskInstanceRecord;
      const id = `${instance.dagId}\u0000${instance.runId}\u0000${instance.taskId}\u0000${instance.mapIndex}\u0000${instance.tryNumber}`;
      if (this.running.has(id)) continue;
      const controller = new AbortController();
      const done = this.options
        .runAttempt(instance, controller.signal)
        .catch((error: unknown) => this.options.onAttemptError?.(instance, error))
        .finally(() => {
          this.running.delete(id);
          this.options.onAttemptSettled?.(instance);
          this.pump();
        });
      this.running.set(id, { controller, done });
    }
  }

  /** Waits until nothing is pending or running. */
  async drain(): Promise<void> {
    while (this.running.size > 0 || (this.pending.length > 0 && this.lifecycle.isRunning)) {
      await Promise.race([...this.running.values()].map((entry) => entry.done));
    }
  }

  stop(): Promise<void> {
    return this.lifecycle.stop(async () => {
      // Pending instances stay `queued` in the store; the next scheduler start hands them out again.
      this.pending.length = 0;
      for (const entry of this.running.values()) entry.controller.abort(new Error('executor stopping'));
      await Promise.allSettled([...this.running.values()].map((entry) => entry.done));
    });
  }
}
