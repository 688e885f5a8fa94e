/**
 * The Redis executor: queued task instances become task messages on their task's queue, ordered by priority
 * then age. Workers pull them (one per free slot). Enqueueing is idempotent per try, so the scheduler may hand
 * the same queued instance over again (after a Redis flush) without creating a duplicate.
 */
import type { TaskQueue } from '../ports/task-queue.js';
import { TASK_MESSAGE_VERSION, type TaskMessage } from '../ports/task-message.js';
import type { MetadataStore, TaskInstanceRecord } from '../ports/metadata-store.js';
import type { Executor } from '../ports/executor.js';

/** Collaborators of the Redis executor. */
export interface RedisExecutorOptions {
  queue: TaskQueue;
  store: Pick<MetadataStore, 'getDagRun' | 'getDagVersion'>;
  /** The manifest hash messages are queued under (null when no manifest is published). */
  manifestHash?: () => string | null;
  /** Tells idle workers that work arrived (pub/sub); optional, workers poll anyway. */
  signalWork?: (queues: string[]) => Promise<void>;
}

/** Hands queued instances to Redis. */
export class RedisExecutor implements Executor {
  readonly name = 'redis';
  private readonly files = new Map<string, { path: string; hash: string }>();

  constructor(private readonly options: RedisExecutorOptions) {}

  openSlots(): number {
    return Number.POSITIVE_INFINITY;
  }

  private async fileOf(ti: TaskInstanceRecord): Promise<{ path: string; hash: string } | null> {
    const id = `${ti.dagId}\u0000${ti.runId}`;
    const cached = this.files.get(id);
    if (cached) return cached;
    const run = await this.options.store.getDagRun(ti);
    if (!run) return null;
    const spec = await this.options.store.getDagVersion(run.dagId, run.versionHash);
    if (!spec) return null;
    const file = { path: spec.file, hash: spec.fileHash };
    if (this.files.size > 10_000) this.files.clear();
    this.files.set(id, file);
    return file;
  }

  /** The task message of a queued instance. */
  async messageOf(ti: TaskInstanceRecord, now: number): Promise<TaskMessage | null> {
    const file = await this.fileOf(ti);
    if (!file) return null;
    return {
      v: TASK_MESSAGE_VERSION,
      dagId: ti.dagId,
      runId: ti.runId,
      taskId: ti.taskId,
      mapIndex: ti.mapIndex,
      tryNumber: ti.tryNumber,
      queue: ti.queue,
      priority: ti.priorityWeight,
      dagFile: file,
      manifestHash: this.options.manifestHash?.() ?? null,
      enqueuedAt: now,
    };
  }

  async enqueue(instances: readonly TaskInstanceRecord[], now: number): Promise<void> {
    const messages: TaskMessage[] = [];
    for (const ti of instances) {
      const message = await this.messageOf(ti, now);
      if (message) messages.push(message);
    }
    if (messages.length === 0) return;
    await this.options.queue.enqueueMany(messages);
    await this.options.signalWork?.([...new Set(messages.map((m) => m.queue))]);
  }

  async stop(): Promise<void> {
    // Nothing in flight here: messages already in Redis stay for the workers.
  }
}
