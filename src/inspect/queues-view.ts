/**
 * Queues as `dagbridge queue list` and `dagbridge status` show them: Redis counts joined with PostgreSQL's
 * retries and the workers' registrations, plus a warning for every queue that has work and nobody to take it
 * (naming the workers that refuse it and their manifest reasons). Pure.
 */
import type { QueueStats } from '../ports/task-queue.js';
import type { WorkerRecord } from '../ports/worker-registry.js';
import { eligibleWorkers, ineligibility, isAlive } from './workers-view.js';

/** One queue row. */
export interface QueueRow {
  queue: string;
  ready: number;
  inFlight: number;
  /** Task instances `up_for_retry` on this queue (PostgreSQL): work that comes back to the queue later. */
  waitingForRetry: number;
  deadLettered: number;
  oldestReadyAgeMs: number | null;
  /** Workers that would claim from it now. */
  eligibleWorkers: string[];
}

/** What `queueReport` reads. */
export interface QueueReportInput {
  stats: readonly QueueStats[];
  /** queue -> task instances up_for_retry. */
  waitingForRetry: ReadonlyMap<string, number>;
  workers: readonly WorkerRecord[];
  /** Now on the clock of the workers' heartbeats (epoch ms). */
  now: number;
  leaseMs: number;
}

/** The queue table and its warnings. */
export interface QueueReport {
  queues: QueueRow[];
  warnings: string[];
}

/**
 * Every queue Redis knows, every queue with retries waiting, and every queue a live worker serves or refuses,
 * sorted by name.
 */
export function queueReport(input: QueueReportInput): QueueReport {
  const byName = new Map(input.stats.map((s) => [s.queue, s]));
  const names = new Set<string>([...byName.keys(), ...input.waitingForRetry.keys()]);
  for (const worker of input.workers) {
    if (!isAlive(worker, input.now, input.leaseMs)) continue;
    for (const queue of worker.queues) names.add(queue);
    for (const refused of worker.refused) names.add(refused.queue);
  }
  const queues = [...names].sort().map((queue): QueueRow => {
    const s = byName.get(queue);
    return {
      queue,
      ready: s?.ready ?? 0,
      inFlight: s?.inFlight ?? 0,
      waitingForRetry: input.waitingForRetry.get(queue) ?? 0,
      deadLettered: s?.deadLettered ?? 0,
      oldestReadyAgeMs: s?.oldestReadyAgeMs ?? null,
      eligibleWorkers: eligibleWorkers(input.workers, queue, input.now, input.leaseMs),
    };
  });
  const warnings = queues.flatMap((row) => {
    const warning = noWorkerWarning(row, input.workers, input.now, input.leaseMs);
    return warning ? [warning] : [];
  });
  return { queues, warnings };
}

/**
 * `queue aws: 3 ready, 1 waiting for retry and no eligible worker; w2 (node-4) refuses it: boto3>=1.26 is
 * missing` for a queue with work and no eligible worker, else null. Stopped workers are left out.
 */
export function noWorkerWarning(row: QueueRow, workers: readonly WorkerRecord[], now: number, leaseMs: number): string | null {
  if (row.eligibleWorkers.length > 0 || row.ready + row.waitingForRetry === 0) return null;
  const work = [row.ready > 0 ? `${row.ready} ready` : null, row.waitingForRetry > 0 ? `${row.waitingForRetry} waiting for retry` : null].filter(Boolean).join(', ');
  const why: string[] = [];
  for (const worker of [...workers].sort((a, b) => (a.workerId < b.workerId ? -1 : 1))) {
    const reason = ineligibility(worker, row.queue, now, leaseMs);
    if (reason === null || reason === 'is stopped' || reason === 'does not serve it') continue;
    why.push(`${worker.workerId} (${worker.hostname}) ${reason}`);
  }
  return `queue ${row.queue}: ${work} and no eligible worker; ${why.length > 0 ? why.join('; ') : 'no live worker serves it'}`;
}
