/**
 * `dagbridge scheduler` (and the scheduling half of `dagbridge standalone`): creates runs on schedule and from
 * dataset events (src/scheduler/dataset-trigger.ts), runs the
 * decision loop, and (cluster mode) the housekeeping repairs. The DAG folder is parsed by a DagProcessor beside
 * the loop (or by a `dagbridge dag-processor` service): the loop starts a parse when one is due and never waits
 * for it. Several schedulers may run at once: every write they make is a compare-and-set or insert-if-absent.
 */
import type { ManifestPublisher } from './manifest-publisher.js';
import { DagProcessor, type ExportBundle, type ParseHealthCheck } from './dag-processor.js';
import type { ScheduleSemantics } from '../dag/schedule.js';
import { ServiceLifecycle, type ServiceState, type Subscribe } from '../lib/service-state.js';
import type { Executor } from '../ports/executor.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { WorkerRegistry } from '../ports/worker-registry.js';
import { DEFAULT_MAX_QUEUED_PER_LOOP } from './admission-input.js';
import { housekeeping, type HousekeepingReport, type UnservedQueue } from './housekeeping.js';
import { createDatasetTriggeredRuns } from './dataset-trigger.js';
import { createDueRuns } from './run-creator.js';
import type { CustomTimetables } from '../ports/custom-timetable.js';
import { SchedulerLoop, type LoopStats } from './scheduler-loop.js';
import type { DagCallbackOutcome, DagCallbackRunner, DagRunListeners } from '../ports/dag-callback-runner.js';
import type { DagCallbackClaim, DagRunListenerClaim, MetadataStore } from '../ports/metadata-store.js';

/** What the scheduler reports to an optional metrics hook (`/metrics` and `/health`, see src/http/service-metrics.ts). */
export type SchedulerMetricsEvent =
  | { kind: 'iteration'; ok: true; at: number; durationMs: number; stats: LoopStats }
  | { kind: 'iteration'; ok: false; at: number; durationMs: number; error: string }
  | { kind: 'housekeeping'; at: number; report: HousekeepingReport };

/** Receives scheduler events; implementations must not throw and must not block the loop. */
export interface SchedulerMetricsHook {
  record(event: SchedulerMetricsEvent): void;
}

/** Settings and collaborators of the scheduler service. */
export interface SchedulerServiceOptions {
  store: MetadataStore & Partial<WorkerRegistry>;
  executor: Executor;
  log: Logger;
  /**
   * Exports the DAG folder (the shim); null disables parsing (a `dagbridge dag-processor` service parses, or tests
   * sync bundles themselves).
   */
  exportBundle: ExportBundle | null;
  /** Publishes the repo's dependency manifest before each parse (cluster mode with `--manifest`). */
  manifestPublisher?: Pick<ManifestPublisher, 'publish'>;
  parseIntervalMs: number;
  /** Total deadline of one parse; default 300 000 (config `parseTimeoutSeconds`). */
  parseTimeoutMs?: number;
  /** The parse health check fails when no parse succeeded for this long; default 600 000 (`parseStaleAfterSeconds`). */
  parseStaleAfterMs?: number;
  loopIntervalMs: number;
  /** Cluster mode: the queue for housekeeping. */
  queue?: TaskQueue;
  housekeepingIntervalMs?: number;
  maxDeliveries?: number;
  workerTimeoutMs?: number;
  semantics?: ScheduleSemantics;
  /** Answers the custom timetables' `next_dagrun_info` (src/shim/timetable.ts); none: such DAGs get no scheduled runs. */
  timetables?: CustomTimetables;
  /** Newly seen DAGs start paused (Airflow's dags_are_paused_at_creation); default false. */
  pausedOnCreation?: boolean;
  /** Subscribes to "something changed" notifications (a task finished); returns an unsubscribe function. */
  subscribeToChanges?: Subscribe;
  /** Called after every iteration (live views, tests). */
  onIteration?: (stats: LoopStats) => void | Promise<void>;
  /** Optional metrics/health hook (`--http-port`). */
  metrics?: SchedulerMetricsHook;
  /** The time of each iteration (tests); default Date.now. */
  clock?: () => number;
  /**
   * Calls DAG success/failure callbacks of finished runs on this scheduler's machine (docs/dag-callbacks.md):
   * after each iteration it claims pending ones (each claimed by one scheduler only) and calls them beside the
   * loop, at most {@link MAX_DAG_CALLBACKS_AT_ONCE} at a time. Absent: this scheduler calls none (another does).
   */
  dagCallbacks?: DagCallbackRunner;
  /**
   * The plugin listeners' DAG-run hooks (docs/dag-callbacks.md): the loop records a call for each run state change
   * whose hook is in `hooks`, and this scheduler claims and calls them beside the loop as it does DAG callbacks
   * (sharing their {@link MAX_DAG_CALLBACKS_AT_ONCE} places). Absent or empty: no call is recorded.
   */
  dagRunListeners?: DagRunListeners;
  /** Most task instances one mapped task may expand into (Airflow's `[core] max_map_length`); default 1024. */
  maxMapLength?: number;
}

/** Most DAG callbacks one scheduler calls at the same time. */
export const MAX_DAG_CALLBACKS_AT_ONCE = 4;

/**
 * Whether the loop should run another iteration at once instead of waiting for a notification: when the
 * iteration changed task instances or finished runs (a change can make more runnable), or queued a full batch
 * (more may be waiting). An iteration that only queued what admission allowed leaves nothing for an immediate
 * next one: it would decide the same instances again and queue nothing. On a busy cluster that wasted iteration
 * followed every finished task.
 */
export function decideAgainAtOnce(stats: LoopStats, maxQueuedPerLoop = DEFAULT_MAX_QUEUED_PER_LOOP): boolean {
  return stats.changesApplied > 0 || stats.runsFinished.length > 0 || stats.queued >= maxQueuedPerLoop;
}

/** The scheduler service. */
export class SchedulerService {
  private readonly lifecycle = new ServiceLifecycle('scheduler');
  readonly loop: SchedulerLoop;
  /** Parses the DAG folder beside the loop; null when this scheduler does not parse. */
  readonly processor: DagProcessor | null;
  private nextHousekeepingAt = 0;
  private nextRunCreationAt = 0;
  private readonly clock: () => number;
  /** Last successful iteration (health). */
  lastLoopAt: number | null = null;
  /** Since when iterations succeed without interruption (a lost database makes every worker look lost). */
  private healthySince = Date.now();

  constructor(private readonly options: SchedulerServiceOptions) {
    this.loop = new SchedulerLoop(options.store, options.executor, options.log, {
      dagRunHooks: options.dagRunListeners?.hooks ?? new Set(),
      ...(options.maxMapLength === undefined ? {} : { maxMapLength: options.maxMapLength }),
    });
    this.clock = options.clock ?? Date.now;
    this.processor = options.exportBundle === null ? null : new DagProcessor({
      store: options.store,
      exportBundle: options.exportBundle,
      ...(options.manifestPublisher ? { manifestPublisher: options.manifestPublisher } : {}),
      log: options.log,
      parseIntervalMs: options.parseIntervalMs,
      parseTimeoutMs: options.parseTimeoutMs ?? 300_000,
      staleAfterMs: options.parseStaleAfterMs ?? 600_000,
      pausedOnCreation: options.pausedOnCreation ?? false,
    });
  }

  /** Time of the last successful parse (null: none yet, or this scheduler does not parse). */
  get lastParseAt(): number | null {
    return this.processor?.lastSuccessAt ?? null;
  }

  /** The last parse's error, null after a success. */
  get lastParseError(): string | null {
    return this.processor?.lastError ?? null;
  }

  /** The `parse` check of `/health`; none when this scheduler does not parse. */
  parseHealth(now = Date.now()): ParseHealthCheck[] {
    return this.processor ? [this.processor.health(now)] : [];
  }

  get state(): ServiceState {
    return this.lifecycle.state;
  }

  /** Wakes the loop now (a task finished, a run was triggered). */
  notify(): void {
    this.lifecycle.wakeup.notify();
  }

  async start(): Promise<void> {
    await this.lifecycle.begin(this.options.subscribeToChanges);
    this.lifecycle.runLoop(() => this.run());
  }

  /**
   * Parses the DAG folder and syncs it, waiting for the outcome (standalone calls it once before start). A failed
   * parse is logged and keeps the stored DAGs; it does not throw. `now` stamps the sync (standalone: its session
   * start).
   */
  async parse(now?: number): Promise<void> {
    await this.processor?.parseNow(now);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.lifecycle.isRunning) {
      const now = this.clock();
      try {
        // Never awaited: the loop goes on while the DAG processor parses.
        this.processor?.startIfDue();
        // Run creation reads every stored DAG with its spec. Once per loop interval is as often as a schedule needs
        // it; task completions wake the loop far more often than that on a busy cluster.
        if (now >= this.nextRunCreationAt) {
          await createDueRuns(this.options.store, now, this.options.log, this.options.semantics, this.options.timetables);
          await createDatasetTriggeredRuns(this.options.store, now, this.options.log);
          this.nextRunCreationAt = now + this.options.loopIntervalMs;
        }
        const stats = await this.loop.tick(now);
        await this.startDagRunListenerCalls(now);
        await this.startDagCallbacks(now);
        if (this.options.queue && this.options.store.listWorkers && now >= this.nextHousekeepingAt) {
          const workerTimeoutMs = this.options.workerTimeoutMs ?? 30_000;
          const report = await housekeeping({
            // Right after an outage of our own, silent workers may only have been unable to reach the database.
            checkLostWorkers: now - this.healthySince > workerTimeoutMs * 2,
            store: this.options.store as MetadataStore & WorkerRegistry,
            queue: this.options.queue,
            executor: this.options.executor,
            log: this.options.log,
            maxDeliveries: this.options.maxDeliveries ?? 5,
            workerTimeoutMs,
            queuedGraceMs: 5_000,
          }, now);
          this.options.metrics?.record({ kind: 'housekeeping', at: Date.now(), report });
          this.warnUnserved(report.unserved, now);
          this.nextHousekeepingAt = now + (this.options.housekeepingIntervalMs ?? 2_000);
        }
        this.lastLoopAt = Date.now();
        this.options.metrics?.record({ kind: 'iteration', ok: true, at: this.lastLoopAt, durationMs: this.lastLoopAt - now, stats });
        failures = 0;
        await this.options.onIteration?.(stats);
        if (decideAgainAtOnce(stats)) continue;
      } catch (error) {
        failures += 1;
        this.healthySince = Date.now();
        this.options.metrics?.record({ kind: 'iteration', ok: false, at: Date.now(), durationMs: Date.now() - now, error: errorMessage(error) });
        const delay = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        this.options.log.error('scheduler iteration failed; retrying', { error: errorMessage(error), retryInMs: delay });
        await this.lifecycle.wakeup.wait(delay, this.lifecycle.signal);
        continue;
      }
      await this.lifecycle.wakeup.wait(this.options.loopIntervalMs, this.lifecycle.signal);
    }
  }

  private readonly dagCallbacksRunning = new Set<Promise<void>>();

  /** Claims pending DAG callbacks up to the free places and calls them without waiting (stop() waits). */
  private async startDagCallbacks(now: number): Promise<void> {
    const runner = this.options.dagCallbacks;
    const free = MAX_DAG_CALLBACKS_AT_ONCE - this.dagCallbacksRunning.size;
    if (!runner || free <= 0) return;
    for (const claim of await this.options.store.claimDagCallbacks(free, now)) {
      const running: Promise<void> = this.callDagCallback(runner, claim).finally(() => this.dagCallbacksRunning.delete(running));
      this.dagCallbacksRunning.add(running);
    }
  }

  /** Claims pending listener DAG-run hook calls up to the free places and calls them without waiting. */
  private async startDagRunListenerCalls(now: number): Promise<void> {
    const listeners = this.options.dagRunListeners;
    const free = MAX_DAG_CALLBACKS_AT_ONCE - this.dagCallbacksRunning.size;
    if (!listeners || listeners.hooks.size === 0 || free <= 0) return;
    for (const claim of await this.options.store.claimDagRunListenerCalls(free, now)) {
      const running: Promise<void> = this.callDagRunListener(listeners.run, claim).finally(() => this.dagCallbacksRunning.delete(running));
      this.dagCallbacksRunning.add(running);
    }
  }

  private async callDagRunListener(run: (claim: DagRunListenerClaim) => Promise<DagCallbackOutcome>, claim: DagRunListenerClaim): Promise<void> {
    const log = this.options.log.child({ dagId: claim.dagId, runId: claim.runId, hook: claim.hook });
    log.info('calling the listeners\' DAG-run hook');
    try {
      const outcome = await run(claim);
      if (outcome.error) log.warn('a listener\'s DAG-run hook failed; the run keeps its state', { error: outcome.error });
      await this.options.store.finishDagRunListenerCall(claim.id, outcome, this.clock());
    } catch (error) {
      log.error('could not record the listener call', { error: errorMessage(error) });
    }
  }

  private async callDagCallback(runner: DagCallbackRunner, claim: DagCallbackClaim): Promise<void> {
    const log = this.options.log.child({ dagId: claim.dagId, runId: claim.runId, callback: claim.kind, reason: claim.reason });
    log.info('calling the DAG callback');
    try {
      const outcome = await runner(claim);
      if (outcome.error) log.warn('the DAG callback failed; the run keeps its state', { error: outcome.error });
      await this.options.store.finishDagCallback(claim, outcome, this.clock());
    } catch (error) {
      log.error('could not record the DAG callback', { error: errorMessage(error) });
    }
  }

  private readonly unservedWarnedAt = new Map<string, number>();

  /** Says, at most once a minute per queue, which queues have work that no worker can take, and why. */
  private warnUnserved(unserved: readonly UnservedQueue[], now: number): void {
    for (const entry of unserved) {
      if (now - (this.unservedWarnedAt.get(entry.queue) ?? Number.NEGATIVE_INFINITY) < 60_000) continue;
      this.unservedWarnedAt.set(entry.queue, now);
      const why = entry.reasons.length > 0 ? entry.reasons.join('; ') : 'no worker serves it (start one with --queues ' + entry.queue + ')';
      this.options.log.warn(`queue ${entry.queue}: ${entry.waiting} task(s) waiting and no worker can take them: ${why}`);
    }
  }

  /** Resolves once the service has stopped (by `stop()` from any caller). */
  whenStopped(): Promise<void> {
    return this.lifecycle.whenStopped();
  }

  /** Stops after the current iteration, then stops the executor. Idempotent. */
  stop(): Promise<void> {
    return this.lifecycle.stop(async () => {
      await Promise.all(this.dagCallbacksRunning);
      await this.processor?.stop();
      await this.options.executor.stop();
    });
  }
}
