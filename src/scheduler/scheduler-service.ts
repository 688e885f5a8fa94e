/**
 * `dagbridge scheduler` (and the scheduling half of `dagbridge standalone`): re-exports the DAG folder on an
 * interval, creates runs on schedule, runs the decision loop, and (cluster mode) the housekeeping repairs.
 * Several schedulers may run at once: every write they make is a compare-and-set or insert-if-absent.
 */
import type { ManifestPublisher } from './manifest-publisher.js';
import type { DagBundle } from '../dag/bundle.js';
import type { ScheduleSemantics } from '../dag/schedule.js';
import { ServiceLifecycle, type ServiceState, type Subscribe } from '../lib/service-state.js';
import type { Executor } from '../ports/executor.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { WorkerRegistry } from '../ports/worker-registry.js';
import { DEFAULT_MAX_QUEUED_PER_LOOP } from './admission-input.js';
import { housekeeping, type HousekeepingReport, type UnservedQueue } from './housekeeping.js';
import { createDueRuns } from './run-creator.js';
import { SchedulerLoop, type LoopStats } from './scheduler-loop.js';
import type { MetadataStore } from '../ports/metadata-store.js';

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
  /** Exports the DAG folder (the shim); null disables parsing (tests that sync bundles themselves). */
  exportBundle: (() => Promise<DagBundle>) | null;
  /** Publishes the repo's dependency manifest before each parse (cluster mode with `--manifest`). */
  manifestPublisher?: Pick<ManifestPublisher, 'publish'>;
  parseIntervalMs: number;
  loopIntervalMs: number;
  /** Cluster mode: the queue for housekeeping. */
  queue?: TaskQueue;
  housekeepingIntervalMs?: number;
  maxDeliveries?: number;
  workerTimeoutMs?: number;
  semantics?: ScheduleSemantics;
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
}

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
  private nextParseAt = 0;
  private nextHousekeepingAt = 0;
  private nextRunCreationAt = 0;
  private readonly clock: () => number;
  /** Last successful iteration (health). */
  lastLoopAt: number | null = null;
  /** Since when iterations succeed without interruption (a lost database makes every worker look lost). */
  private healthySince = Date.now();
  lastParseAt: number | null = null;
  lastParseError: string | null = null;

  constructor(private readonly options: SchedulerServiceOptions) {
    this.loop = new SchedulerLoop(options.store, options.executor, options.log);
    this.clock = options.clock ?? Date.now;
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

  /** Parses the DAG folder and syncs it (also called once before start by standalone). */
  async parse(now = Date.now()): Promise<void> {
    if (!this.options.exportBundle) return;
    await this.options.manifestPublisher?.publish(now);
    try {
      const bundle = await this.options.exportBundle();
      const report = await this.options.store.syncBundle(bundle, now, { pausedOnCreation: this.options.pausedOnCreation });
      this.lastParseAt = now;
      this.lastParseError = null;
      if (report.added.length + report.updated.length + report.deactivated.length > 0) {
        this.options.log.info('DAG folder synced', { added: report.added.length, updated: report.updated.length, deactivated: report.deactivated.length, importErrors: report.importErrors });
      }
    } catch (error) {
      // Keep scheduling what is stored: a broken export must not stop runs in flight.
      this.lastParseError = errorMessage(error);
      this.options.log.error('could not parse the DAG folder; keeping the DAGs stored', { error: this.lastParseError });
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.lifecycle.isRunning) {
      const now = this.clock();
      try {
        if (now >= this.nextParseAt) {
          await this.parse(now);
          this.nextParseAt = now + this.options.parseIntervalMs;
        }
        // Run creation reads every stored DAG with its spec. Once per loop interval is as often as a schedule needs
        // it; task completions wake the loop far more often than that on a busy cluster.
        if (now >= this.nextRunCreationAt) {
          await createDueRuns(this.options.store, now, this.options.log, this.options.semantics);
          this.nextRunCreationAt = now + this.options.loopIntervalMs;
        }
        const stats = await this.loop.tick(now);
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
    return this.lifecycle.stop(() => this.options.executor.stop());
  }
}
