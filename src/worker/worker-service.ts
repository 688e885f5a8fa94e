/**
 * `dagbridge worker`: registers, heartbeats, and claims one task per free slot (no prefetch; all free slots in one
 * round trip) from the queues it serves, running each through the shared attempt code (compare-and-set start, subprocess, recorded outcome).
 *
 * Delivery: the queue is at-least-once; `startTry` in PostgreSQL is the exactly-once gate. Whatever the attempt
 * reports (started and finished, refused as stale/duplicate, handed back), the message is acknowledged after,
 * so a message is never lost before its outcome is recorded and never kept after.
 *
 * A store outage: start-up waits for PostgreSQL (registering, with backoff, logging what it waits for). When a
 * claimed message's `startTry` fails because PostgreSQL is unreachable, the message goes back to its queue at
 * once, its delivery uncounted (it never started), and claiming pauses until the store answers a heartbeat
 * again: a worker with free slots never drains the ready queue into leases it cannot use.
 *
 * Shutdown (SIGTERM, or `workers shutdown`): stop claiming, let running tasks finish within the grace period;
 * then (or on a second signal / cold shutdown) abort them: their process groups are killed and their task
 * instances handed back for another worker.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { ServiceLifecycle, type ServiceState, type Subscribe } from '../lib/service-state.js';
import { errorMessage } from '../lib/errors.js';
import { waitForStore } from '../lib/retry.js';
import { isUnreachable } from '../lib/unreachable.js';
import type { Logger } from '../lib/logger.js';
import { VERSION } from '../lib/version.js';
import type { ClaimedMessage, TaskQueue } from '../ports/task-queue.js';
import { parseTaskMessage } from '../ports/task-message.js';
import type { MetadataStore, TaskInstanceKey, TaskInstanceRecord } from '../ports/metadata-store.js';
import { runAttempt, TaskInstanceChanged, type AttemptContext } from './attempt.js';
import { defaultAttemptBase, prepareAttemptBase } from './attempt-dirs.js';
import { withManifestEnv, type ManifestWatch, type QueueVerdict } from './manifest-gate.js';
import type { WorkerRecord, WorkerRegistry, WorkerState } from '../ports/worker-registry.js';

import type { TaskInstanceState } from '../dag/states.js';

/**
 * What the worker reports to an optional metrics hook (`/metrics` and `/health`, see src/http/service-metrics.ts).
 * `message`: one per claimed message, once its outcome is known (`enqueueToStartMs` is measured on this worker's
 * clock against the scheduler's `enqueuedAt`, so it includes clock skew between the two machines).
 */
export type WorkerMetricsEvent =
  | { kind: 'poll'; at: number }
  | { kind: 'heartbeat'; ok: boolean; at: number; state: WorkerState; slotsBusy: number; concurrency: number }
  | {
      kind: 'message';
      queue: string;
      outcome: 'finished' | 'not_started' | 'handed_back' | 'dead_lettered';
      state: TaskInstanceState | null;
      durationMs: number | null;
      enqueueToStartMs: number | null;
    };

/** Receives worker events; implementations must not throw and must not block (in-process counters only). */
export interface WorkerMetricsHook {
  record(event: WorkerMetricsEvent): void;
}

/** Settings and collaborators of a worker. */
export interface WorkerServiceOptions {
  workerId: string;
  store: MetadataStore & WorkerRegistry;
  queue: TaskQueue;
  /** Which queues this worker serves, from the manifest verification at start. */
  verdict: QueueVerdict;
  /**
   * Follows the manifest published through PostgreSQL: checked with the heartbeat, and for every message queued
   * under another manifest hash; the environment is verified again before anything runs under it.
   */
  manifestWatch?: ManifestWatch;
  concurrency: number;
  leaseMs: number;
  heartbeatMs: number;
  shutdownGraceMs: number;
  /** How long an idle worker waits before asking the queue again when no wake-up signal arrives. */
  idlePollMs?: number;
  attempt: Omit<AttemptContext, 'store' | 'identity' | 'log'>;
  log: Logger;
  /** Subscribes to "work was enqueued" signals; returns an unsubscribe function. */
  subscribeToWork?: Subscribe;
  /** Optional metrics/health hook (`--http-port`). */
  metrics?: WorkerMetricsHook;
}

interface Running {
  message: ClaimedMessage;
  controller: AbortController;
  startedAt: number;
  done: Promise<void>;
  /** The task instance and try, once the message is parsed. */
  attempt?: { key: TaskInstanceKey; tryNumber: number };
}

/** A running worker. */
export class WorkerService {
  private readonly lifecycle: ServiceLifecycle;
  private readonly running = new Map<string, Running>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private draining = false;
  private lastPollAt: number | null = null;
  private readonly context: AttemptContext;
  /** The queues served now; replaced when the manifest changes and is verified again. */
  private verdict: QueueVerdict;
  private nextManifestCheckAt = 0;
  private verifying: Promise<void> | null = null;
  /** Set while PostgreSQL is unreachable (a failed startTry or heartbeat): nothing is claimed until it answers. */
  private storeUnreachableSince: number | null = null;
  /** Messages handled, by outcome (metrics, tests). */
  readonly counts = { started: 0, duplicates: 0, deadLettered: 0, handedBack: 0, finished: 0 };

  constructor(private readonly options: WorkerServiceOptions) {
    this.lifecycle = new ServiceLifecycle(`worker ${options.workerId}`);
    this.verdict = options.verdict;
    this.context = {
      ...options.attempt,
      store: options.store,
      identity: { workerId: options.workerId, hostname: hostname(), pid: process.pid },
      log: options.log,
    };
  }

  get state(): ServiceState {
    return this.lifecycle.state;
  }

  /** Tasks running now: message id -> elapsed ms. */
  runningTasks(now = Date.now()): Array<{ id: string; payload: string; elapsedMs: number }> {
    return [...this.running.values()].map((r) => ({ id: r.message.id, payload: r.message.payload, elapsedMs: now - r.startedAt }));
  }

  private record(state: WorkerState, now: number): WorkerRecord {
    return {
      workerId: this.options.workerId,
      hostname: this.context.identity.hostname,
      pid: process.pid,
      queues: this.verdict.served,
      refused: this.verdict.refused,
      concurrency: this.options.concurrency,
      slotsBusy: this.running.size,
      version: VERSION,
      state,
      startedAt: now,
      lastHeartbeatAt: now,
      lastPollAt: this.lastPollAt,
      manifestHash: this.verdict.manifestHash,
      manifestReport: this.verdict.report,
      requestedAction: null,
    };
  }

  private reportedState(): WorkerState {
    if (this.lifecycle.state === 'stopping') return 'stopping';
    if (this.draining) return 'draining';
    return this.verdict.served.length === 0 ? 'unhealthy' : 'running';
  }

  /** Registers (waiting for PostgreSQL while it is unreachable) and starts claiming. */
  async start(): Promise<void> {
    this.lifecycle.assertIdle();
    // Attempt directories a SIGKILLed worker of this user left on this host go now, not at the first claim; a
    // base another user could tamper with stops the worker here, before it takes any work.
    const base = path.resolve(this.options.attempt.workBaseDir ?? defaultAttemptBase());
    const swept = await prepareAttemptBase(base, { traversable: (this.options.attempt.runAsUsers ?? []).length > 0 });
    if (swept.length > 0) this.options.log.info('removed attempt directories of workers that are gone', { base, count: swept.length });
    await waitForStore(`register worker ${this.options.workerId}`, () => this.options.store.registerWorker(this.record(this.verdict.served.length === 0 ? 'unhealthy' : 'running', Date.now())), this.options.log);
    await this.lifecycle.begin(this.options.subscribeToWork);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
    this.lifecycle.runLoop(() => this.claimLoop());
    this.options.log.info('worker started', { workerId: this.options.workerId, queues: this.verdict.served.join(','), concurrency: this.options.concurrency });
  }

  private async claimLoop(): Promise<void> {
    let idle = 0;
    while (this.lifecycle.isRunning) {
      if (this.draining || this.verdict.served.length === 0 || this.running.size >= this.options.concurrency) {
        await this.lifecycle.wakeup.wait(1_000, this.lifecycle.signal);
        continue;
      }
      if (this.storeUnreachableSince !== null) {
        // Paused: the heartbeat (on its timer, and here after each wait) clears the flag once the store answers.
        await this.lifecycle.wakeup.wait(Math.min(5_000, 200 * 2 ** Math.min(idle++, 5)), this.lifecycle.signal);
        if (this.lifecycle.isRunning) await this.heartbeat();
        continue;
      }
      let messages: ClaimedMessage[];
      try {
        // As many as there are free slots, in one round trip: never more (no prefetch).
        const free = this.options.concurrency - this.running.size;
        messages = await this.options.queue.claimMany(this.options.workerId, this.verdict.served, this.options.leaseMs, free);
        this.lastPollAt = Date.now();
        this.options.metrics?.record({ kind: 'poll', at: this.lastPollAt });
      } catch (error) {
        this.options.log.warn('could not claim from the queue; retrying', { error: errorMessage(error) });
        await this.lifecycle.wakeup.wait(Math.min(5_000, 200 * 2 ** Math.min(idle++, 5)), this.lifecycle.signal);
        continue;
      }
      if (messages.length === 0) {
        // Idle: a wake-up signal (work enqueued, a slot freed) ends the wait early.
        await this.lifecycle.wakeup.wait(this.options.idlePollMs ?? 1_000, this.lifecycle.signal);
        continue;
      }
      idle = 0;
      for (const message of messages) this.handle(message);
    }
  }

  private handle(message: ClaimedMessage): void {
    const controller = new AbortController();
    const entry: Running = { message, controller, startedAt: Date.now(), done: Promise.resolve() };
    this.running.set(message.id, entry);
    entry.done = this.process(message, controller.signal)
      .catch((error: unknown) => {
        // The store or queue failed mid-attempt: the lease runs out and the scheduler hands the task back.
        this.options.log.error('task attempt failed in the worker', { messageId: message.id, error: errorMessage(error) });
      })
      .finally(() => {
        this.running.delete(message.id);
        this.lifecycle.wakeup.notify();
      });
  }

  private async process(message: ClaimedMessage, signal: AbortSignal): Promise<void> {
    const { queue, log, workerId } = { queue: this.options.queue, log: this.options.log, workerId: this.options.workerId };
    let parsed;
    try {
      parsed = parseTaskMessage(message.payload);
    } catch (error) {
      const reason = errorMessage(error);
      await queue.deadLetter(message.queue, message.payload, reason, { workerId, id: message.id });
      this.counts.deadLettered += 1;
      this.options.metrics?.record({ kind: 'message', queue: message.queue, outcome: 'dead_lettered', state: null, durationMs: null, enqueueToStartMs: null });
      log.warn('malformed message dead-lettered', { messageId: message.id, queue: message.queue, reason });
      return;
    }
    if (parsed.manifestHash !== null && this.options.manifestWatch && parsed.manifestHash !== this.verdict.manifestHash) {
      // Queued under a manifest this worker has not verified: verify before running anything under it.
      await this.adoptManifest(parsed.manifestHash);
    }
    if (!this.verdict.served.includes(message.queue)) {
      await queue.release(workerId, message.id);
      log.warn('released a message of a queue this environment no longer satisfies', {
        messageId: message.id, queue: message.queue, reasons: this.verdict.refused.find((r) => r.queue === message.queue)?.reasons.join('; ') ?? '',
      });
      return;
    }
    const key = { dagId: parsed.dagId, runId: parsed.runId, taskId: parsed.taskId, mapIndex: parsed.mapIndex };
    const running = this.running.get(message.id);
    if (running) running.attempt = { key, tryNumber: parsed.tryNumber };
    const pickedUpAt = Date.now();
    let startFailed = false;
    const store = failureWatchedStartTry(this.context.store, () => (startFailed = true));
    let report;
    try {
      report = await runAttempt({ ...this.context, store, env: withManifestEnv(this.context.env, this.verdict) }, key, parsed.tryNumber, signal);
    } catch (error) {
      if (!startFailed || !isUnreachable(error)) throw error;
      // Nothing started: hand the message back now rather than let it sit out its lease, and stop claiming.
      this.storeUnreachable(error);
      const released = await queue.release(workerId, message.id, { uncountDelivery: true });
      log.warn('PostgreSQL is unreachable: released the message without counting a delivery', { messageId: message.id, released });
      return;
    }
    this.options.metrics?.record({
      kind: 'message', queue: message.queue, outcome: report.status,
      state: report.status === 'finished' ? report.state : null,
      durationMs: report.status === 'finished' ? report.durationMs : null,
      enqueueToStartMs: report.status === 'not_started' ? null : pickedUpAt - parsed.enqueuedAt,
    });
    if (report.status === 'not_started') {
      this.counts.duplicates += 1;
      log.info('dropping a duplicate or stale message', { messageId: message.id, reason: report.reason });
    } else if (report.status === 'handed_back') {
      this.counts.handedBack += 1;
    } else {
      this.counts.finished += 1;
    }
    if (report.status !== 'not_started') this.counts.started += 1;
    if (!(await queue.ack(workerId, message.id))) {
      log.warn('message was no longer held at ack (lease expired and reaped); the outcome is recorded in PostgreSQL', { messageId: message.id });
    }
  }

  /** Verifies the environment against the manifest with `hash` and serves the queues it satisfies. */
  private adoptManifest(hash: string): Promise<void> {
    const watch = this.options.manifestWatch;
    if (!watch) return Promise.resolve();
    this.verifying ??= (async () => {
      try {
        if (hash === this.verdict.manifestHash) return;
        const before = this.verdict.served.join(',');
        this.verdict = await watch.verify(hash);
        this.options.log.info('verified the environment against a new manifest', {
          manifestHash: hash.slice(0, 12), served: this.verdict.served.join(','), before,
          refused: this.verdict.refused.map((r) => `${r.queue}: ${r.reasons.join('; ')}`).join(' | '),
        });
        this.lifecycle.wakeup.notify();
      } catch (error) {
        this.options.log.error('could not verify the environment against the new manifest; keeping the previous verification', { error: errorMessage(error) });
      } finally {
        this.verifying = null;
      }
    })();
    return this.verifying;
  }

  private async checkPublishedManifest(now: number): Promise<void> {
    const watch = this.options.manifestWatch;
    if (!watch || now < this.nextManifestCheckAt) return;
    this.nextManifestCheckAt = now + (watch.intervalMs ?? 10_000);
    const current = await watch.currentHash();
    if (current !== null && current !== this.verdict.manifestHash) await this.adoptManifest(current);
  }

  private async heartbeat(): Promise<void> {
    if (this.lifecycle.state !== 'running' && this.lifecycle.state !== 'stopping') return;
    await this.checkPublishedManifest(Date.now()).catch((error: unknown) => this.options.log.warn('could not read the published manifest', { error: errorMessage(error) }));
    const ids = [...this.running.keys()];
    try {
      if (ids.length > 0) {
        const renewed = await this.options.queue.renew(this.options.workerId, ids, this.options.leaseMs);
        for (const id of renewed.lost) {
          // PostgreSQL still says this worker runs the task; another worker's start is refused by the CAS.
          this.options.log.warn('lease lost for a running task; it keeps running here', { messageId: id });
        }
      }
      await this.stopChangedAttempts();
      const { requestedAction } = await this.heartbeatWorker();
      this.storeAnswered();
      this.options.metrics?.record({ kind: 'heartbeat', ok: true, at: Date.now(), state: this.reportedState(), slotsBusy: this.running.size, concurrency: this.options.concurrency });
      if (requestedAction === 'drain' && !this.draining) {
        this.draining = true;
        this.options.log.info('draining: finishing running tasks, claiming no more');
      } else if (requestedAction === null && this.draining && this.lifecycle.isRunning) {
        this.draining = false;
      } else if (requestedAction === 'shutdown' || requestedAction === 'cold_shutdown') {
        void this.stop({ cold: requestedAction === 'cold_shutdown' });
      }
    } catch (error) {
      if (isUnreachable(error)) this.storeUnreachable(error);
      this.options.metrics?.record({ kind: 'heartbeat', ok: false, at: Date.now(), state: this.reportedState(), slotsBusy: this.running.size, concurrency: this.options.concurrency });
      this.options.log.warn('heartbeat failed; retrying', { error: errorMessage(error) });
    }
  }

  /**
   * Ends the attempts whose task instance was set to another state while they ran (marked success or failed,
   * cleared, handed to another try), as Airflow's task heartbeat does ("State of this instance has been
   * externally set to ... Terminating instance."): their outcome could no longer be recorded, and a cleared
   * task would otherwise run twice at once. Before its `startTry` an attempt's instance is still `queued`.
   */
  private async stopChangedAttempts(): Promise<void> {
    const attempts = [...this.running.values()].filter((entry) => entry.attempt && !entry.controller.signal.aborted);
    await Promise.all(attempts.map(async (entry) => {
      const { key, tryNumber } = entry.attempt as NonNullable<Running['attempt']>;
      const ti = await this.options.store.getTaskInstance(key);
      const reason = externalChange(ti, tryNumber);
      if (reason === null) return;
      this.options.log.warn(reason, { dagId: key.dagId, runId: key.runId, taskId: key.taskId, mapIndex: key.mapIndex, tryNumber });
      entry.controller.abort(new TaskInstanceChanged(reason));
    }));
  }

  private heartbeatWorker(): Promise<{ requestedAction: WorkerRecord['requestedAction'] }> {
    return this.options.store.heartbeatWorker(this.options.workerId, {
        slotsBusy: this.running.size,
        lastPollAt: this.lastPollAt,
        state: this.reportedState(),
        queues: this.verdict.served,
        refused: this.verdict.refused,
        manifestHash: this.verdict.manifestHash,
        manifestReport: this.verdict.report,
    }, Date.now());
  }

  private storeUnreachable(error: unknown): void {
    if (this.storeUnreachableSince !== null) return;
    this.storeUnreachableSince = Date.now();
    this.options.log.warn('PostgreSQL is unreachable: pausing claims until it answers', { error: errorMessage(error) });
  }

  private storeAnswered(): void {
    if (this.storeUnreachableSince === null) return;
    this.options.log.info('PostgreSQL answers again: claiming again', { pausedMs: Date.now() - this.storeUnreachableSince });
    this.storeUnreachableSince = null;
    this.lifecycle.wakeup.notify();
  }

  /** Aborts every running task now (second signal or grace expired): they are handed back for another worker. */
  abortRunning(reason = 'worker stopping'): void {
    for (const entry of this.running.values()) entry.controller.abort(new Error(reason));
  }

  /** Resolves once the service has stopped (by `stop()` from any caller). */
  whenStopped(): Promise<void> {
    return this.lifecycle.whenStopped();
  }

  /**
   * Stops: no more claims; running tasks get `shutdownGraceMs` (0 with `cold`) to finish, then are aborted and
   * handed back. Idempotent: every call returns the same promise.
   */
  stop(options: { cold?: boolean } = {}): Promise<void> {
    if (options.cold) this.abortRunning('cold shutdown');
    return this.lifecycle.stop(async () => {
      const all = Promise.allSettled([...this.running.values()].map((r) => r.done));
      const grace = options.cold ? 0 : this.options.shutdownGraceMs;
      const timer = setTimeout(() => this.abortRunning('shutdown grace period expired'), grace);
      await all;
      clearTimeout(timer);
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      try {
        await this.options.store.heartbeatWorker(this.options.workerId, {
          slotsBusy: 0, lastPollAt: this.lastPollAt, state: 'stopped', queues: this.verdict.served, refused: this.verdict.refused,
          manifestHash: this.verdict.manifestHash, manifestReport: this.verdict.report,
        }, Date.now());
      } catch (error) {
        this.options.log.warn('could not record the worker as stopped', { error: errorMessage(error) });
      }
      this.options.log.info('worker stopped', { workerId: this.options.workerId });
    });
  }
}

/**
 * The same store with `startTry` reporting its failures to `onFailure`: the worker tells "the try never started
 * because the store was unreachable" (hand the message back) from failures after the start.
 */
function failureWatchedStartTry<S extends MetadataStore>(store: S, onFailure: () => void): S {
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (prop !== 'startTry') return (value as (...args: unknown[]) => unknown).bind(target);
      return async (...args: Parameters<MetadataStore['startTry']>) => {
        try {
          return await target.startTry(...args);
        } catch (error) {
          onFailure();
          throw error;
        }
      };
    },
  });
}

/**
 * Why an attempt of try `tryNumber` must stop, given its task instance as stored now, or null while the
 * instance is still the attempt's (running or, before the attempt's start, queued on that try).
 */
export function externalChange(ti: Pick<TaskInstanceRecord, 'state' | 'tryNumber'> | null, tryNumber: number): string | null {
  if (ti === null) return 'The task instance no longer exists (its run was deleted). Terminating instance.';
  if (ti.tryNumber === tryNumber && (ti.state === 'running' || ti.state === 'queued')) return null;
  const other = ti.tryNumber === tryNumber ? '' : ` on try ${ti.tryNumber}`;
  return `State of this instance has been externally set to ${ti.state}${other}. Terminating instance.`;
}
