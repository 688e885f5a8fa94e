/**
 * The production TaskQueue: Redis, one Lua script per operation that changes more than one key, so every
 * change is atomic and a script that runs twice (a retried command) does no harm. The client comes from the
 * composition root; this class never opens or closes a connection.
 */
import type { Redis } from 'ioredis';
import {
  DEFAULT_DEAD_LETTER_CAP,
  checkClaimCount,
  checkCount,
  checkLeaseMs,
  checkMessageId,
  checkQueueName,
  checkQueues,
  checkRawMessage,
  DEAD_LETTER_PAYLOAD_BYTES,
  checkWorkerId,
  rawMessageOf,
  reapSettings,
} from './arguments.js';
import { queueKeys, DEFAULT_KEY_PREFIX, type QueueKeys } from './keys.js';
import { checkArgument, toQueueError } from './queue-error.js';
import { queueScript, registerScripts, runScript, type ScriptArgument, type ScriptName } from './scripts.js';
import type { TaskMessage } from '../ports/task-message.js';
import type {
  ClaimedMessage,
  DeadLetter,
  HeldMessage,
  InFlightMessage,
  QueueMessageIds,
  QueueStats,
  RawMessage,
  ReadyMessage,
  ReapOptions,
  ReapResult,
  RenewResult,
  TaskQueue,
} from '../ports/task-queue.js';

/** Options of the Redis queue. */
export interface RedisTaskQueueOptions {
  /** Prefix of every key. Default `dagbridge:`. */
  prefix?: string;
  /** Dead letters kept per queue; older ones are trimmed. Default 10 000. */
  deadLetterCap?: number;
}

type Row = unknown[];

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(text(value));
}

function rows(reply: unknown): Row[] {
  return Array.isArray(reply) ? (reply as Row[]) : [];
}

function readyRow(queue: string, row: Row): ReadyMessage {
  return {
    id: text(row[0]),
    queue,
    payload: text(row[1]),
    priority: num(row[2]),
    deliveries: num(row[3]),
    enqueuedAt: num(row[4]),
  };
}

/** Reads a dead-letter entry as the scripts write it (cjson). */
export function parseDeadLetterEntry(json: string): DeadLetter {
  const entry = JSON.parse(json) as Record<string, unknown>;
  const payload = text(entry.payload);
  return {
    entryId: text(entry.entryId),
    queue: text(entry.queue),
    id: entry.id === null || entry.id === undefined ? null : text(entry.id),
    payload,
    // Entries written before payloads were cut carry neither field: they hold the whole payload.
    payloadBytes: entry.payloadBytes === undefined ? Buffer.byteLength(payload, 'utf8') : num(entry.payloadBytes),
    payloadTruncated: entry.payloadTruncated === true,
    reason: text(entry.reason),
    priority: num(entry.priority),
    deliveries: num(entry.deliveries),
    deadAt: num(entry.deadAt),
  };
}

/** TaskQueue on Redis. See docs/queue.md for the key layout and the scripts. */
export class RedisTaskQueue implements TaskQueue {
  readonly keys: QueueKeys;
  readonly deadLetterCap: number;
  private readonly client: Redis;

  constructor(client: Redis, options: RedisTaskQueueOptions = {}) {
    this.client = client;
    this.keys = queueKeys(options.prefix ?? DEFAULT_KEY_PREFIX);
    this.deadLetterCap = options.deadLetterCap ?? DEFAULT_DEAD_LETTER_CAP;
    checkArgument(
      Number.isSafeInteger(this.deadLetterCap) && this.deadLetterCap >= 1,
      `deadLetterCap must be a positive integer, got ${String(this.deadLetterCap)}`,
    );
    registerScripts(client);
  }

  private async run(operation: string, name: ScriptName, keys: readonly string[], args: readonly ScriptArgument[]): Promise<unknown> {
    try {
      return await runScript(this.client, name, keys, args);
    } catch (thrown) {
      throw toQueueError(thrown, operation);
    }
  }

  async time(): Promise<number> {
    try {
      const [seconds, micros] = await this.client.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    } catch (thrown) {
      throw toQueueError(thrown, 'time');
    }
  }

  private enqueueArguments(message: RawMessage): { keys: string[]; args: ScriptArgument[] } {
    checkRawMessage(message);
    const k = this.keys;
    return {
      keys: [k.queues, k.ready(message.queue), k.age(message.queue), k.message(message.id)],
      args: [message.queue, message.id, message.payload, String(message.priority)],
    };
  }

  async enqueueRaw(message: RawMessage): Promise<boolean> {
    const { keys, args } = this.enqueueArguments(message);
    return num(await this.run('enqueue', 'enqueue', keys, args)) === 1;
  }

  enqueue(message: TaskMessage): Promise<boolean> {
    return this.enqueueRaw(rawMessageOf(message));
  }

  async enqueueMany(messages: readonly TaskMessage[]): Promise<boolean[]> {
    if (messages.length === 0) return [];
    const calls = messages.map((message) => this.enqueueArguments(rawMessageOf(message)));
    const pipeline = this.client.pipeline();
    for (const { keys, args } of calls) queueScript(pipeline, 'enqueue', keys, args);
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (thrown) {
      throw toQueueError(thrown, 'enqueue');
    }
    if (results === null) throw toQueueError(new Error('Connection is closed'), 'enqueue');
    return results.map(([error, reply]) => {
      if (error) throw toQueueError(error, 'enqueue');
      return num(reply) === 1;
    });
  }

  async claim(workerId: string, queues: readonly string[], leaseMs: number): Promise<ClaimedMessage | null> {
    return (await this.claimMany(workerId, queues, leaseMs, 1))[0] ?? null;
  }

  async claimMany(workerId: string, queues: readonly string[], leaseMs: number, count: number): Promise<ClaimedMessage[]> {
    checkWorkerId(workerId);
    checkQueues(queues);
    checkLeaseMs(leaseMs);
    checkClaimCount(count);
    const k = this.keys;
    const distinct = [...new Set(queues)];
    const reply = await this.run(
      'claim',
      'claim',
      [k.leases, k.worker(workerId), ...distinct.map((queue) => k.ready(queue))],
      [workerId, leaseMs, k.messagePrefix, k.agePrefix, count],
    );
    return rows(reply).map((row) => ({
      id: text(row[0]),
      payload: text(row[1]),
      queue: text(row[2]),
      priority: num(row[3]),
      deliveries: num(row[4]),
      leaseDeadline: num(row[5]),
    }));
  }

  async renew(workerId: string, ids: readonly string[], leaseMs: number): Promise<RenewResult> {
    checkWorkerId(workerId);
    checkLeaseMs(leaseMs);
    ids.forEach(checkMessageId);
    const k = this.keys;
    const reply = rows(
      await this.run('renew', 'renew', [k.leases, k.worker(workerId)], [workerId, leaseMs, k.messagePrefix, ...ids]),
    );
    return {
      leaseDeadline: num(reply[0]),
      renewed: rows(reply[1]).map(text),
      lost: rows(reply[2]).map(text),
    };
  }

  async ack(workerId: string, id: string): Promise<boolean> {
    checkWorkerId(workerId);
    checkMessageId(id);
    const k = this.keys;
    return num(await this.run('ack', 'ack', [k.leases, k.worker(workerId), k.message(id)], [workerId, id])) === 1;
  }

  async release(workerId: string, id: string, options: { uncountDelivery?: boolean } = {}): Promise<boolean> {
    checkWorkerId(workerId);
    checkMessageId(id);
    const k = this.keys;
    const reply = await this.run('release', 'release', [k.leases, k.worker(workerId), k.message(id)], [
      workerId,
      id,
      k.readyPrefix,
      k.agePrefix,
      options.uncountDelivery ? '1' : '0',
    ]);
    return num(reply) === 1;
  }

  async reapExpired(options: ReapOptions): Promise<ReapResult> {
    const { maxDeliveries, now, limit } = reapSettings(options);
    const k = this.keys;
    const reply = rows(
      await this.run('reap', 'reap', [k.leases, k.queues], [
        now === undefined ? '' : now,
        maxDeliveries,
        limit,
        k.messagePrefix,
        k.workerPrefix,
        k.readyPrefix,
        k.agePrefix,
        k.deadPrefix,
        this.deadLetterCap,
        DEAD_LETTER_PAYLOAD_BYTES,
      ]),
    );
    const flat = rows(reply[0]).map(text);
    const requeued: ReapResult['requeued'] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      requeued.push({ id: flat[i] as string, queue: flat[i + 1] as string, workerId: flat[i + 2] as string });
    }
    return { requeued, deadLettered: rows(reply[1]).map((entry) => parseDeadLetterEntry(text(entry))) };
  }

  async deadLetter(queue: string, raw: string, reason: string, held?: HeldMessage): Promise<string | null> {
    checkQueueName(queue);
    checkArgument(typeof raw === 'string', 'a dead-lettered payload must be a string');
    checkArgument(typeof reason === 'string' && reason.length > 0, 'a dead letter needs a reason');
    if (held !== undefined) {
      checkWorkerId(held.workerId);
      checkMessageId(held.id);
    }
    const k = this.keys;
    const reply = await this.run(
      'dead-letter',
      'dead-letter',
      [
        k.queues,
        k.dead(queue),
        k.leases,
        held ? k.worker(held.workerId) : k.leases,
        held ? k.message(held.id) : k.queues,
      ],
      [queue, raw, reason, held?.id ?? '', held?.workerId ?? '', this.deadLetterCap, DEAD_LETTER_PAYLOAD_BYTES],
    );
    return reply === null ? null : text(reply);
  }

  async listDeadLetters(queue: string, options: { offset?: number; limit?: number } = {}): Promise<DeadLetter[]> {
    checkQueueName(queue);
    const offset = options.offset ?? 0;
    const limit = options.limit ?? this.deadLetterCap;
    checkCount('offset', offset);
    checkCount('limit', limit);
    if (limit === 0) return [];
    try {
      const entries = await this.client.lrange(this.keys.dead(queue), offset, offset + limit - 1);
      return entries.map(parseDeadLetterEntry);
    } catch (thrown) {
      throw toQueueError(thrown, 'listDeadLetters');
    }
  }

  private async takeDeadLetter(queue: string, entryId: string, action: 'retry' | 'drop'): Promise<string | null> {
    checkQueueName(queue);
    checkArgument(typeof entryId === 'string' && entryId.length > 0, 'a dead-letter entry id must be a non-empty string');
    const k = this.keys;
    const reply = await this.run(`${action}DeadLetter`, 'dead-letter-take', [k.dead(queue), k.queues], [
      entryId,
      action,
      k.messagePrefix,
      k.readyPrefix,
      k.agePrefix,
      DEAD_LETTER_PAYLOAD_BYTES,
    ]);
    return reply === null ? null : text(reply);
  }

  retryDeadLetter(queue: string, entryId: string): Promise<string | null> {
    return this.takeDeadLetter(queue, entryId, 'retry');
  }

  async dropDeadLetter(queue: string, entryId: string): Promise<boolean> {
    return (await this.takeDeadLetter(queue, entryId, 'drop')) !== null;
  }

  async stats(queues?: readonly string[]): Promise<QueueStats[]> {
    queues?.forEach(checkQueueName);
    const k = this.keys;
    const reply = rows(
      await this.run('stats', 'stats', [k.queues, k.leases], [
        k.readyPrefix,
        k.agePrefix,
        k.deadPrefix,
        k.messagePrefix,
        ...new Set(queues ?? []),
      ]),
    );
    return reply
      .map((row) => ({
        queue: text(row[0]),
        ready: num(row[1]),
        inFlight: num(row[2]),
        deadLettered: num(row[3]),
        oldestReadyAgeMs: num(row[4]) < 0 ? null : num(row[4]),
      }))
      .sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
  }

  async peek(queue: string, count: number): Promise<ReadyMessage[]> {
    checkQueueName(queue);
    checkCount('count', count);
    if (count === 0) return [];
    const reply = await this.run('peek', 'peek', [this.keys.ready(queue)], [this.keys.messagePrefix, count]);
    return rows(reply).map((row) => readyRow(queue, rows(row)));
  }

  async purge(queue: string): Promise<ReadyMessage[]> {
    checkQueueName(queue);
    const k = this.keys;
    const reply = await this.run('purge', 'purge', [k.ready(queue), k.age(queue)], [k.messagePrefix]);
    return rows(reply).map((row) => readyRow(queue, rows(row)));
  }

  async inFlight(workerId?: string): Promise<InFlightMessage[]> {
    if (workerId !== undefined) checkWorkerId(workerId);
    const k = this.keys;
    const source = workerId === undefined ? k.leases : k.worker(workerId);
    const reply = await this.run('inFlight', 'in-flight', [source], [k.messagePrefix]);
    return rows(reply).map((value) => {
      const row = rows(value);
      return {
        id: text(row[0]),
        queue: text(row[1]),
        workerId: text(row[2]),
        leaseDeadline: num(row[3]),
        deliveries: num(row[4]),
        priority: num(row[5]),
      };
    });
  }

  async remove(id: string): Promise<boolean> {
    checkMessageId(id);
    const k = this.keys;
    const reply = await this.run('remove', 'remove', [k.leases, k.message(id)], [id, k.readyPrefix, k.agePrefix, k.workerPrefix]);
    return num(reply) === 1;
  }

  async messageIds(): Promise<QueueMessageIds[]> {
    const k = this.keys;
    const reply = await this.run('messageIds', 'message-ids', [k.queues, k.leases], [k.readyPrefix, k.messagePrefix]);
    return rows(reply)
      .map((value) => {
        const row = rows(value);
        return { queue: text(row[0]), ready: rows(row[1]).map(text), inFlight: rows(row[2]).map(text).sort() };
      })
      .sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
  }
}
