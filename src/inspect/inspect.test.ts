import { describe, expect, it } from 'vitest';
import { dagOf, task } from '../dag/spec-fixtures.js';
import type { DagRecord, DagRunRecord, Occupancy, TaskInstanceRecord } from '../ports/metadata-store.js';
import type { WorkerRecord } from '../ports/worker-registry.js';
import { replayAdmission } from '../scheduler/admission-input.js';
import { queueReport } from './queues-view.js';
import { explainTaskInstance, type WhyInput } from './why.js';
import { eligibleWorkers, ineligibility, workerDisplayState, workerRows } from './workers-view.js';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const LEASE = 30_000;

const worker = (workerId: string, overrides: Partial<WorkerRecord> = {}): WorkerRecord => ({
  workerId, hostname: `host-${workerId}`, pid: 10, queues: ['default'], refused: [], concurrency: 4, slotsBusy: 0, version: '0.1.0',
  state: 'running', startedAt: NOW - 60_000, lastHeartbeatAt: NOW - 1000, lastPollAt: NOW - 500, manifestHash: null, manifestReport: null,
  requestedAction: null, ...overrides,
});

describe('workers view', () => {
  it('shows a worker whose heartbeat is older than the lease as lost, and explains ineligibility per queue', () => {
    const lost = worker('w-lost', { lastHeartbeatAt: NOW - 95_000 });
    const draining = worker('w-drain', { state: 'draining', requestedAction: 'drain' });
    const asked = worker('w-asked', { requestedAction: 'drain' });
    const refusing = worker('w-ref', { queues: ['default'], refused: [{ queue: 'aws', reasons: ['queue aws: boto3>=1.26 is missing'] }] });
    const stopped = worker('w-stop', { state: 'stopped', lastHeartbeatAt: NOW - 999_000 });
    expect([lost, draining, stopped, refusing].map((w) => workerDisplayState(w, NOW, LEASE))).toEqual(['lost', 'draining', 'stopped', 'running']);
    expect(ineligibility(lost, 'default', NOW, LEASE)).toBe('is lost (last heartbeat 95s ago)');
    expect(ineligibility(draining, 'default', NOW, LEASE)).toBe('serves it but is draining');
    expect(ineligibility(asked, 'default', NOW, LEASE)).toBe('serves it but was asked to drain');
    expect(ineligibility(refusing, 'aws', NOW, LEASE)).toBe('refuses it: boto3>=1.26 is missing');
    expect(ineligibility(refusing, 'gpu', NOW, LEASE)).toBe('does not serve it');
    expect(eligibleWorkers([lost, draining, asked, refusing, stopped, worker('w-ok')], 'default', NOW, LEASE)).toEqual(['w-ok', 'w-ref']);
  });

  it('lists workers sorted with ages', () => {
    expect(workerRows([worker('b', { lastPollAt: null }), worker('a')], NOW, LEASE).map((r) => [r.workerId, r.state, r.heartbeatAgeMs, r.pollAgeMs])).toEqual([
      ['a', 'running', 1000, 500],
      ['b', 'running', 1000, null],
    ]);
  });
});

describe('queue report', () => {
  it('joins Redis counts, retries and workers, and warns about a queue with work and no eligible worker', () => {
    const report = queueReport({
      stats: [
        { queue: 'aws', ready: 2, inFlight: 0, deadLettered: 1, oldestReadyAgeMs: 4000 },
        { queue: 'default', ready: 1, inFlight: 1, deadLettered: 0, oldestReadyAgeMs: 100 },
      ],
      waitingForRetry: new Map([['aws', 1], ['etl', 3]]),
      workers: [
        worker('w1', { refused: [{ queue: 'aws', reasons: ['queue aws: boto3>=1.26 is missing'] }] }),
        worker('w2', { queues: ['etl'], state: 'draining' }),
        worker('w3', { queues: ['gpu'], lastHeartbeatAt: NOW - 100_000 }),
      ],
      now: NOW,
      leaseMs: LEASE,
    });
    expect(report.queues).toEqual([
      { queue: 'aws', ready: 2, inFlight: 0, waitingForRetry: 1, deadLettered: 1, oldestReadyAgeMs: 4000, eligibleWorkers: [] },
      { queue: 'default', ready: 1, inFlight: 1, waitingForRetry: 0, deadLettered: 0, oldestReadyAgeMs: 100, eligibleWorkers: ['w1'] },
      { queue: 'etl', ready: 0, inFlight: 0, waitingForRetry: 3, deadLettered: 0, oldestReadyAgeMs: null, eligibleWorkers: [] },
    ]);
    expect(report.warnings).toEqual([
      'queue aws: 2 ready, 1 waiting for retry and no eligible worker; w1 (host-w1) refuses it: boto3>=1.26 is missing',
      'queue etl: 3 waiting for retry and no eligible worker; w2 (host-w2) serves it but is draining',
    ]);
  });

  it('says when no live worker serves a queue with work', () => {
    const report = queueReport({ stats: [{ queue: 'q', ready: 1, inFlight: 0, deadLettered: 0, oldestReadyAgeMs: 5 }], waitingForRetry: new Map(), workers: [], now: NOW, leaseMs: LEASE });
    expect(report.warnings).toEqual(['queue q: 1 ready and no eligible worker; no live worker serves it']);
  });
});

const run = (overrides: Partial<DagRunRecord> = {}): DagRunRecord => ({
  dagId: 'd', runId: 'r1', versionHash: 'v1', runType: 'manual', state: 'running', logicalDate: '2024-01-01T00:00:00+00:00',
  dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-01T00:00:00+00:00', conf: {}, queuedAt: NOW - 10_000,
  startDate: NOW - 9000, endDate: null, ...overrides,
});

const ti = (taskId: string, overrides: Partial<TaskInstanceRecord> = {}): TaskInstanceRecord => ({
  dagId: 'd', runId: 'r1', taskId, mapIndex: -1, state: 'none', tryNumber: 0, maxTries: 0, queue: 'default', pool: 'default_pool',
  poolSlots: 1, priorityWeight: 1, queuedAt: null, startDate: null, endDate: null, nextRetryAt: null, rescheduleAt: null,
  sensorFirstPokeAt: null, workerId: null, hostname: null, pid: null, note: null, ...overrides,
});

const spec = dagOf([task('extract'), task('load', { queue: 'aws', pool: 'db' })], ['extract>load']);
const dag: DagRecord = { dagId: 'd', versionHash: 'v1', spec, isPaused: false, isActive: true, lastParsedAt: NOW };

function why(overrides: Partial<WhyInput>): ReturnType<typeof explainTaskInstance> {
  const target = overrides.ti ?? ti('load', { queue: 'aws', pool: 'db' });
  return explainTaskInstance({
    ti: target, run: run(), dag, spec, runTis: [ti('extract', { state: 'running', tryNumber: 1 }), target], activeRuns: [run()],
    workers: [worker('w1', { queues: ['default', 'aws'] })], now: NOW, leaseMs: LEASE, ...overrides,
  });
}

describe('tasks why', () => {
  it('names the upstream states against the trigger rule', () => {
    const report = why({});
    expect(report.triggerRule).toBe('all_success');
    expect(report.upstream).toEqual([{ taskId: 'extract', states: { running: 1 } }]);
    expect(report.reasons.map((r) => r.kind)).toEqual(['dependencies']);
    expect(report.reasons[0]?.message).toContain('(0/1 upstream done)');
  });

  it('says the next loop schedules it when the trigger rule is met', () => {
    const report = why({ runTis: [ti('extract', { state: 'success', tryNumber: 1 }), ti('load', { queue: 'aws', pool: 'db' })] });
    expect(report.reasons).toEqual([{ kind: 'ready_to_schedule', message: 'the next scheduler loop moves it none -> scheduled: trigger rule all_success met (1/1 upstream done, 1 success)' }]);
  });

  it('waits for retry until a time', () => {
    const target = ti('extract', { state: 'up_for_retry', tryNumber: 1, maxTries: 2, nextRetryAt: NOW + 90_000 });
    const report = why({ ti: target, runTis: [target, ti('load')] });
    expect(report.reasons).toEqual([{ kind: 'retry_wait', message: 'try 1 failed; waiting for the retry delay until 2024-01-01T12:01:30.000Z (in 90s)' }]);
  });

  it('reports a full pool for a scheduled instance, from the replayed admission', () => {
    const target = ti('load', { state: 'scheduled', tryNumber: 1, queue: 'aws', pool: 'db' });
    const occupancy: Occupancy = { pools: new Map([['db', { slots: 1, used: 1 }], ['default_pool', { slots: 128, used: 0 }]]), activeByDag: new Map(), activeByTask: new Map(), activeByRunTask: new Map([['d\u0000r0\u0000load', 1]]) };
    const admission = replayAdmission({ scheduled: [target], occupancy, activeRuns: [run()], specOf: () => spec });
    const report = why({ ti: target, runTis: [ti('extract', { state: 'success' }), target], admission });
    expect(report.reasons).toEqual([{ kind: 'admission', message: 'pool db is full: 0 of 1 slots open' }]);
  });

  it('lists the workers that refuse the queue for their manifest when nobody serves it', () => {
    const target = ti('load', { state: 'queued', tryNumber: 1, queue: 'aws', pool: 'db' });
    const report = why({
      ti: target,
      message: { where: 'ready' },
      workers: [worker('w1', { refused: [{ queue: 'aws', reasons: ['queue aws: boto3>=1.26 is missing'] }] }), worker('w2', { queues: ['aws'], lastHeartbeatAt: NOW - 60_000 })],
    });
    expect(report.reasons).toEqual([
      { kind: 'message_ready', message: 'its message (try 1) is waiting on queue aws for a worker with a free slot' },
      { kind: 'no_eligible_worker', message: 'no eligible worker for queue aws: w2 (host-w2) is lost (last heartbeat 60s ago)' },
      { kind: 'manifest_mismatch', message: 'worker w1 (host-w1) refuses queue aws: boto3>=1.26 is missing' },
    ]);
  });

  it('explains a paused DAG and a run queued behind max_active_runs', () => {
    const limited = { ...spec, maxActiveRuns: 1 };
    const queuedRun = run({ runId: 'r2', state: 'queued', startDate: null });
    const report = why({
      spec: limited, run: queuedRun, dag: { ...dag, isPaused: true }, ti: ti('extract', { runId: 'r2' }), runTis: [],
      activeRuns: [run(), queuedRun],
    });
    expect(report.reasons).toEqual([
      { kind: 'max_active_runs', message: 'DAG run r2 is queued behind max_active_runs: DAG d has 1 running run(s) (max_active_runs 1)' },
      { kind: 'dag_paused', message: 'DAG d is paused: no run starts and no task is queued until it is unpaused (dagbridge dags unpause d)' },
    ]);
  });

  it('says where a running instance runs and flags a lost worker', () => {
    const target = ti('extract', { state: 'running', tryNumber: 1, workerId: 'w9', hostname: 'node-9', pid: 42, startDate: NOW - 65_000 });
    const report = why({ ti: target, workers: [worker('w9', { lastHeartbeatAt: NOW - 45_000 })] });
    expect(report.reasons).toEqual([
      { kind: 'running', message: 'it is running: try 1 on worker w9 (node-9, pid 42) since 2024-01-01T11:58:55.000Z (65s)' },
      { kind: 'worker_lost', message: 'its worker w9 is lost (last heartbeat 45s ago): the scheduler\'s housekeeping hands the task back for another worker' },
    ]);
  });

  it('says a task run by a standalone process runs there, not on a lost worker', () => {
    const target = ti('extract', { state: 'running', tryNumber: 1, workerId: 'standalone-node-1-77', hostname: 'node-1', pid: 77, startDate: NOW - 5_000 });
    expect(why({ ti: target, workers: [] }).reasons).toEqual([
      { kind: 'running', message: 'it is running: try 1 on worker standalone-node-1-77 (node-1, pid 77) since 2024-01-01T11:59:55.000Z (5s)' },
      { kind: 'standalone', message: 'it runs inside the standalone process standalone-node-1-77 (no worker registry in standalone); if that process stops, the next dagbridge standalone on this database hands it back' },
    ]);
  });

  it('says a finished instance is finished', () => {
    const target = ti('extract', { state: 'failed', tryNumber: 3, note: 'exit code 3' });
    expect(why({ ti: target }).reasons).toEqual([{ kind: 'finished', message: 'it is failed (finished after try 3): exit code 3' }]);
  });
});
