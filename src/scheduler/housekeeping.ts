/**
 * The scheduler's repairs, run every few seconds in cluster mode. Each one restores an invariant without
 * trusting Redis:
 *
 * 1. Expired leases (a worker died holding a message) go back to their queue; a message delivered more than
 *    `maxDeliveries` times is dead-lettered and its try failed with the reason.
 * 2. A `running` task instance whose worker stopped heartbeating (killed, machine gone) is handed back: a new
 *    try that does not count against retries, at most `maxDeliveries` times, then failed.
 * 3. A `queued` task instance whose message is gone (Redis flushed, message dead-lettered) is enqueued again;
 *    enqueueing is idempotent per try.
 */
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { parseTaskMessageId, taskMessageId } from '../ports/message-id.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { Executor } from '../ports/executor.js';
import type { WorkerRecord, WorkerRegistry } from '../ports/worker-registry.js';
import type { MetadataStore, TaskInstanceRecord } from '../ports/metadata-store.js';

/** Settings of the repairs. */
export interface HousekeepingOptions {
  store: MetadataStore & WorkerRegistry;
  queue: TaskQueue;
  executor: Executor;
  log: Logger;
  maxDeliveries: number;
  /** A worker whose last heartbeat is older than this is lost. */
  workerTimeoutMs: number;
  /** A queued instance younger than this is not checked for its message (it is being enqueued). */
  queuedGraceMs: number;
  /** Look for lost workers (off right after the scheduler's own outage). Default true. */
  checkLostWorkers?: boolean;
}

/** What one round repaired. */
export interface HousekeepingReport {
  leasesRequeued: number;
  deadLettered: number;
  handedBack: number;
  failedLost: number;
  reenqueued: number;
  /** Queues with waiting work that no live worker serves, and why (the workers' manifest refusals). */
  unserved: UnservedQueue[];
}

/** A queue that has queued task instances but no live worker serving it. */
export interface UnservedQueue {
  queue: string;
  waiting: number;
  /** "queue aws: boto3>=1.26 is missing (worker w2)"; empty when no worker even asked for the queue. */
  reasons: string[];
}

/**
 * Queues whose queued task instances no live worker serves: the user sees "queue aws: no worker has
 * boto3>=1.26" instead of tasks sitting in queued. Pure.
 */
export function unservedQueues(queued: readonly Pick<TaskInstanceRecord, 'queue'>[], workers: readonly WorkerRecord[], now: number, workerTimeoutMs: number): UnservedQueue[] {
  const live = workers.filter((w) => w.state !== 'stopped' && now - w.lastHeartbeatAt <= workerTimeoutMs);
  const waiting = new Map<string, number>();
  for (const ti of queued) waiting.set(ti.queue, (waiting.get(ti.queue) ?? 0) + 1);
  const out: UnservedQueue[] = [];
  for (const [queue, count] of [...waiting].sort(([a], [b]) => a.localeCompare(b))) {
    if (live.some((w) => w.queues.includes(queue) && w.state !== 'draining')) continue;
    const reasons = live.flatMap((w) => (w.refused.find((r) => r.queue === queue)?.reasons ?? []).map((reason) => `${reason} (worker ${w.workerId})`));
    out.push({ queue, waiting: count, reasons });
  }
  return out;
}

async function failTry(options: HousekeepingOptions, ti: TaskInstanceRecord, from: 'queued' | 'running', note: string, now: number): Promise<boolean> {
  const run = await options.store.getDagRun(ti);
  if (!run) return false;
  const spec = await options.store.getDagVersion(run.dagId, run.versionHash);
  if (!spec) return false;
  const applied = await options.store.applyChanges(run, spec, [{ kind: 'transition', taskId: ti.taskId, mapIndex: ti.mapIndex, from, to: 'failed', note }], now);
  return applied.length === 1;
}

/** One round of repairs. */
export async function housekeeping(options: HousekeepingOptions, now: number): Promise<HousekeepingReport> {
  const report: HousekeepingReport = { leasesRequeued: 0, deadLettered: 0, handedBack: 0, failedLost: 0, reenqueued: 0, unserved: [] };
  const { store, queue, log } = options;

  // 1. Leases.
  try {
    for (let batch = 0; batch < 20; batch++) {
      const reaped = await queue.reapExpired({ maxDeliveries: options.maxDeliveries });
      report.leasesRequeued += reaped.requeued.length;
      for (const dead of reaped.deadLettered) {
        report.deadLettered += 1;
        const key = dead.id ? parseTaskMessageId(dead.id) : null;
        if (!key) continue;
        const ti = await store.getTaskInstance(key);
        if (ti && ti.tryNumber === key.tryNumber && (ti.state === 'queued' || ti.state === 'running')) {
          await failTry(options, ti, ti.state, `message dead-lettered: ${dead.reason}`, now);
          log.warn('task failed: its message was delivered too many times', { dagId: key.dagId, runId: key.runId, taskId: key.taskId, reason: dead.reason });
        }
      }
      if (reaped.requeued.length + reaped.deadLettered.length < 500) break;
    }
  } catch (error) {
    log.warn('could not reap expired leases', { error: errorMessage(error) });
  }

  // 2. Lost workers.
  const workers = new Map((await store.listWorkers()).map((w) => [w.workerId, w]));
  for (const ti of options.checkLostWorkers === false ? [] : await store.listRunning()) {
    const worker = ti.workerId ? workers.get(ti.workerId) : undefined;
    const lost = !worker || worker.state === 'stopped' || now - worker.lastHeartbeatAt > options.workerTimeoutMs;
    if (!lost) continue;
    const handbacks = await store.countHandBacks(ti);
    const why = worker ? `worker ${worker.workerId} on ${worker.hostname} stopped heartbeating` : `worker ${ti.workerId ?? '?'} is unknown`;
    if (handbacks >= options.maxDeliveries) {
      if (await failTry(options, ti, 'running', `${why}; handed back ${handbacks} times already`, now)) report.failedLost += 1;
      continue;
    }
    if (await store.requeueTry(ti, ti.tryNumber, 'running', `handed back: ${why}`, now)) {
      report.handedBack += 1;
      await queue.remove(taskMessageId({ ...ti, tryNumber: ti.tryNumber })).catch(() => false);
      log.warn('task handed back: its worker is lost', { dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, tryNumber: ti.tryNumber, worker: ti.workerId });
    }
  }

  // Workers gone for a day leave the table (their tries' history keeps their ids).
  await store.pruneWorkers(now - 24 * 60 * 60 * 1000).catch((error: unknown) => log.warn('could not prune old workers', { error: errorMessage(error) }));

  // 3. Queued without a message; queues nobody serves.
  try {
    const present = new Set((await queue.messageIds()).flatMap((q) => [...q.ready, ...q.inFlight]));
    const queued = await store.listQueued();
    report.unserved = unservedQueues(queued.filter((ti) => (ti.queuedAt ?? 0) < now - options.queuedGraceMs), [...workers.values()], now, options.workerTimeoutMs);
    const missing = queued.filter(
      (ti) => (ti.queuedAt ?? 0) < now - options.queuedGraceMs && !present.has(taskMessageId({ ...ti, tryNumber: ti.tryNumber })),
    );
    if (missing.length > 0) {
      await options.executor.enqueue(missing, now);
      report.reenqueued += missing.length;
      log.warn('queued task instances had no message; enqueued again', { count: missing.length });
    }
  } catch (error) {
    log.warn('could not check queued task instances against the queue', { error: errorMessage(error) });
  }
  return report;
}
