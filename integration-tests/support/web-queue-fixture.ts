/**
 * A queue and worker picture for the webserver tests: DAG `qdag` with one run whose task `t1` is queued on try
 * 1, its message claimed by worker `w1` and dead-lettered with a reason; worker `w1` serves `default` and
 * refuses `gpu` with the reason a manifest check gives.
 */
import { Redis } from 'ioredis';
import { TASK_MESSAGE_VERSION, type TaskMessage } from '../../src/ports/task-message.js';
import type { WorkerRecord } from '../../src/ports/worker-registry.js';
import { RedisTaskQueue } from '../../src/queue/redis-queue.js';
import { triggerDagRun } from '../../src/scheduler/run-creator.js';
import type { PgStore } from '../../src/store/pg-store.js';
import { bundleOf, dagSpec } from './database.js';
import { createTestRedisPrefix } from './servers.js';

export const QUEUE_DAG = dagSpec('qdag', { schedule: { type: 'none' } });
export const QUEUED_KEY = { dagId: 'qdag', runId: 'queued_run', taskId: 't1', mapIndex: -1 };
export const DEAD_REASON = 'worker w1 cannot serve queue default: boto3>=1.26 is missing';
export const REFUSAL = 'queue gpu: torch>=2 is not installed';

export async function seedQueueFixture(store: PgStore, queue: RedisTaskQueue, now: number, others: readonly Parameters<typeof bundleOf>[0][number][] = []): Promise<void> {
  await store.syncBundle(bundleOf([QUEUE_DAG, ...others]), now);
  const { run } = await triggerDagRun(store, (await store.getDag('qdag'))!, now, { conf: {}, runId: QUEUED_KEY.runId });
  await store.applyChanges(run, QUEUE_DAG, [{ kind: 'create', taskId: 't1', mapIndex: -1, priorityWeight: 1, state: 'scheduled' }], now);
  await store.markQueued([{ ...QUEUED_KEY, tryNumber: 1 }], now);
  const message: TaskMessage = {
    v: TASK_MESSAGE_VERSION, ...QUEUED_KEY, tryNumber: 1, queue: 'default', priority: 1,
    dagFile: { path: QUEUE_DAG.file, hash: QUEUE_DAG.fileHash }, manifestHash: null, enqueuedAt: now,
  };
  await queue.enqueue(message);
  const claimed = await queue.claim('w1', ['default'], 60_000);
  await queue.deadLetter('default', claimed!.payload, DEAD_REASON, { workerId: 'w1', id: claimed!.id });
  const worker: WorkerRecord = {
    workerId: 'w1', hostname: 'node-3', pid: 100, queues: ['default'], refused: [{ queue: 'gpu', reasons: [REFUSAL] }], concurrency: 2, slotsBusy: 0,
    version: '0.1.0', state: 'running', startedAt: now - 60_000, lastHeartbeatAt: now, lastPollAt: now, manifestHash: 'm1', manifestReport: null, requestedAction: null,
  };
  await store.registerWorker(worker);
}

/** A Redis queue under a key prefix of its own; `close` removes its keys and the connection. */
export async function openTestQueue(label: string): Promise<{ queue: RedisTaskQueue; close: () => Promise<void> }> {
  const prefix = await createTestRedisPrefix(label);
  const redis = new Redis(prefix.url, { maxRetriesPerRequest: 2 });
  redis.on('error', (error: Error) => console.error(`${label} test Redis client: ${error.message}`));
  return {
    queue: new RedisTaskQueue(redis, { prefix: prefix.prefix }),
    close: async () => {
      await prefix.cleanup();
      await redis.quit();
    },
  };
}
