/**
 * `dagbridge standalone` without its database: the cluster's scheduler service with a local executor (an
 * in-process pool of task subprocesses, each attempt through the same `runAttempt` a worker uses) instead of
 * Redis. Like Airflow's LocalExecutor.
 *
 * Recovery at start: this process is the only runner of the database's work, so a task instance left `running`
 * by an earlier standalone process (killed before it could hand its tasks back) is handed back as a new try
 * (not counted against its retries), and every `queued` instance is given to the local pool again. Both are
 * compare-and-sets on the instance's state and try, so nothing starts twice.
 */
import { hostname } from 'node:os';
import type { DagBundle } from '../dag/bundle.js';
import type { ScheduleSemantics } from '../dag/schedule.js';
import type { LocalExecutor, RunAttempt } from '../executor/local-executor.js';
import type { ServiceState } from '../lib/service-state.js';
import type { Logger } from '../lib/logger.js';
import { dueConsumers } from '../scheduler/dataset-trigger.js';
import { createDueRuns, triggerDagRun } from '../scheduler/run-creator.js';
import type { CustomTimetables } from '../ports/custom-timetable.js';
import { localAttemptExecutor } from './local-attempts.js';
import { SchedulerService } from '../scheduler/scheduler-service.js';
import type { LoopStats } from '../scheduler/scheduler-loop.js';
import type { DagRunRecord, MetadataStore, WorkerIdentity } from '../ports/metadata-store.js';
import { STANDALONE_WORKER_PREFIX } from '../ports/worker-registry.js';
import type { AttemptContext } from '../worker/attempt.js';
import { runDagCallback, runDagRunListener } from '../worker/dag-callback.js';
import type { DagRunHook } from '../dag/dag-run-listeners.js';
import { runOutcome, type RunOutcome } from './run-watch.js';

/** Settings and collaborators of the standalone service. */
export interface StandaloneServiceOptions {
  store: MetadataStore;
  log: Logger;
  /** Exports the DAG folder (the shim). */
  exportBundle: () => Promise<DagBundle>;
  /** How attempts run: interpreter, DAGs folder, environment, limits, work directory. */
  attempt: Omit<AttemptContext, 'store' | 'identity' | 'log'>;
  /** Parallel task subprocesses. */
  concurrency: number;
  parseIntervalMs: number;
  loopIntervalMs: number;
  semantics?: ScheduleSemantics;
  /** Most task instances one mapped task may expand into (Airflow's `[core] max_map_length`); default 1024. */
  maxMapLength?: number;
  /** Answers the custom timetables (src/shim/timetable.ts); none: such DAGs get no scheduled runs. */
  timetables?: CustomTimetables;
  /** Subscribes to change notifications (PostgreSQL LISTEN), so `dags trigger` from another shell wakes the loop. */
  subscribeToChanges?: (onChange: () => void) => Promise<() => Promise<void>>;
  /** Called after every scheduler iteration (live view). */
  onIteration?: () => void | Promise<void>;
  /** Runs one attempt; default `runAttempt` of the worker with `attempt` (tests replace it). */
  runAttempt?: RunAttempt;
  /** The DAG-run hooks the plugins' listeners implement (src/shim/listener-probe.ts); default none. */
  dagRunHooks?: ReadonlySet<DagRunHook>;
}

/**
 * How `waitUntilIdle` ended: no run active; the service stopped first; or stalled: runs are active but nothing
 * runs, nothing waits for a time (a retry delay, a reschedule) and the scheduler changed nothing for
 * {@link STALL_ITERATIONS} iterations in a row, so the runs can never proceed on their own (a `depends_on_past`
 * on a failed run, a pool of 0 slots, a deferred task with no triggerer).
 */
export type IdleOutcome = { kind: 'idle' } | { kind: 'stopped' } | { kind: 'stalled'; runs: DagRunRecord[] };

/** Quiet scheduler iterations in a row after which active runs that nothing moves are reported as stalled. */
export const STALL_ITERATIONS = 3;

/** What `prepareUntilIdle` set in motion. */
export interface UntilIdlePlan {
  /** DAGs that were paused and are now unpaused. */
  unpaused: string[];
  /** Scheduled runs that were due. */
  scheduled: DagRunRecord[];
  /** Manual runs of DAGs that had no active run. */
  triggered: DagRunRecord[];
  /** Runs already active (left by an earlier start), which run to their end too. */
  resumed: DagRunRecord[];
}

/** The scheduler and the local pool of one standalone process. */
export class StandaloneService {
  readonly identity: WorkerIdentity;
  readonly executor: LocalExecutor;
  readonly scheduler: SchedulerService;
  /** The latest export (import errors for the outcome). */
  lastBundle: DagBundle | null = null;
  private primed: DagBundle | null = null;
  private idleWaiters: Array<(outcome: IdleOutcome) => void> = [];
  private checkingIdle = false;
  private quietIterations = 0;

  constructor(private readonly options: StandaloneServiceOptions) {
    this.identity = { workerId: `${STANDALONE_WORKER_PREFIX}${hostname()}-${process.pid}`, hostname: hostname(), pid: process.pid };
    const context: AttemptContext = { ...options.attempt, store: options.store, identity: this.identity, log: options.log };
    this.executor = localAttemptExecutor({
      context,
      concurrency: options.concurrency,
      runAttempt: options.runAttempt,
      onSettled: () => this.scheduler.notify(),
      log: options.log,
    });
    this.scheduler = new SchedulerService({
      store: options.store,
      executor: this.executor,
      log: options.log,
      exportBundle: () => this.exportOnce(),
      parseIntervalMs: options.parseIntervalMs,
      loopIntervalMs: options.loopIntervalMs,
      semantics: options.semantics,
      maxMapLength: options.maxMapLength,
      timetables: options.timetables,
      pausedOnCreation: false,
      subscribeToChanges: options.subscribeToChanges,
      dagCallbacks: (claim) => runDagCallback(context, claim, (line) => options.log.info(`dag callback: ${line}`, { dagId: claim.dagId, runId: claim.runId })),
      dagRunListeners: {
        hooks: options.dagRunHooks ?? new Set(),
        run: (claim) => runDagRunListener(context, claim, (line) => options.log.info(`listener ${claim.hook}: ${line}`, { dagId: claim.dagId, runId: claim.runId })),
      },
      onIteration: async (stats) => {
        await options.onIteration?.();
        await this.checkIdle(stats);
      },
    });
  }

  get state(): ServiceState {
    return this.scheduler.state;
  }

  /** The export for the loop: the one made by `parse()` before start is used once, then a fresh one each time. */
  private async exportOnce(): Promise<DagBundle> {
    const bundle = this.primed ?? (await this.options.exportBundle());
    this.primed = null;
    this.lastBundle = bundle;
    return bundle;
  }

  /** Exports the DAG folder and syncs it now (before start, so `--until-idle` sees every DAG). */
  async parse(now = Date.now()): Promise<void> {
    await this.scheduler.parse(now);
    this.primed = this.lastBundle;
  }

  /**
   * `--until-idle`: unpause every active DAG, create the scheduled runs that are due (the scheduler's own run
   * creation, so catch-up applies), then trigger one manual run of every DAG that still has no active run.
   */
  async prepareUntilIdle(now = Date.now()): Promise<UntilIdlePlan> {
    const { store, log } = this.options;
    const dags = (await store.listDags()).filter((dag) => dag.isActive);
    const unpaused: string[] = [];
    for (const dag of dags) {
      if (dag.isPaused && (await store.setPaused(dag.dagId, false))) unpaused.push(dag.dagId);
    }
    const resumed = await store.listActiveRuns();
    const scheduled = await createDueRuns(store, now, log, this.options.semantics, this.options.timetables);
    const busy = new Set([...resumed, ...scheduled].map((run) => run.dagId));
    const triggered: DagRunRecord[] = [];
    for (const dag of dags.sort((a, b) => a.dagId.localeCompare(b.dagId))) {
      if (busy.has(dag.dagId)) continue;
      const { run } = await triggerDagRun(store, dag, now, { semantics: this.options.semantics, timetables: this.options.timetables });
      triggered.push(run);
    }
    return { unpaused, scheduled, triggered, resumed };
  }

  /** Hands back what an earlier standalone process left running and queues what it left queued; then starts. */
  async start(now = Date.now()): Promise<void> {
    const { store, log } = this.options;
    for (const ti of await store.listRunning()) {
      if (!ti.workerId?.startsWith(STANDALONE_WORKER_PREFIX) || ti.workerId === this.identity.workerId) continue;
      if (await store.requeueTry(ti, ti.tryNumber, 'running', `handed back: the standalone process ${ti.workerId} stopped while it ran`, now)) {
        log.warn('task handed back: the standalone process that ran it stopped', { dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, tryNumber: ti.tryNumber });
      }
    }
    // Queued before this process started: no other runner will take them (no Redis in standalone).
    const queued = await store.listQueued();
    if (queued.length > 0) await this.executor.enqueue(queued);
    await this.scheduler.start();
  }

  /** Resolves once no DAG run is active and no attempt runs, when the active runs stall, or when the service stops. */
  waitUntilIdle(): Promise<IdleOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: IdleOutcome): void => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      this.quietIterations = 0;
      this.idleWaiters.push(finish);
      void this.scheduler.whenStopped().then(() => finish({ kind: 'stopped' }));
      this.scheduler.notify();
    });
  }

  private async checkIdle(stats: LoopStats): Promise<void> {
    if (this.idleWaiters.length === 0 || this.checkingIdle) return;
    this.checkingIdle = true;
    try {
      if (this.executor.activeCount > 0 || this.executor.pendingCount > 0) {
        this.quietIterations = 0;
        return;
      }
      const active = await this.options.store.listActiveRuns();
      // A consumer whose datasets were just updated gets its run at the next run creation: not idle yet.
      if (active.length === 0 && (await dueConsumers(this.options.store)).length > 0) {
        this.quietIterations = 0;
        return;
      }
      if (active.length > 0) {
        const moved = stats.changesApplied > 0 || stats.queued > 0 || stats.runsFinished.length > 0;
        this.quietIterations = moved ? 0 : this.quietIterations + 1;
        if (this.quietIterations < STALL_ITERATIONS || (await this.waitsForTime(active))) return;
      }
      const outcome: IdleOutcome = active.length === 0 ? { kind: 'idle' } : { kind: 'stalled', runs: active };
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake(outcome);
    } finally {
      this.checkingIdle = false;
    }
  }

  /** Whether a task instance of `runs` waits for a time to come (retry delay, sensor reschedule). */
  private async waitsForTime(runs: readonly DagRunRecord[]): Promise<boolean> {
    const now = Date.now();
    for (const run of runs) {
      for (const ti of await this.options.store.listTaskInstances(run)) {
        if ((ti.nextRetryAt !== null && ti.nextRetryAt > now) || (ti.rescheduleAt !== null && ti.rescheduleAt > now)) return true;
      }
    }
    return false;
  }

  /** The outcome of the given runs (current state and task instance counts), in the order given. */
  async outcomes(runs: readonly DagRunRecord[]): Promise<RunOutcome[]> {
    const out: RunOutcome[] = [];
    for (const run of runs) {
      const current = (await this.options.store.getDagRun(run)) ?? run;
      out.push(runOutcome(current, await this.options.store.listTaskInstances(current)));
    }
    return out;
  }

  /** Runs created since `since` (by the scheduler's catch-up, a trigger from another shell), oldest first. */
  async runsCreatedSince(since: number): Promise<DagRunRecord[]> {
    const runs = await this.options.store.listDagRuns({ limit: 10_000 });
    return runs.filter((run) => run.queuedAt >= since).sort((a, b) => a.queuedAt - b.queuedAt || a.dagId.localeCompare(b.dagId) || a.runId.localeCompare(b.runId));
  }

  /** Stops the scheduler and the local pool (running attempts are stopped and handed back). Idempotent. */
  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  /** Resolves once stopped. */
  whenStopped(): Promise<void> {
    return this.scheduler.whenStopped();
  }
}
