/**
 * The reads behind the inspection commands: PostgreSQL through the store (and one parameterized query the store
 * does not offer), Redis through the TaskQueue interface. Read only; the aggregation is in the pure modules
 * next to this one.
 */
import type pg from 'pg';
import type { DagSpec } from '../dag/bundle.js';
import type { PreviousRun } from '../dag/depends-on-past.js';
import { mapsFromXcom, xcomMapInputLength } from '../dag/mapping.js';
import { NotFoundError } from '../lib/errors.js';
import { taskMessageId } from '../ports/message-id.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { DagRunRecord, MetadataStore, TaskInstanceKey, TaskInstanceRecord } from '../ports/metadata-store.js';
import type { WorkerRegistry } from '../ports/worker-registry.js';
import { replayAdmission } from '../scheduler/admission-input.js';
import { queueReport, type QueueReport } from './queues-view.js';
import { explainTaskInstance, type MessageLocation, type WhyReport } from './why.js';
import { workerRows, type WorkerRow } from './workers-view.js';

/** The store as the inspection commands read it. */
export type InspectStore = MetadataStore & WorkerRegistry & { readonly pool: pg.Pool };

/** Task instances `up_for_retry`, counted per queue. */
export async function waitingForRetryByQueue(pool: pg.Pool): Promise<Map<string, number>> {
  const result = await pool.query<{ queue: string; n: number }>(
    `SELECT queue, count(*)::int AS n FROM task_instances WHERE state = $1 GROUP BY queue ORDER BY queue`,
    ['up_for_retry'],
  );
  return new Map(result.rows.map((row) => [row.queue, row.n]));
}

/** Reads the queue table and its warnings. */
export async function readQueueReport(store: InspectStore, queue: TaskQueue, now: number, leaseMs: number): Promise<QueueReport> {
  const [stats, waitingForRetry, workers] = await Promise.all([queue.stats(), waitingForRetryByQueue(store.pool), store.listWorkers()]);
  return queueReport({ stats, waitingForRetry, workers, now, leaseMs });
}

/** Reads the worker table. */
export async function readWorkerRows(store: InspectStore, now: number, leaseMs: number): Promise<WorkerRow[]> {
  return workerRows(await store.listWorkers(), now, leaseMs);
}

/** A task instance in `running`, for `status` and `workers inspect`. */
export interface RunningTaskRow {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
  queue: string;
  workerId: string | null;
  hostname: string | null;
  pid: number | null;
  startDate: number | null;
  elapsedMs: number | null;
}

/** Running task instances (of one worker when given), longest running first. */
export async function readRunningTasks(store: InspectStore, now: number, workerId?: string): Promise<RunningTaskRow[]> {
  const running = (await store.listRunning()).filter((ti) => workerId === undefined || ti.workerId === workerId);
  return running.map((ti) => ({
    dagId: ti.dagId,
    runId: ti.runId,
    taskId: ti.taskId,
    mapIndex: ti.mapIndex,
    tryNumber: ti.tryNumber,
    queue: ti.queue,
    workerId: ti.workerId,
    hostname: ti.hostname,
    pid: ti.pid,
    startDate: ti.startDate,
    elapsedMs: ti.startDate === null ? null : now - ti.startDate,
  }));
}

async function messageLocation(queue: TaskQueue, ti: TaskInstanceRecord): Promise<MessageLocation> {
  const id = taskMessageId({ ...ti, tryNumber: ti.tryNumber });
  const ids = await queue.messageIds();
  if (ids.some((q) => q.ready.includes(id))) return { where: 'ready' };
  if (ids.some((q) => q.inFlight.includes(id))) {
    const held = (await queue.inFlight()).find((m) => m.id === id);
    if (held) return { where: 'in_flight', workerId: held.workerId, leaseDeadline: held.leaseDeadline };
  }
  return { where: 'missing' };
}

/** Reads everything `tasks why` needs and explains the task instance. */
export async function readWhy(store: InspectStore, queue: TaskQueue | null, key: TaskInstanceKey, now: number, leaseMs: number): Promise<WhyReport> {
  const ti = await store.getTaskInstance(key);
  if (!ti) {
    const name = key.mapIndex >= 0 ? `${key.taskId}[${key.mapIndex}]` : key.taskId;
    throw new NotFoundError(`task instance ${name} of ${key.dagId} ${key.runId} does not exist (see dagbridge tasks states ${key.dagId} ${key.runId})`);
  }
  const run = await store.getDagRun(ti);
  if (!run) throw new NotFoundError(`DAG run ${key.runId} of ${key.dagId} does not exist (see dagbridge runs list ${key.dagId})`);
  const specs = new Map<string, DagSpec | null>();
  const specOf = async (r: DagRunRecord): Promise<DagSpec | null> => {
    const id = `${r.dagId}\u0000${r.versionHash}`;
    if (!specs.has(id)) specs.set(id, await store.getDagVersion(r.dagId, r.versionHash));
    return specs.get(id) ?? null;
  };
  const spec = await specOf(run);
  if (!spec) throw new NotFoundError(`the DAG version ${run.versionHash} of run ${run.runId} is missing from the metadata database`);
  const [dag, runTis, activeRuns, workers] = await Promise.all([store.getDag(run.dagId), store.listTaskInstances(run), store.listActiveRuns(), store.listWorkers()]);

  let previousRun: PreviousRun | null = null;
  if (spec.tasks.some((t) => t.dependsOnPast || t.waitForDownstream)) {
    const previous = await store.previousRun(run);
    if (previous) previousRun = { runId: previous.runId, tis: await store.listTaskInstances(previous) };
  }
  const mapInputLength = spec.tasks.some(mapsFromXcom) ? xcomMapInputLength(await store.listXcoms(run)) : undefined;

  let admission = null;
  if (ti.state === 'scheduled') {
    const [scheduled, occupancy] = await Promise.all([store.listScheduled(), store.occupancy()]);
    const resolved = new Map<DagRunRecord, DagSpec | null>();
    for (const r of activeRuns) resolved.set(r, await specOf(r));
    admission = replayAdmission({ scheduled, occupancy, activeRuns, specOf: (r) => resolved.get(r) ?? null });
  }
  const message = ti.state === 'queued' && queue ? await messageLocation(queue, ti) : null;
  return explainTaskInstance({ ti, run, dag, spec, runTis, activeRuns, previousRun, mapInputLength, admission, workers, message, now, leaseMs });
}
