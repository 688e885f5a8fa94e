/**
 * The in-memory twin of `RedisTaskQueue`: the same TaskQueue semantics (order, idempotent enqueue, leases,
 * redelivery cap, dead letters, inspection) held in one process, with an injectable clock. For unit tests of the
 * scheduler and the worker and for single-process runs; the shared behavioural suite
 * (`task-queue.suite.ts`) runs against both so they cannot drift apart.
 */
import {
  DEFAULT_DEAD_LETTER_CAP,
  checkClaimCount,
  checkCount,
  checkLeaseMs,
  checkMessageId,
  checkQueueName,
  checkQueues,
  checkRawMessage,
  deadLetterCutMessage,
  deadLetterPayload,
  checkWorkerId,
  rawMessageOf,
  reapSettings,
} from './arguments.js';
import { checkArgument } from './queue-error.js';
import { createHash } from 'node:crypto';
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

/** Options of the in-memory queue. */
export interface MemoryTaskQueueOptions {
  /** The queue's clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Dead letters kept per queue; older ones are trimmed. Default 10 000. */
  deadLetterCap?: number;
}

interface StoredMessage {
  id: string;
  queue: string;
  payload: string;
  priority: number;
  deliveries: number;
  enqueuedAt: number;
  /** Enqueue order: breaks ties between equal priorities enqueued in the same millisecond. */
  sequence: number;
  /** Set while in flight. */
  lease: { workerId: string; deadline: number } | null;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function claimOrder(a: StoredMessage, b: StoredMessage): number {
  return b.priority - a.priority || a.enqueuedAt - b.enqueuedAt || a.sequence - b.sequence || compareText(a.id, b.id);
}

function shortHash(value: string): string {
  return createHash('sha1').update(value).digest('hex').slice(0, 16);
}

/** TaskQueue held in memory; every method is atomic with respect to the others (single-threaded). */
export class MemoryTaskQueue implements TaskQueue {
  readonly deadLetterCap: number;
  private readonly now: () => number;
  private readonly messages = new Map<string, StoredMessage>();
  /** Ready messages per queue, kept in claim order (so a claim looks at one head per queue). */
  private readonly readyLists = new Map<string, StoredMessage[]>();
  private readonly knownQueues = new Set<string>();
  /** Per queue, newest first. */
  private readonly dead = new Map<string, DeadLetter[]>();
  private sequence = 0;

  constructor(options: MemoryTaskQueueOptions = {}) {
    this.now = options.now ?? Date.now;
    this.deadLetterCap = options.deadLetterCap ?? DEFAULT_DEAD_LETTER_CAP;
    checkArgument(
      Number.isSafeInteger(this.deadLetterCap) && this.deadLetterCap >= 1,
      `deadLetterCap must be a positive integer, got ${String(this.deadLetterCap)}`,
    );
  }

  private ready(queue: string): StoredMessage[] {
    return [...(this.readyLists.get(queue) ?? [])];
  }

  /** Puts a message (back) among the ready ones of its queue, at its place in claim order. */
  private makeReady(message: StoredMessage): void {
    message.lease = null;
    const list = this.readyLists.get(message.queue) ?? [];
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (claimOrder(list[middle] as StoredMessage, message) < 0) low = middle + 1;
      else high = middle;
    }
    list.splice(low, 0, message);
    this.readyLists.set(message.queue, list);
  }

  /** Takes a ready message out of its queue's ready list. */
  private unready(message: StoredMessage): void {
    const list = this.readyLists.get(message.queue);
    const index = list?.indexOf(message) ?? -1;
    if (list === undefined || index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.readyLists.delete(message.queue);
  }

  private leased(workerId?: string): StoredMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.lease !== null && (workerId === undefined || m.lease.workerId === workerId))
      .sort((a, b) => (a.lease?.deadline ?? 0) - (b.lease?.deadline ?? 0) || compareText(a.id, b.id));
  }

  private pushDeadLetter(entry: DeadLetter): void {
    const list = this.dead.get(entry.queue) ?? [];
    list.unshift(entry);
    list.length = Math.min(list.length, this.deadLetterCap);
    this.dead.set(entry.queue, list);
    this.knownQueues.add(entry.queue);
  }

  private uniqueEntryId(queue: string, id: string): string {
    this.sequence += 1;
    return shortHash(`${queue}\n${id}\n${this.now()}\n${this.sequence}`);
  }

  private insert(message: RawMessage, deliveries: number): boolean {
    if (this.messages.has(message.id)) return false;
    this.sequence += 1;
    const stored: StoredMessage = { ...message, deliveries, enqueuedAt: this.now(), sequence: this.sequence, lease: null };
    this.messages.set(message.id, stored);
    this.makeReady(stored);
    this.knownQueues.add(message.queue);
    return true;
  }

  async time(): Promise<number> {
    return this.now();
  }

  async enqueueRaw(message: RawMessage): Promise<boolean> {
    checkRawMessage(message);
    return this.insert({ id: message.id, queue: message.queue, priority: message.priority, payload: message.payload }, 0);
  }

  enqueue(message: TaskMessage): Promise<boolean> {
    return this.enqueueRaw(rawMessageOf(message));
  }

  async enqueueMany(messages: readonly TaskMessage[]): Promise<boolean[]> {
    const raws = messages.map(rawMessageOf);
    raws.forEach(checkRawMessage);
    return raws.map((raw) => this.insert(raw, 0));
  }

  async claim(workerId: string, queues: readonly string[], leaseMs: number): Promise<ClaimedMessage | null> {
    return (await this.claimMany(workerId, queues, leaseMs, 1))[0] ?? null;
  }

  async claimMany(workerId: string, queues: readonly string[], leaseMs: number, count: number): Promise<ClaimedMessage[]> {
    checkWorkerId(workerId);
    checkQueues(queues);
    checkLeaseMs(leaseMs);
    checkClaimCount(count);
    const deadline = this.now() + leaseMs;
    const claimed: ClaimedMessage[] = [];
    const distinct = [...new Set(queues)];
    while (claimed.length < count) {
      let best: StoredMessage | undefined;
      for (const queue of distinct) {
        const head = this.readyLists.get(queue)?.[0];
        if (head !== undefined && (best === undefined || claimOrder(head, best) < 0)) best = head;
      }
      if (best === undefined) break;
      this.unready(best);
      best.deliveries += 1;
      best.lease = { workerId, deadline };
      claimed.push({
        id: best.id,
        payload: best.payload,
        queue: best.queue,
        priority: best.priority,
        deliveries: best.deliveries,
        leaseDeadline: deadline,
      });
    }
    return claimed;
  }

  async renew(workerId: string, ids: readonly string[], leaseMs: number): Promise<RenewResult> {
    checkWorkerId(workerId);
    checkLeaseMs(leaseMs);
    ids.forEach(checkMessageId);
    const leaseDeadline = this.now() + leaseMs;
    const renewed: string[] = [];
    const lost: string[] = [];
    for (const id of ids) {
      const message = this.messages.get(id);
      if (message?.lease?.workerId === workerId) {
        message.lease.deadline = leaseDeadline;
        renewed.push(id);
      } else {
        lost.push(id);
      }
    }
    return { renewed, lost, leaseDeadline };
  }

  async ack(workerId: string, id: string): Promise<boolean> {
    checkWorkerId(workerId);
    checkMessageId(id);
    if (this.messages.get(id)?.lease?.workerId !== workerId) return false;
    this.messages.delete(id);
    return true;
  }

  async release(workerId: string, id: string, options: { uncountDelivery?: boolean } = {}): Promise<boolean> {
    checkWorkerId(workerId);
    checkMessageId(id);
    const message = this.messages.get(id);
    if (message?.lease?.workerId !== workerId) return false;
    if (options.uncountDelivery) message.deliveries = Math.max(0, message.deliveries - 1);
    this.makeReady(message);
    return true;
  }

  async reapExpired(options: ReapOptions): Promise<ReapResult> {
    const { maxDeliveries, now: given, limit } = reapSettings(options);
    const now = given ?? this.now();
    const result: ReapResult = { requeued: [], deadLettered: [] };
    const expired = this.leased().filter((m) => (m.lease?.deadline ?? Infinity) <= now).slice(0, limit);
    for (const message of expired) {
      const workerId = message.lease?.workerId ?? '';
      if (message.deliveries >= maxDeliveries) {
        this.messages.delete(message.id);
        const entry: DeadLetter = {
          entryId: this.uniqueEntryId(message.queue, message.id),
          queue: message.queue,
          id: message.id,
          ...deadLetterPayload(message.payload),
          reason: `lease expired after delivery ${message.deliveries} of ${maxDeliveries} (last held by worker ${workerId})`,
          priority: message.priority,
          deliveries: message.deliveries,
          deadAt: now,
        };
        this.pushDeadLetter(entry);
        result.deadLettered.push(entry);
      } else {
        this.makeReady(message);
        result.requeued.push({ id: message.id, queue: message.queue, workerId });
      }
    }
    return result;
  }

  async deadLetter(queue: string, raw: string, reason: string, held?: HeldMessage): Promise<string | null> {
    checkQueueName(queue);
    checkArgument(typeof raw === 'string', 'a dead-lettered payload must be a string');
    checkArgument(typeof reason === 'string' && reason.length > 0, 'a dead letter needs a reason');
    const deadAt = this.now();
    if (held !== undefined) {
      checkWorkerId(held.workerId);
      checkMessageId(held.id);
      const message = this.messages.get(held.id);
      if (message?.lease?.workerId !== held.workerId) return null;
      checkArgument(message.queue === queue, `message ${held.id} is on queue ${message.queue}, not ${queue}`);
      this.messages.delete(held.id);
      const entry: DeadLetter = {
        entryId: this.uniqueEntryId(queue, held.id),
        queue,
        id: held.id,
        ...deadLetterPayload(message.payload),
        reason,
        priority: message.priority,
        deliveries: message.deliveries,
        deadAt,
      };
      this.pushDeadLetter(entry);
      return entry.entryId;
    }
    const entryId = shortHash(`${queue}\n${raw}`);
    if ((this.dead.get(queue) ?? []).some((entry) => entry.entryId === entryId)) return entryId;
    this.pushDeadLetter({ entryId, queue, id: null, ...deadLetterPayload(raw), reason, priority: 0, deliveries: 0, deadAt });
    return entryId;
  }

  async listDeadLetters(queue: string, options: { offset?: number; limit?: number } = {}): Promise<DeadLetter[]> {
    checkQueueName(queue);
    const offset = options.offset ?? 0;
    const limit = options.limit ?? this.deadLetterCap;
    checkCount('offset', offset);
    checkCount('limit', limit);
    return (this.dead.get(queue) ?? []).slice(offset, offset + limit).map((entry) => ({ ...entry }));
  }

  private takeDeadLetter(queue: string, entryId: string, action: 'retry' | 'drop'): DeadLetter | null {
    checkQueueName(queue);
    checkArgument(typeof entryId === 'string' && entryId.length > 0, 'a dead-letter entry id must be a non-empty string');
    const list = this.dead.get(queue) ?? [];
    const index = list.findIndex((entry) => entry.entryId === entryId);
    if (index < 0) return null;
    checkArgument(action === 'drop' || !list[index]!.payloadTruncated, deadLetterCutMessage(entryId));
    const [entry] = list.splice(index, 1);
    if (list.length === 0) this.dead.delete(queue);
    return entry ?? null;
  }

  async retryDeadLetter(queue: string, entryId: string): Promise<string | null> {
    const entry = this.takeDeadLetter(queue, entryId, 'retry');
    if (entry === null) return null;
    const id = entry.id ?? `dead-letter:${entry.entryId}`;
    this.insert({ id, queue: entry.queue, priority: entry.priority, payload: entry.payload }, 0);
    return id;
  }

  async dropDeadLetter(queue: string, entryId: string): Promise<boolean> {
    return this.takeDeadLetter(queue, entryId, 'drop') !== null;
  }

  async stats(queues?: readonly string[]): Promise<QueueStats[]> {
    queues?.forEach(checkQueueName);
    const now = this.now();
    const names = [...new Set(queues ?? this.knownQueues)].sort(compareText);
    return names.map((queue) => {
      const ready = this.ready(queue);
      const oldest = ready.length === 0 ? null : Math.min(...ready.map((m) => m.enqueuedAt));
      return {
        queue,
        ready: ready.length,
        inFlight: this.leased().filter((m) => m.queue === queue).length,
        deadLettered: this.dead.get(queue)?.length ?? 0,
        oldestReadyAgeMs: oldest === null ? null : Math.max(0, now - oldest),
      };
    });
  }

  private readyView(message: StoredMessage): ReadyMessage {
    return {
      id: message.id,
      queue: message.queue,
      priority: message.priority,
      payload: message.payload,
      deliveries: message.deliveries,
      enqueuedAt: message.enqueuedAt,
    };
  }

  async peek(queue: string, count: number): Promise<ReadyMessage[]> {
    checkQueueName(queue);
    checkCount('count', count);
    return this.ready(queue)
      .slice(0, count)
      .map((m) => this.readyView(m));
  }

  async purge(queue: string): Promise<ReadyMessage[]> {
    checkQueueName(queue);
    const removed = this.ready(queue);
    for (const message of removed) this.messages.delete(message.id);
    this.readyLists.delete(queue);
    return removed.map((m) => this.readyView(m));
  }

  async inFlight(workerId?: string): Promise<InFlightMessage[]> {
    if (workerId !== undefined) checkWorkerId(workerId);
    return this.leased(workerId).map((m) => ({
      id: m.id,
      queue: m.queue,
      priority: m.priority,
      workerId: m.lease?.workerId ?? '',
      leaseDeadline: m.lease?.deadline ?? 0,
      deliveries: m.deliveries,
    }));
  }

  async remove(id: string): Promise<boolean> {
    checkMessageId(id);
    const message = this.messages.get(id);
    if (message === undefined) return false;
    if (message.lease === null) this.unready(message);
    this.messages.delete(id);
    return true;
  }

  async messageIds(): Promise<QueueMessageIds[]> {
    const names = new Set(this.knownQueues);
    for (const message of this.messages.values()) names.add(message.queue);
    return [...names].sort(compareText).map((queue) => ({
      queue,
      ready: this.ready(queue).map((m) => m.id),
      inFlight: this.leased()
        .filter((m) => m.queue === queue)
        .map((m) => m.id)
        .sort(compareText),
    }));
  }
}
