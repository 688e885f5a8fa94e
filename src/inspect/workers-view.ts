/**
 * Workers as the inspection commands show them, from the `workers` table alone (no worker is asked anything):
 * liveness by heartbeat age against the lease, eligibility per queue, and one row per worker. Pure.
 *
 * A worker is `lost` when its last heartbeat is older than the lease (the scheduler's housekeeping hands its
 * running tasks back at that point), `stopped` when it said so on its way out, otherwise what it reported
 * (`running`, `draining`, `stopping`, `unhealthy`: no queue satisfied).
 */
import type { RefusedQueue, WorkerAction, WorkerRecord, WorkerState } from '../ports/worker-registry.js';

/** How a worker is shown: what it reported, unless its heartbeat is too old. */
export type WorkerDisplayState = WorkerState | 'lost';

/** A worker's state for people and scripts. */
export function workerDisplayState(worker: WorkerRecord, now: number, leaseMs: number): WorkerDisplayState {
  if (worker.state === 'stopped') return 'stopped';
  return now - worker.lastHeartbeatAt > leaseMs ? 'lost' : worker.state;
}

/** True when the worker's heartbeat is fresh and it has not stopped. */
export function isAlive(worker: WorkerRecord, now: number, leaseMs: number): boolean {
  const state = workerDisplayState(worker, now, leaseMs);
  return state !== 'lost' && state !== 'stopped';
}

/**
 * Why a worker does not claim from `queue` now, or null when it does (it is eligible): alive, serving the queue,
 * claiming (state `running` or `starting`) and not asked to drain or stop.
 */
export function ineligibility(worker: WorkerRecord, queue: string, now: number, leaseMs: number): string | null {
  const refused = worker.refused.find((r) => r.queue === queue);
  if (!refused && !worker.queues.includes(queue)) return 'does not serve it';
  const state = workerDisplayState(worker, now, leaseMs);
  if (state === 'stopped') return 'is stopped';
  if (state === 'lost') return `is lost (last heartbeat ${Math.round((now - worker.lastHeartbeatAt) / 1000)}s ago)`;
  if (refused) return `refuses it: ${refused.reasons.map((reason) => stripQueuePrefix(reason, queue)).join('; ')}`;
  if (state !== 'running' && state !== 'starting') return `serves it but is ${state}`;
  if (worker.requestedAction === 'drain') return 'serves it but was asked to drain';
  if (worker.requestedAction === 'shutdown' || worker.requestedAction === 'cold_shutdown') return 'serves it but was asked to shut down';
  return null;
}

/** Manifest reasons read `queue aws: boto3>=1.26 is missing`; under a queue's own heading the prefix is noise. */
export function stripQueuePrefix(reason: string, queue: string): string {
  const prefix = `queue ${queue}: `;
  return reason.startsWith(prefix) ? reason.slice(prefix.length) : reason;
}

/** The ids of the workers eligible for `queue`, sorted. */
export function eligibleWorkers(workers: readonly WorkerRecord[], queue: string, now: number, leaseMs: number): string[] {
  return workers.filter((w) => ineligibility(w, queue, now, leaseMs) === null).map((w) => w.workerId).sort();
}

/** One row of `dagbridge workers list`. Ages in ms (null when never). */
export interface WorkerRow {
  workerId: string;
  hostname: string;
  pid: number | null;
  state: WorkerDisplayState;
  /** What the worker itself last reported (differs from `state` when lost). */
  reportedState: WorkerState;
  queues: string[];
  refused: RefusedQueue[];
  slotsBusy: number;
  concurrency: number;
  lastHeartbeatAt: number;
  heartbeatAgeMs: number;
  lastPollAt: number | null;
  pollAgeMs: number | null;
  version: string;
  startedAt: number;
  requestedAction: WorkerAction | null;
  manifestHash: string | null;
}

/** The rows of `workers list`, sorted by worker id. */
export function workerRows(workers: readonly WorkerRecord[], now: number, leaseMs: number): WorkerRow[] {
  return [...workers]
    .sort((a, b) => (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0))
    .map((w) => ({
      workerId: w.workerId,
      hostname: w.hostname,
      pid: w.pid,
      state: workerDisplayState(w, now, leaseMs),
      reportedState: w.state,
      queues: [...w.queues],
      refused: w.refused.map((r) => ({ queue: r.queue, reasons: [...r.reasons] })),
      slotsBusy: w.slotsBusy,
      concurrency: w.concurrency,
      lastHeartbeatAt: w.lastHeartbeatAt,
      heartbeatAgeMs: now - w.lastHeartbeatAt,
      lastPollAt: w.lastPollAt,
      pollAgeMs: w.lastPollAt === null ? null : now - w.lastPollAt,
      version: w.version,
      startedAt: w.startedAt,
      requestedAction: w.requestedAction,
      manifestHash: w.manifestHash,
    }));
}
