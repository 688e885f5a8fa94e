/**
 * The inspection commands against a cluster in known states, built directly through the store and the queue
 * (no task runs): a full pool, a queue no worker consumes (its only worker refuses it for its manifest), a
 * dead-lettered message, a drained worker, a lost worker, a task waiting for retry, a paused DAG whose run is
 * queued behind max_active_runs. The CLI runs in-process; `Date` is frozen so heartbeat ages are exact, and
 * the few values read from the Redis server's clock are checked for range and then normalised.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { taskMessageId } from '../src/ports/message-id.js';
import { RedisTaskQueue } from '../src/queue/redis-queue.js';
import { TASK_MESSAGE_VERSION, type TaskMessage } from '../src/ports/task-message.js';
import type { DagRunRecord, TaskInstanceRecord } from '../src/ports/metadata-store.js';
import { PgStore } from '../src/store/pg-store.js';
import type { WorkerRecord } from '../src/ports/worker-registry.js';
import { bundleOf, createMigratedDatabase, dagSpec, taskSpec, type TestDatabase } from './support/database.js';
import { createTestRedisPrefix } from './support/servers.js';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
let db: TestDatabase;
let redis: Redis;
let redisUrl: string;
let prefix: string;
let cleanupRedis: () => Promise<void>;
let store: PgStore;
let queue: RedisTaskQueue;
let run: DagRunRecord;

const worker = (workerId: string, overrides: Partial<WorkerRecord> = {}): WorkerRecord => ({
  workerId, hostname: `node-${workerId}`, pid: 100, queues: ['default'], refused: [], concurrency: 2, slotsBusy: 0, version: '0.1.0',
  state: 'running', startedAt: T0 - 600_000, lastHeartbeatAt: T0 - 1000, lastPollAt: T0 - 500, manifestHash: 'm1', manifestReport: null,
  requestedAction: null, ...overrides,
});

const etl = dagSpec('etl', {
  schedule: { type: 'none' },
  tasks: [
    taskSpec('a_running', { pool: 'db' }),
    taskSpec('b_pool', { pool: 'db' }),
    taskSpec('c_aws', { queue: 'aws', priorityWeight: 5 }),
    taskSpec('d_retry', { retries: 2, downstream: ['e_wait'] }),
    taskSpec('e_wait', { upstream: ['d_retry'] }),
  ],
});
const limited = dagSpec('limited', { schedule: { type: 'none' }, maxActiveRuns: 1 });

function message(ti: TaskInstanceRecord): TaskMessage {
  return {
    v: TASK_MESSAGE_VERSION, dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex, tryNumber: ti.tryNumber,
    queue: ti.queue, priority: ti.priorityWeight, dagFile: { path: 'etl.py', hash: 'hash-of-etl' }, manifestHash: null, enqueuedAt: T0,
  };
}

async function newRun(dagId: string, runId: string, state: 'queued' | 'running'): Promise<DagRunRecord> {
  const created = await store.createDagRun({
    dagId, runId, versionHash: (await store.getDag(dagId))?.versionHash ?? '', runType: 'manual', state,
    logicalDate: '2030-01-01T00:00:00+00:00', dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2030-01-01T00:00:00+00:00', conf: {}, queuedAt: T0 - 60_000,
  }, T0 - 60_000);
  if (!created.run) throw new Error('run not created');
  return created.run;
}

async function toScheduled(r: DagRunRecord, spec: typeof etl, taskIds: string[]): Promise<void> {
  await store.applyChanges(r, spec, taskIds.map((taskId) => ({ kind: 'create' as const, taskId, mapIndex: -1, priorityWeight: spec.tasks.find((t) => t.taskId === taskId)?.priorityWeight ?? 1 })), T0 - 50_000);
  await store.applyChanges(r, spec, taskIds.map((taskId) => ({ kind: 'transition' as const, taskId, mapIndex: -1, from: 'none' as const, to: 'scheduled' as const, newTry: true })), T0 - 50_000);
}

beforeAll(async () => {
  db = await createMigratedDatabase('inspect');
  const redisPrefix = await createTestRedisPrefix('inspect');
  ({ url: redisUrl, prefix, cleanup: cleanupRedis } = redisPrefix);
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', () => {
    // Surfaces through the commands of the test.
  });
  store = new PgStore(db.pool);
  queue = new RedisTaskQueue(redis, { prefix });
  await store.syncBundle(bundleOf([etl, limited]), T0 - 100_000);
  await store.setPool('db', 1, 'the warehouse');
  run = await newRun('etl', 'manual__1', 'running');
  await toScheduled(run, etl, ['a_running', 'b_pool', 'c_aws', 'd_retry']);
  await store.applyChanges(run, etl, [{ kind: 'create', taskId: 'e_wait', mapIndex: -1, priorityWeight: 1 }], T0 - 50_000);

  const key = (taskId: string): { dagId: string; runId: string; taskId: string; mapIndex: number; tryNumber: number } => ({ dagId: 'etl', runId: 'manual__1', taskId, mapIndex: -1, tryNumber: 1 });
  const queued = await store.markQueued([key('a_running'), key('c_aws'), key('d_retry')], T0 - 40_000);
  const byTask = new Map(queued.map((ti) => [ti.taskId, ti]));
  // a_running: claimed by w1 and started (holds the only slot of pool db).
  await queue.enqueue(message(byTask.get('a_running') as TaskInstanceRecord));
  await queue.claim('w1', ['default'], 600_000);
  await store.startTry(key('a_running'), 1, { workerId: 'w1', hostname: 'node-w1', pid: 4242 }, T0 - 30_000);
  // c_aws: ready on queue aws, which nobody serves.
  await queue.enqueue(message(byTask.get('c_aws') as TaskInstanceRecord));
  // d_retry: ran and failed; waits for its retry delay.
  await store.startTry(key('d_retry'), 1, { workerId: 'w2', hostname: 'node-w2', pid: 7 }, T0 - 20_000);
  await store.finishTry({
    key: key('d_retry'), tryNumber: 1, state: 'up_for_retry', endDate: T0 - 10_000, xcoms: [], skipTaskIds: [], nextRetryAt: T0 + 290_000,
    rescheduleAt: null, error: null, exitCode: 3, signal: null, exitReason: 'exit code 3', triggerDagRuns: [],
  });
  // A malformed message, dead-lettered with the reason.
  await queue.deadLetter('default', '{"v":0}', 'task message field v: Invalid literal value, expected 1');

  // limited: one running run, a second queued behind max_active_runs; the DAG is paused.
  await newRun('limited', 'r1', 'running');
  const r2 = await newRun('limited', 'r2', 'queued');
  await store.applyChanges(r2, limited, [{ kind: 'create', taskId: 't1', mapIndex: -1, priorityWeight: 1 }], T0 - 50_000);
  await store.setPaused('limited', true);

  await store.registerWorker(worker('w1', { slotsBusy: 1, refused: [{ queue: 'aws', reasons: ['queue aws: boto3>=1.26 is missing'] }] }));
  await store.registerWorker(worker('w2'));
  await store.registerWorker(worker('w3', { lastHeartbeatAt: T0 - 120_000, lastPollAt: T0 - 121_000 }));
});

afterAll(async () => {
  vi.useRealTimers();
  redis?.disconnect();
  await cleanupRedis?.();
  await db?.drop();
});

/** Runs the CLI in-process at time `now`; returns exit code, stdout and stderr. */
async function cli(args: string[], now = T0): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(now);
  try {
    const code = await main(['node', 'dagbridge', ...args, '--database-url', db.url, '--redis-url', redisUrl, '--redis-prefix', prefix]);
    return { code, out, err };
  } finally {
    vi.useRealTimers();
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = undefined;
  }
}

async function json(args: string[], now = T0): Promise<unknown> {
  const result = await cli([...args, '--json'], now);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.out);
}

/** A value read from the Redis server's clock: a plausible age (ms) becomes 'AGE', an instant 'TIME'. */
function redisAge(value: unknown): string {
  expect(typeof value).toBe('number');
  expect(value as number).toBeGreaterThanOrEqual(0);
  expect(value as number).toBeLessThan(600_000);
  return 'AGE';
}

describe('queue list', () => {
  it('shows counts per queue, retries from PostgreSQL, eligible workers, and warns about the queue nobody serves', async () => {
    const report = (await json(['queue', 'list'])) as { queues: Array<Record<string, unknown>>; warnings: string[] };
    const aws = report.queues[0] as Record<string, unknown>;
    aws.oldestReadyAgeMs = redisAge(aws.oldestReadyAgeMs);
    expect(report).toEqual({
      queues: [
        { queue: 'aws', ready: 1, inFlight: 0, waitingForRetry: 0, deadLettered: 0, oldestReadyAgeMs: 'AGE', eligibleWorkers: [] },
        { queue: 'default', ready: 0, inFlight: 1, waitingForRetry: 1, deadLettered: 1, oldestReadyAgeMs: null, eligibleWorkers: ['w1', 'w2'] },
      ],
      warnings: ['queue aws: 1 ready and no eligible worker; w1 (node-w1) refuses it: boto3>=1.26 is missing'],
    });
    const table = await cli(['queue', 'list']);
    expect(table.code).toBe(0);
    expect(table.out).toContain('warning: queue aws: 1 ready and no eligible worker; w1 (node-w1) refuses it: boto3>=1.26 is missing\n');
    expect(table.out.split('\n')[0]).toBe('QUEUE    READY  IN_FLIGHT  RETRY_WAIT  DEAD  OLDEST_READY  ELIGIBLE_WORKERS');
  });

  it('peeks at the next messages with their task instance', async () => {
    const peek = (await json(['queue', 'peek', 'aws', '-n', '5'])) as { queue: string; messages: Array<Record<string, unknown>> };
    const first = peek.messages[0] as Record<string, unknown>;
    first.ageMs = redisAge(first.ageMs);
    expect(typeof first.enqueuedAt).toBe('number');
    first.enqueuedAt = 'TIME';
    expect(peek).toEqual({
      queue: 'aws',
      messages: [{ id: 'etl|manual__1|c_aws|-1|1', dagId: 'etl', runId: 'manual__1', taskId: 'c_aws', mapIndex: -1, tryNumber: 1, priority: 5, deliveries: 0, enqueuedAt: 'TIME', ageMs: 'AGE' }],
    });
    const missing = await cli(['queue', 'peek', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('dagbridge: queue nope is not known to Redis (known: aws, default; see dagbridge queue list)\n');
  });
});

describe('workers', () => {
  it('lists workers with liveness, slots, queues served and refused, and ages', async () => {
    const rows = (await json(['workers', 'list'])) as Array<Record<string, unknown>>;
    const base = { hostname: '', pid: 100, queues: ['default'], refused: [], slotsBusy: 0, concurrency: 2, version: '0.1.0', startedAt: T0 - 600_000, requestedAction: null, manifestHash: 'm1' };
    expect(rows).toEqual([
      { ...base, workerId: 'w1', hostname: 'node-w1', state: 'running', reportedState: 'running', slotsBusy: 1, refused: [{ queue: 'aws', reasons: ['queue aws: boto3>=1.26 is missing'] }],
        lastHeartbeatAt: T0 - 1000, heartbeatAgeMs: 1000, lastPollAt: T0 - 500, pollAgeMs: 500 },
      { ...base, workerId: 'w2', hostname: 'node-w2', state: 'running', reportedState: 'running', lastHeartbeatAt: T0 - 1000, heartbeatAgeMs: 1000, lastPollAt: T0 - 500, pollAgeMs: 500 },
      { ...base, workerId: 'w3', hostname: 'node-w3', state: 'lost', reportedState: 'running', lastHeartbeatAt: T0 - 120_000, heartbeatAgeMs: 120_000, lastPollAt: T0 - 121_000, pollAgeMs: 121_000 },
    ]);
  });

  it('inspects a worker: its running task instances and the messages it holds', async () => {
    const report = (await json(['workers', 'inspect', 'w1'])) as { worker: { workerId: string }; running: unknown[]; inFlight: Array<Record<string, unknown>> };
    expect(report.worker.workerId).toBe('w1');
    expect(report.running).toEqual([
      { dagId: 'etl', runId: 'manual__1', taskId: 'a_running', mapIndex: -1, tryNumber: 1, queue: 'default', workerId: 'w1', hostname: 'node-w1', pid: 4242, startDate: T0 - 30_000, elapsedMs: 30_000 },
    ]);
    const held = report.inFlight[0] as Record<string, unknown>;
    expect(held.leaseRemainingMs as number).toBeGreaterThan(0);
    expect(typeof held.leaseDeadline).toBe('number');
    expect({ ...held, leaseRemainingMs: 'LEFT', leaseDeadline: 'TIME' }).toEqual({
      id: 'etl|manual__1|a_running|-1|1', queue: 'default', workerId: 'w1', priority: 1, deliveries: 1, leaseDeadline: 'TIME', leaseRemainingMs: 'LEFT',
    });
    const unknown = await cli(['workers', 'inspect', 'nope']);
    expect([unknown.code, unknown.err]).toEqual([1, 'dagbridge: worker nope is not registered (see dagbridge workers list)\n']);
  });

  it('pings: heartbeat age per worker, exit 1 when none is alive', async () => {
    expect(await json(['workers', 'ping'])).toEqual({
      alive: 2,
      workers: [
        { workerId: 'w1', hostname: 'node-w1', alive: true, heartbeatAgeMs: 1000, state: 'running' },
        { workerId: 'w2', hostname: 'node-w2', alive: true, heartbeatAgeMs: 1000, state: 'running' },
        { workerId: 'w3', hostname: 'node-w3', alive: false, heartbeatAgeMs: 120_000, state: 'lost' },
      ],
    });
    const later = await cli(['workers', 'ping'], T0 + 600_000);
    expect(later.code).toBe(1);
    expect(later.out.trim().split('\n').at(-1)).toBe('0 of 3 worker(s) alive (lease 30.0s)');
  });
});

describe('tasks why', () => {
  const why = (taskId: string, dagId = 'etl', runId = 'manual__1'): Promise<unknown> => json(['tasks', 'why', dagId, runId, taskId]);

  it('a scheduled task instance behind a full pool', async () => {
    expect(await why('b_pool')).toEqual({
      dagId: 'etl', runId: 'manual__1', taskId: 'b_pool', mapIndex: -1, state: 'scheduled', tryNumber: 1, queue: 'default', pool: 'db', runState: 'running',
      triggerRule: 'all_success', upstream: [],
      reasons: [{ kind: 'admission', message: 'pool db is full: 0 of 1 slots open' }],
    });
  });

  it('a queued task instance on a queue whose only worker refuses it for its manifest', async () => {
    expect(((await why('c_aws')) as { reasons: unknown }).reasons).toEqual([
      { kind: 'message_ready', message: 'its message (try 1) is waiting on queue aws for a worker with a free slot' },
      { kind: 'no_eligible_worker', message: 'no eligible worker for queue aws' },
      { kind: 'manifest_mismatch', message: 'worker w1 (node-w1) refuses queue aws: boto3>=1.26 is missing' },
    ]);
  });

  it('a task waiting for retry, and its downstream waiting on it', async () => {
    expect(((await why('d_retry')) as { reasons: unknown }).reasons).toEqual([
      { kind: 'retry_wait', message: 'try 1 failed; waiting for the retry delay until 2030-01-01T12:04:50.000Z (in 290s)' },
    ]);
    const downstream = (await why('e_wait')) as { upstream: unknown; reasons: Array<{ kind: string; message: string }> };
    expect(downstream.upstream).toEqual([{ taskId: 'd_retry', states: { up_for_retry: 1 } }]);
    expect(downstream.reasons.map((r) => r.kind)).toEqual(['dependencies']);
    expect(downstream.reasons[0]?.message).toContain('0/1 upstream done');
  });

  it('a running task instance, and one of a paused DAG whose run is queued behind max_active_runs', async () => {
    expect(((await why('a_running')) as { reasons: unknown }).reasons).toEqual([
      { kind: 'running', message: 'it is running: try 1 on worker w1 (node-w1, pid 4242) since 2030-01-01T11:59:30.000Z (30s)' },
    ]);
    expect(((await why('t1', 'limited', 'r2')) as { reasons: unknown }).reasons).toEqual([
      { kind: 'max_active_runs', message: 'DAG run r2 is queued behind max_active_runs: DAG limited has 1 running run(s) (max_active_runs 1)' },
      { kind: 'dag_paused', message: 'DAG limited is paused: no run starts and no task is queued until it is unpaused (dagbridge dags unpause limited)' },
    ]);
    const table = await cli(['tasks', 'why', 'etl', 'manual__1', 'e_wait']);
    expect(table.out.split('\n').slice(0, 2)).toEqual([
      'etl manual__1 e_wait: none (try 0, queue default, pool default_pool; run running)',
      'trigger rule all_success; upstream: d_retry=up_for_retry',
    ]);
    const missing = await cli(['tasks', 'why', 'etl', 'manual__1', 'nope']);
    expect([missing.code, missing.err]).toEqual([1, 'dagbridge: task instance nope of etl manual__1 does not exist (see dagbridge tasks states etl manual__1)\n']);
  });
});

describe('status', () => {
  it('prints one snapshot as JSON: queues, warnings, workers, running tasks', async () => {
    const snapshot = (await json(['status'])) as { at: number; queues: Array<{ queue: string }>; warnings: string[]; workers: Array<{ workerId: string; state: string }>; running: Array<{ taskId: string }> };
    expect(snapshot.at).toBe(T0);
    expect(snapshot.queues.map((q) => q.queue)).toEqual(['aws', 'default']);
    expect(snapshot.warnings).toEqual(['queue aws: 1 ready and no eligible worker; w1 (node-w1) refuses it: boto3>=1.26 is missing']);
    expect(snapshot.workers.map((w) => [w.workerId, w.state])).toEqual([['w1', 'running'], ['w2', 'running'], ['w3', 'lost']]);
    expect(snapshot.running.map((t) => t.taskId)).toEqual(['a_running']);
    const screen = await cli(['status']);
    expect(screen.out.split('\n')[0]).toBe('dagbridge status at 2030-01-01T12:00:00.000Z: 1 ready, 1 running, 2 worker(s) alive (1/4 slots busy)');
  });
});

describe('changes (run last: they alter the cluster)', () => {
  it('drains, resumes and shuts down a worker through its row', async () => {
    expect(await json(['workers', 'drain', 'w2'])).toEqual({ workerId: 'w2', requestedAction: 'drain' });
    const report = (await json(['queue', 'list'])) as { queues: Array<{ queue: string; eligibleWorkers: string[] }> };
    expect(report.queues.find((q) => q.queue === 'default')?.eligibleWorkers).toEqual(['w1']);
    expect(((await json(['workers', 'list'])) as Array<{ workerId: string; requestedAction: string | null }>).map((w) => [w.workerId, w.requestedAction])).toEqual([
      ['w1', null], ['w2', 'drain'], ['w3', null],
    ]);
    expect(await json(['workers', 'resume', 'w2'])).toEqual({ workerId: 'w2', requestedAction: null });
    expect(await json(['workers', 'shutdown', 'w2', '--cold'])).toEqual({ workerId: 'w2', requestedAction: 'cold_shutdown' });
    const unknown = await cli(['workers', 'drain', 'nope']);
    expect([unknown.code, unknown.err]).toEqual([1, 'dagbridge: worker nope is not registered (see dagbridge workers list)\n']);
  });

  it('lists, drops and retries dead letters', async () => {
    await queue.deadLetter('default', 'not json', 'task message is not JSON: not json');
    const listed = (await json(['queue', 'dead-letter', 'list', 'default'])) as { queue: string; deadLetters: Array<Record<string, unknown>> };
    expect(listed.deadLetters.map((d) => ({ ...d, entryId: typeof d.entryId, deadAt: typeof d.deadAt }))).toEqual([
      { entryId: 'string', queue: 'default', id: null, payload: 'not json', payloadBytes: 8, payloadTruncated: false, reason: 'task message is not JSON: not json', priority: 0, deliveries: 0, deadAt: 'number', taskInstanceState: null },
      { entryId: 'string', queue: 'default', id: null, payload: '{"v":0}', payloadBytes: 7, payloadTruncated: false, reason: 'task message field v: Invalid literal value, expected 1', priority: 0, deliveries: 0, deadAt: 'number', taskInstanceState: null },
    ]);
    const [newest, oldest] = listed.deadLetters.map((d) => d.entryId as string);
    expect(await json(['queue', 'dead-letter', 'drop', 'default', newest as string])).toEqual({ queue: 'default', dropped: [{ entryId: newest, messageId: null, taskInstanceState: null }], missing: [] });
    const retried = (await json(['queue', 'dead-letter', 'retry', 'default', '--all'])) as { retried: Array<{ entryId: string }>; missing: string[] };
    expect(retried.retried.map((r) => r.entryId)).toEqual([oldest]);
    expect(retried.missing).toEqual([]);
    expect((await queue.listDeadLetters('default')).length).toBe(0);
    expect((await queue.stats(['default']))[0]?.ready).toBe(1);
    const usage = await cli(['queue', 'dead-letter', 'retry', 'default']);
    expect([usage.code, usage.err]).toEqual([2, 'dagbridge: give dead-letter entry ids or --all (see dagbridge queue dead-letter list default)\n']);
  });

  it('purges a queue: without --yes it only says how many; then the task instances go back to scheduled, or failed with --fail', async () => {
    const refused = await cli(['queue', 'purge', 'aws']);
    expect([refused.code, refused.err]).toEqual([2, 'dagbridge: queue purge removes the 1 ready message(s) of queue aws and reschedules their task instances: pass --yes to do it\n']);
    expect(await json(['queue', 'purge', 'aws', '--yes'])).toEqual({ queue: 'aws', purged: 1, rescheduled: 1, failed: 0, untouched: [] });
    const rescheduled = await store.getTaskInstance({ dagId: 'etl', runId: 'manual__1', taskId: 'c_aws', mapIndex: -1 });
    expect([rescheduled?.state, rescheduled?.tryNumber, rescheduled?.note]).toEqual(['scheduled', 2, 'message purged from queue aws by a user']);

    const [requeued] = await store.markQueued([{ dagId: 'etl', runId: 'manual__1', taskId: 'c_aws', mapIndex: -1, tryNumber: 2 }], T0);
    await queue.enqueue(message(requeued as TaskInstanceRecord));
    // A stale message of an older try is purged too, and its task instance left alone.
    await queue.enqueueRaw({ id: taskMessageId({ dagId: 'etl', runId: 'manual__1', taskId: 'c_aws', mapIndex: -1, tryNumber: 1 }), queue: 'aws', priority: 1, payload: '{}' });
    expect(await json(['queue', 'purge', 'aws', '--yes', '--fail'])).toEqual({
      queue: 'aws', purged: 2, rescheduled: 0, failed: 1, untouched: [{ id: 'etl|manual__1|c_aws|-1|1', reason: 'stale: the task instance is on try 2 (failed)' }],
    });
    expect((await store.getTaskInstance({ dagId: 'etl', runId: 'manual__1', taskId: 'c_aws', mapIndex: -1 }))?.state).toBe('failed');
  });
});
