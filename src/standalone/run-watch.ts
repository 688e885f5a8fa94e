/**
 * What standalone shows while it runs: one plain line per observed state change of a task instance or a DAG
 * run of the active runs (like the non-TTY output of `dags test`), and the outcome table of `--until-idle`.
 * The watcher reads the store, so it shows what the metadata says, whoever changed it; a change that is undone
 * between two refreshes (a very short `running`) may not be seen.
 */
import type { DagRunRecord, MetadataStore, TaskInstanceRecord } from '../ports/metadata-store.js';

/** A DAG run's end state, for the outcome of `--until-idle`. */
export interface RunOutcome {
  dagId: string;
  runId: string;
  runType: string;
  state: string;
  startDate: string | null;
  endDate: string | null;
  durationSeconds: number | null;
  /** Task instances per state, e.g. `{ success: 4, skipped: 1 }`. */
  taskStates: Record<string, number>;
  /** Task instances that failed or were upstream_failed, as `task` or `task[3]`. */
  failedTasks: string[];
}

/** `task` or `task[3]`. */
export function instanceLabel(ti: { taskId: string; mapIndex: number }): string {
  return ti.mapIndex >= 0 ? `${ti.taskId}[${ti.mapIndex}]` : ti.taskId;
}

const runKey = (run: { dagId: string; runId: string }): string => `${run.dagId}\u0000${run.runId}`;

/** Elapsed time as in `dags test`: `[  1.23s]`. */
function stamp(ms: number): string {
  const seconds = ms / 1000;
  const text = seconds < 100 ? `${seconds.toFixed(2)}s` : `${Math.round(seconds)}s`;
  return `[${text.padStart(8)}]`;
}

/** Prints state changes of the active runs (and of runs that just finished) as plain lines. */
export class RunWatcher {
  private readonly seen = new Map<string, string>();
  private readonly tracked = new Map<string, DagRunRecord>();
  private refreshing: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly store: MetadataStore,
    private readonly write: (line: string) => void,
    private readonly startedAt = Date.now(),
    private readonly clock: () => number = Date.now,
  ) {}

  /** Reads the active runs and prints what changed since the last refresh. Concurrent calls coalesce. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          await this.refreshOnce();
        } while (this.again);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    const runs = new Map<string, DagRunRecord>();
    for (const run of await this.store.listActiveRuns()) runs.set(runKey(run), run);
    // A run that left the active list finished since the last refresh: show its last changes and end state.
    for (const [key, run] of this.tracked) {
      if (runs.has(key)) continue;
      const current = await this.store.getDagRun(run);
      if (current) runs.set(key, current);
    }
    const ordered = [...runs.values()].sort((a, b) => a.queuedAt - b.queuedAt || a.dagId.localeCompare(b.dagId) || a.runId.localeCompare(b.runId));
    for (const run of ordered) {
      const instances = await this.store.listTaskInstances(run);
      this.report(run, instances);
    }
    this.tracked.clear();
    for (const run of ordered) if (run.state === 'queued' || run.state === 'running') this.tracked.set(runKey(run), run);
  }

  private report(run: DagRunRecord, instances: readonly TaskInstanceRecord[]): void {
    const at = stamp(this.clock() - this.startedAt);
    const sorted = [...instances].sort((a, b) => a.taskId.localeCompare(b.taskId) || a.mapIndex - b.mapIndex);
    for (const ti of sorted) {
      if (ti.state === 'none') continue;
      const label = ti.state === 'up_for_retry' || ti.tryNumber > 1 ? `${ti.state} (try ${ti.tryNumber})` : ti.state;
      const key = `${runKey(run)}\u0000${ti.taskId}\u0000${ti.mapIndex}`;
      if (this.seen.get(key) === label) continue;
      this.seen.set(key, label);
      this.write(`${at} ${run.dagId} ${run.runId} ${instanceLabel(ti)}: ${label}`);
    }
    const key = runKey(run);
    if (this.seen.get(key) !== run.state) {
      this.seen.set(key, run.state);
      this.write(`${at} ${run.dagId} ${run.runId}: run ${run.state}`);
    }
    if (run.state !== 'queued' && run.state !== 'running') {
      // A finished run is shown once (it is no longer tracked); forget its lines so the map does not grow.
      for (const seenKey of [...this.seen.keys()]) if (seenKey === key || seenKey.startsWith(`${key}\u0000`)) this.seen.delete(seenKey);
    }
  }
}

/** The outcome of a run with its task instances. */
export function runOutcome(run: DagRunRecord, instances: readonly TaskInstanceRecord[]): RunOutcome {
  const taskStates: Record<string, number> = {};
  for (const ti of instances) taskStates[ti.state] = (taskStates[ti.state] ?? 0) + 1;
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    dagId: run.dagId,
    runId: run.runId,
    runType: run.runType,
    state: run.state,
    startDate: iso(run.startDate),
    endDate: iso(run.endDate),
    durationSeconds: run.startDate !== null && run.endDate !== null ? (run.endDate - run.startDate) / 1000 : null,
    taskStates,
    failedTasks: instances
      .filter((ti) => ti.state === 'failed' || ti.state === 'upstream_failed')
      .sort((a, b) => a.taskId.localeCompare(b.taskId) || a.mapIndex - b.mapIndex)
      .map((ti) => `${instanceLabel(ti)} (${ti.state})`),
  };
}
