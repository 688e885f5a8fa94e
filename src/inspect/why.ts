/**
 * `dagbridge tasks why`: why a task instance is not running, from the same pure decisions the scheduler takes
 * (decide.ts for dependencies and trigger rules, admission.ts for pools and limits) replayed on what PostgreSQL
 * and Redis hold now, plus what only the cluster knows (paused DAG, queued run behind max_active_runs, a queue
 * no live worker serves, a worker that refuses the queue for its manifest, a message missing from Redis).
 * Pure: the caller reads the store and the queue.
 */
import type { AdmissionDecision } from '../dag/admission.js';
import type { DagSpec } from '../dag/bundle.js';
import { decideRun } from '../dag/decide.js';
import type { PreviousRun } from '../dag/depends-on-past.js';
import type { MapInputLength } from '../dag/mapping.js';
import { FINISHED_STATES, type TaskInstanceState } from '../dag/states.js';
import type { DagRecord, DagRunRecord, TaskInstanceRecord } from '../ports/metadata-store.js';
import { STANDALONE_WORKER_PREFIX, type WorkerRecord } from '../ports/worker-registry.js';
import { eligibleWorkers, ineligibility, workerDisplayState } from './workers-view.js';

/** Where the task instance's message is in Redis (for a `queued` instance). */
export type MessageLocation =
  | { where: 'ready' }
  | { where: 'in_flight'; workerId: string; leaseDeadline: number }
  | { where: 'missing' };

/** Everything `explainTaskInstance` reads. */
export interface WhyInput {
  ti: TaskInstanceRecord;
  run: DagRunRecord;
  /** The DAG's current row (paused flag); null when the DAG is no longer known. */
  dag: DagRecord | null;
  /** The DAG version the run was created with. */
  spec: DagSpec;
  /** Every task instance of the run. */
  runTis: readonly TaskInstanceRecord[];
  /** Queued and running runs of every DAG (max_active_runs). */
  activeRuns: readonly DagRunRecord[];
  previousRun?: PreviousRun | null;
  mapInputLength?: MapInputLength;
  /** The admission the scheduler would take now (only read for a `scheduled` instance). */
  admission?: AdmissionDecision | null;
  workers: readonly WorkerRecord[];
  message?: MessageLocation | null;
  now: number;
  leaseMs: number;
}

/** Kinds of reason; scripts may match on them. */
export type WhyKind =
  | 'finished'
  | 'running'
  | 'worker_lost'
  | 'standalone'
  | 'restarting'
  | 'run_finished'
  | 'run_queued'
  | 'max_active_runs'
  | 'dag_paused'
  | 'dependencies'
  | 'retry_wait'
  | 'reschedule_wait'
  | 'ready_to_schedule'
  | 'admission'
  | 'ready_to_queue'
  | 'message_ready'
  | 'message_claimed'
  | 'message_missing'
  | 'no_eligible_worker'
  | 'manifest_mismatch';

/** One reason: a stable kind and a sentence. */
export interface WhyReason {
  kind: WhyKind;
  message: string;
}

/** An upstream task's instances in this run, counted by state. */
export interface UpstreamState {
  taskId: string;
  states: Partial<Record<TaskInstanceState, number>>;
}

/** The answer of `tasks why`. */
export interface WhyReport {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  state: TaskInstanceState;
  tryNumber: number;
  queue: string;
  pool: string;
  runState: DagRunRecord['state'];
  triggerRule: string | null;
  upstream: UpstreamState[];
  reasons: WhyReason[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const inSeconds = (ms: number): string => `${Math.max(0, Math.round(ms / 1000))}s`;

function upstreamStates(input: WhyInput): UpstreamState[] {
  const task = input.spec.tasks.find((t) => t.taskId === input.ti.taskId);
  return [...(task?.upstream ?? [])].sort().map((taskId) => {
    const states: Partial<Record<TaskInstanceState, number>> = {};
    for (const ti of input.runTis) if (ti.taskId === taskId) states[ti.state] = (states[ti.state] ?? 0) + 1;
    return { taskId, states };
  });
}

function runReasons(input: WhyInput): WhyReason[] {
  const { run, spec } = input;
  if (run.state === 'success' || run.state === 'failed') {
    return [{ kind: 'run_finished', message: `DAG run ${run.runId} is ${run.state}: nothing more runs in it until it is cleared (dagbridge tasks clear)` }];
  }
  if (run.state !== 'queued') return [];
  const running = input.activeRuns.filter((r) => r.dagId === run.dagId && r.state === 'running').length;
  if (running >= spec.maxActiveRuns) {
    const ahead = input.activeRuns.filter((r) => r.dagId === run.dagId && r.state === 'queued' && r.runId !== run.runId && r.queuedAt <= run.queuedAt).length;
    return [{
      kind: 'max_active_runs',
      message: `DAG run ${run.runId} is queued behind max_active_runs: DAG ${run.dagId} has ${running} running run(s) (max_active_runs ${spec.maxActiveRuns})${ahead > 0 ? ` and ${ahead} queued run(s) ahead of it` : ''}`,
    }];
  }
  return [{ kind: 'run_queued', message: `DAG run ${run.runId} is queued; the scheduler starts it on its next loop (${running} of ${spec.maxActiveRuns} runs running)` }];
}

function dependencyReasons(input: WhyInput): WhyReason[] {
  const { ti } = input;
  const decision = decideRun({
    dag: input.spec,
    tis: input.runTis,
    previousRun: input.previousRun ?? null,
    hasPriorTis: () => input.previousRun !== null && input.previousRun !== undefined,
    mapInputLength: input.mapInputLength,
    now: input.now,
  });
  const change = decision.changes.find((c) => c.kind === 'transition' && c.taskId === ti.taskId && c.mapIndex === ti.mapIndex);
  if (change && change.kind === 'transition') {
    return [{ kind: 'ready_to_schedule', message: `the next scheduler loop moves it ${change.from} -> ${change.to}: ${change.reason}` }];
  }
  if (ti.state === 'up_for_retry' && ti.nextRetryAt !== null && ti.nextRetryAt > input.now) {
    return [{ kind: 'retry_wait', message: `try ${ti.tryNumber} failed; waiting for the retry delay until ${iso(ti.nextRetryAt)} (in ${inSeconds(ti.nextRetryAt - input.now)})` }];
  }
  if (ti.state === 'up_for_reschedule' && ti.rescheduleAt !== null && ti.rescheduleAt > input.now) {
    return [{ kind: 'reschedule_wait', message: `sensor rescheduled: next poke at ${iso(ti.rescheduleAt)} (in ${inSeconds(ti.rescheduleAt - input.now)})` }];
  }
  const waiting = decision.waiting.find((w) => w.taskId === ti.taskId && w.mapIndex === ti.mapIndex);
  if (waiting) return [{ kind: 'dependencies', message: waiting.reason }];
  return [];
}

function admissionReasons(input: WhyInput): WhyReason[] {
  const { ti, admission } = input;
  if (!admission) return [];
  const same = (c: { dagId: string; runId: string; taskId: string; mapIndex: number }): boolean =>
    c.dagId === ti.dagId && c.runId === ti.runId && c.taskId === ti.taskId && c.mapIndex === ti.mapIndex;
  if (admission.admitted.some(same)) return [{ kind: 'ready_to_queue', message: 'admission passes (pool slot and limits free): the next scheduler loop queues it' }];
  const rejection = admission.rejected.find((r) => same(r.candidate));
  if (!rejection) return [];
  return [{ kind: 'admission', message: rejection.message }];
}

function messageReasons(input: WhyInput): WhyReason[] {
  const { ti, message } = input;
  if (!message) return [];
  switch (message.where) {
    case 'ready':
      return [{ kind: 'message_ready', message: `its message (try ${ti.tryNumber}) is waiting on queue ${ti.queue} for a worker with a free slot` }];
    case 'in_flight':
      return [{ kind: 'message_claimed', message: `its message was claimed by worker ${message.workerId} (lease until ${iso(message.leaseDeadline)}); the try starts once that worker records it` }];
    case 'missing':
      return [{ kind: 'message_missing', message: `its message (try ${ti.tryNumber}) is not in Redis; the scheduler's housekeeping enqueues it again` }];
  }
}

function workerReasons(input: WhyInput): WhyReason[] {
  const { ti, workers, now, leaseMs } = input;
  if (eligibleWorkers(workers, ti.queue, now, leaseMs).length > 0) return [];
  const reasons: WhyReason[] = [];
  const others: string[] = [];
  for (const worker of [...workers].sort((a, b) => (a.workerId < b.workerId ? -1 : 1))) {
    const why = ineligibility(worker, ti.queue, now, leaseMs);
    if (why === null || why === 'does not serve it' || why === 'is stopped') continue;
    if (why.startsWith('refuses it: ')) {
      reasons.push({ kind: 'manifest_mismatch', message: `worker ${worker.workerId} (${worker.hostname}) refuses queue ${ti.queue}: ${why.slice('refuses it: '.length)}` });
    } else {
      others.push(`${worker.workerId} (${worker.hostname}) ${why}`);
    }
  }
  const detail = others.length > 0 ? `: ${others.join('; ')}` : reasons.length === 0 ? ': no live worker serves it (start one with --queues ' + ti.queue + ')' : '';
  return [{ kind: 'no_eligible_worker', message: `no eligible worker for queue ${ti.queue}${detail}` }, ...reasons];
}

/** Explains one task instance. The reasons come in the order they block it: run, DAG, dependencies, admission, queue, workers. */
export function explainTaskInstance(input: WhyInput): WhyReport {
  const { ti, run, dag, now, leaseMs } = input;
  const task = input.spec.tasks.find((t) => t.taskId === ti.taskId);
  const reasons: WhyReason[] = [];
  const pending = !FINISHED_STATES.has(ti.state) && ti.state !== 'running' && ti.state !== 'restarting';

  if (FINISHED_STATES.has(ti.state)) {
    reasons.push({ kind: 'finished', message: `it is ${ti.state} (finished after try ${ti.tryNumber})${ti.note ? `: ${ti.note}` : ''}` });
  } else if (ti.state === 'running' || ti.state === 'restarting') {
    const worker = workers(input).get(ti.workerId ?? '');
    const since = ti.startDate === null ? '' : ` since ${iso(ti.startDate)} (${inSeconds(now - ti.startDate)})`;
    reasons.push(ti.state === 'running'
      ? { kind: 'running', message: `it is running: try ${ti.tryNumber} on worker ${ti.workerId ?? '?'} (${ti.hostname ?? '?'}, pid ${ti.pid ?? '?'})${since}` }
      : { kind: 'restarting', message: `it was cleared while running on worker ${ti.workerId ?? '?'}; that worker's result becomes a retry` });
    const state = worker ? workerDisplayState(worker, now, leaseMs) : null;
    if (!worker && ti.workerId?.startsWith(STANDALONE_WORKER_PREFIX)) {
      reasons.push({ kind: 'standalone', message: `it runs inside the standalone process ${ti.workerId} (no worker registry in standalone); if that process stops, the next dagbridge standalone on this database hands it back` });
    } else if (!worker || state === 'lost' || state === 'stopped') {
      reasons.push({ kind: 'worker_lost', message: worker
        ? `its worker ${worker.workerId} is ${state} (last heartbeat ${inSeconds(now - worker.lastHeartbeatAt)} ago): the scheduler's housekeeping hands the task back for another worker`
        : `its worker ${ti.workerId ?? '?'} is not registered: the scheduler's housekeeping hands the task back for another worker` });
    }
  }
  if (pending) {
    reasons.push(...runReasons(input));
    if (dag?.isPaused) {
      reasons.push({ kind: 'dag_paused', message: `DAG ${ti.dagId} is paused: no run starts and no task is queued until it is unpaused (dagbridge dags unpause ${ti.dagId})` });
    }
    if (run.state === 'running' && (ti.state === 'none' || ti.state === 'up_for_retry' || ti.state === 'up_for_reschedule')) {
      reasons.push(...dependencyReasons(input));
    }
    if (ti.state === 'scheduled') reasons.push(...admissionReasons(input));
    if (ti.state === 'queued') reasons.push(...messageReasons(input));
    reasons.push(...workerReasons(input));
  }
  return {
    dagId: ti.dagId,
    runId: ti.runId,
    taskId: ti.taskId,
    mapIndex: ti.mapIndex,
    state: ti.state,
    tryNumber: ti.tryNumber,
    queue: ti.queue,
    pool: ti.pool,
    runState: run.state,
    triggerRule: task?.triggerRule ?? null,
    upstream: upstreamStates(input),
    reasons,
  };
}

function workers(input: WhyInput): Map<string, WorkerRecord> {
  return new Map(input.workers.map((w) => [w.workerId, w]));
}
