/**
 * The scheduler's and the worker's metrics hooks: they turn service events into instruments of a
 * `MetricsRegistry` and keep the little local state `/health` answers from (last successful loop, poll and
 * heartbeat). In process only: recording never does I/O, except the scheduler's cached queue-depth read, which
 * follows each housekeeping round (never a `/metrics` request).
 *
 * Instruments (every name prefixed `dagbridge_`), documented in docs/inspection.md.
 */
import type { ServiceState } from '../lib/service-state.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { MetricsRegistry, type Counter, type Gauge, type Histogram } from '../lib/metrics.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { SchedulerMetricsEvent, SchedulerMetricsHook } from '../scheduler/scheduler-service.js';
import type { WorkerState } from '../ports/worker-registry.js';
import type { WorkerMetricsEvent, WorkerMetricsHook } from '../worker/worker-service.js';
import { startHealthServer, type HealthCheck, type HealthServer } from './health-server.js';

const seconds = (ms: number): number => ms / 1000;
const age = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

function serviceCheck(state: ServiceState): HealthCheck {
  return { name: 'service', ok: state === 'running', detail: `service is ${state}` };
}

function connectionCheck(name: string, status: string | null | undefined): HealthCheck | null {
  if (status === undefined) return null;
  // ioredis: 'ready' is connected; 'connect'/'reconnecting'/'end'/... are not usable right now.
  return { name, ok: status === 'ready', detail: status === null ? 'not connected' : `connection ${status}` };
}

/** Settings of the worker hook. */
export interface WorkerMetricsOptions {
  registry?: MetricsRegistry;
  /** The worker's lease: a heartbeat that has not succeeded for this long means the scheduler hands its tasks back. */
  leaseMs: number;
  /** A worker with a free slot that has not asked the queue for work for this long has stopped consuming. Default max(leaseMs, 30 s). */
  pollStaleMs?: number;
  /** The service's lifecycle state. */
  state: () => ServiceState;
  /** The Redis client's status (`ready` when connected), read locally. */
  redisStatus?: () => string | null;
  clock?: () => number;
}

/** Metrics and liveness of a worker. */
export class WorkerMetrics implements WorkerMetricsHook {
  readonly registry: MetricsRegistry;
  private readonly createdAt: number;
  private lastHeartbeatOkAt: number | null = null;
  private lastHeartbeatFailed = false;
  private lastPollAt: number | null = null;
  private reportedState: WorkerState | null = null;
  private slotsBusyNow = 0;
  private concurrency: number | null = null;
  private readonly messages: Counter;
  private readonly outcomes: Counter;
  private readonly durations: Histogram;
  private readonly enqueueToStart: Histogram;
  private readonly slotsBusy: Gauge;
  private readonly slotsTotal: Gauge;
  private readonly heartbeats: Counter;
  private readonly lastHeartbeat: Gauge;
  private readonly lastPoll: Gauge;

  constructor(private readonly options: WorkerMetricsOptions) {
    const r = (this.registry = options.registry ?? new MetricsRegistry());
    this.createdAt = (options.clock ?? Date.now)();
    this.messages = r.counter('dagbridge_worker_messages_total', 'Messages claimed by this worker, by queue and outcome (finished, not_started, handed_back, dead_lettered)', ['queue', 'outcome']);
    this.outcomes = r.counter('dagbridge_task_outcomes_total', 'Task attempts finished on this worker, by queue and resulting task-instance state', ['queue', 'state']);
    this.durations = r.histogram('dagbridge_task_duration_seconds', 'Duration of finished task attempts on this worker', ['queue']);
    this.enqueueToStart = r.histogram('dagbridge_task_enqueue_to_start_seconds', 'Time from enqueue (scheduler clock) to the start of the attempt (worker clock)', ['queue']);
    this.slotsBusy = r.gauge('dagbridge_worker_slots_busy', 'Task slots running a task, as of the last heartbeat');
    this.slotsTotal = r.gauge('dagbridge_worker_slots_total', 'Task slots of this worker (concurrency)');
    this.heartbeats = r.counter('dagbridge_worker_heartbeats_total', 'Heartbeats to PostgreSQL, by result (ok, failed)', ['result']);
    this.lastHeartbeat = r.gauge('dagbridge_worker_last_heartbeat_timestamp_seconds', 'Unix time of the last successful heartbeat');
    this.lastPoll = r.gauge('dagbridge_worker_last_poll_timestamp_seconds', 'Unix time of the last successful claim call to the queue');
  }

  record(event: WorkerMetricsEvent): void {
    switch (event.kind) {
      case 'poll':
        this.lastPollAt = event.at;
        this.lastPoll.set({}, seconds(event.at));
        return;
      case 'heartbeat':
        this.heartbeats.inc({ result: event.ok ? 'ok' : 'failed' });
        this.lastHeartbeatFailed = !event.ok;
        this.reportedState = event.state;
        this.slotsBusyNow = event.slotsBusy;
        this.concurrency = event.concurrency;
        this.slotsBusy.set({}, event.slotsBusy);
        this.slotsTotal.set({}, event.concurrency);
        if (event.ok) {
          this.lastHeartbeatOkAt = event.at;
          this.lastHeartbeat.set({}, seconds(event.at));
        }
        return;
      case 'message':
        this.messages.inc({ queue: event.queue, outcome: event.outcome });
        if (event.state !== null) this.outcomes.inc({ queue: event.queue, state: event.state });
        if (event.durationMs !== null) this.durations.observe({ queue: event.queue }, seconds(event.durationMs));
        if (event.enqueueToStartMs !== null) this.enqueueToStart.observe({ queue: event.queue }, Math.max(0, seconds(event.enqueueToStartMs)));
        return;
    }
  }

  /** The checks of `/health`, from local state only. */
  health(now: number): HealthCheck[] {
    const checks: HealthCheck[] = [serviceCheck(this.options.state())];
    const beatAge = now - (this.lastHeartbeatOkAt ?? this.createdAt);
    checks.push({
      name: 'heartbeat',
      ok: beatAge <= this.options.leaseMs,
      detail: this.lastHeartbeatOkAt === null
        ? `no successful heartbeat yet (started ${age(beatAge)} ago, lease ${age(this.options.leaseMs)})`
        : `last successful heartbeat ${age(beatAge)} ago (lease ${age(this.options.leaseMs)})${this.lastHeartbeatFailed ? '; the last one failed' : ''}`,
    });
    // Only a worker that should be asking for work (running, not draining, a free slot) can be "not consuming".
    const shouldPoll = this.reportedState === 'running' && (this.concurrency === null || this.slotsBusyNow < this.concurrency);
    const pollStaleMs = this.options.pollStaleMs ?? Math.max(this.options.leaseMs, 30_000);
    const pollAge = now - (this.lastPollAt ?? this.createdAt);
    checks.push({
      name: 'poll',
      ok: !shouldPoll || pollAge <= pollStaleMs,
      detail: shouldPoll
        ? `${this.lastPollAt === null ? 'no successful poll yet' : `last successful poll ${age(pollAge)} ago`} (stale after ${age(pollStaleMs)})`
        : `not polling: ${this.reportedState === null ? 'no heartbeat yet' : this.reportedState === 'running' ? 'every slot is busy' : `worker is ${this.reportedState}`}`,
    });
    const redis = connectionCheck('redis', this.options.redisStatus?.());
    if (redis) checks.push(redis);
    return checks;
  }
}

/** Settings of the scheduler hook. */
export interface SchedulerMetricsOptions {
  registry?: MetricsRegistry;
  /** The queue whose depths are read after each housekeeping round (cached for `/metrics`). */
  queue?: TaskQueue;
  /** A scheduler whose last successful iteration is older than this is not live. Default 120 s. */
  staleAfterMs?: number;
  state: () => ServiceState;
  redisStatus?: () => string | null;
  log?: Logger;
  clock?: () => number;
}

/** Metrics and liveness of a scheduler. */
export class SchedulerMetrics implements SchedulerMetricsHook {
  readonly registry: MetricsRegistry;
  private readonly createdAt: number;
  private lastOkAt: number | null = null;
  private lastError: string | null = null;
  private statsReading: Promise<void> | null = null;
  private readonly iterations: Counter;
  private readonly iterationDuration: Histogram;
  private readonly queued: Counter;
  private readonly changes: Counter;
  private readonly runsFinished: Counter;
  private readonly lastIteration: Gauge;
  private readonly repairs: Counter;
  private readonly depth: Gauge;
  private readonly oldestAge: Gauge;
  private readonly statsAt: Gauge;

  constructor(private readonly options: SchedulerMetricsOptions) {
    const r = (this.registry = options.registry ?? new MetricsRegistry());
    this.createdAt = (options.clock ?? Date.now)();
    this.iterations = r.counter('dagbridge_scheduler_iterations_total', 'Scheduler loop iterations, by result (ok, failed)', ['result']);
    this.iterationDuration = r.histogram('dagbridge_scheduler_iteration_duration_seconds', 'Duration of one scheduler iteration (parse, runs, decisions, admission, housekeeping)');
    this.queued = r.counter('dagbridge_scheduler_task_instances_queued_total', 'Task instances moved scheduled -> queued and handed to the executor');
    this.changes = r.counter('dagbridge_scheduler_changes_applied_total', 'Task-instance changes applied by the scheduler (compare-and-set won)');
    this.runsFinished = r.counter('dagbridge_dag_runs_finished_total', 'DAG runs finished by this scheduler, by state', ['state']);
    this.lastIteration = r.gauge('dagbridge_scheduler_last_iteration_timestamp_seconds', 'Unix time of the last successful iteration');
    this.repairs = r.counter('dagbridge_housekeeping_repairs_total', 'Housekeeping repairs, by kind (leases_requeued, dead_lettered, handed_back, failed_lost, reenqueued)', ['repair']);
    this.depth = r.gauge('dagbridge_queue_messages', 'Messages per queue and kind (ready, in_flight, dead_lettered), read after the last housekeeping round', ['queue', 'kind']);
    this.oldestAge = r.gauge('dagbridge_queue_oldest_ready_age_seconds', 'Age of the oldest ready message per queue, read after the last housekeeping round', ['queue']);
    this.statsAt = r.gauge('dagbridge_queue_stats_timestamp_seconds', 'Unix time of the last queue-depth read');
  }

  record(event: SchedulerMetricsEvent): void {
    if (event.kind === 'housekeeping') {
      for (const [repair, count] of Object.entries({
        leases_requeued: event.report.leasesRequeued,
        dead_lettered: event.report.deadLettered,
        handed_back: event.report.handedBack,
        failed_lost: event.report.failedLost,
        reenqueued: event.report.reenqueued,
      })) this.repairs.inc({ repair }, count);
      this.refreshQueueStats(event.at);
      return;
    }
    this.iterations.inc({ result: event.ok ? 'ok' : 'failed' });
    this.iterationDuration.observe({}, seconds(event.durationMs));
    if (!event.ok) {
      this.lastError = event.error;
      return;
    }
    this.lastOkAt = event.at;
    this.lastError = null;
    this.lastIteration.set({}, seconds(event.at));
    this.queued.inc({}, event.stats.queued);
    this.changes.inc({}, event.stats.changesApplied);
    for (const run of event.stats.runsFinished) this.runsFinished.inc({ state: run.state });
  }

  /** Reads the queue depths once (never two reads at a time); the result is what `/metrics` shows. */
  private refreshQueueStats(at: number): void {
    const queue = this.options.queue;
    if (!queue || this.statsReading) return;
    this.statsReading = queue
      .stats()
      .then((stats) => {
        this.depth.replaceAll(stats.flatMap((s) => [
          { labels: { queue: s.queue, kind: 'ready' }, value: s.ready },
          { labels: { queue: s.queue, kind: 'in_flight' }, value: s.inFlight },
          { labels: { queue: s.queue, kind: 'dead_lettered' }, value: s.deadLettered },
        ]));
        this.oldestAge.replaceAll(stats.map((s) => ({ labels: { queue: s.queue }, value: s.oldestReadyAgeMs === null ? 0 : seconds(s.oldestReadyAgeMs) })));
        this.statsAt.set({}, seconds(at));
      })
      .catch((error: unknown) => this.options.log?.warn('could not read queue depths for /metrics', { error: errorMessage(error) }))
      .finally(() => {
        this.statsReading = null;
      });
  }

  /** Resolves when a queue-depth read in progress is over (tests, shutdown). */
  async settled(): Promise<void> {
    await this.statsReading;
  }

  /** The checks of `/health`, from local state only. */
  health(now: number): HealthCheck[] {
    const staleAfterMs = this.options.staleAfterMs ?? 120_000;
    const loopAge = now - (this.lastOkAt ?? this.createdAt);
    const checks: HealthCheck[] = [
      serviceCheck(this.options.state()),
      {
        name: 'loop',
        ok: loopAge <= staleAfterMs,
        detail: `${this.lastOkAt === null ? `no successful iteration yet (started ${age(loopAge)} ago)` : `last successful iteration ${age(loopAge)} ago`} (stale after ${age(staleAfterMs)})${this.lastError ? `; last error: ${this.lastError}` : ''}`,
      },
    ];
    const redis = connectionCheck('redis', this.options.redisStatus?.());
    if (redis) checks.push(redis);
    return checks;
  }
}

/**
 * Serves `/health` and `/metrics` of a hook on `where.host` (default 127.0.0.1) and `where.port`; null (nothing
 * served) when the port is null.
 */
export async function serveServiceHttp(
  where: { readonly port: number | null; readonly host?: string },
  service: string,
  hook: { readonly registry: MetricsRegistry; health(now: number): HealthCheck[] },
  log: Logger,
): Promise<HealthServer | null> {
  if (where.port === null) return null;
  return startHealthServer({ port: where.port, ...(where.host ? { host: where.host } : {}), service, health: (now) => hook.health(now), metrics: hook.registry, log });
}
