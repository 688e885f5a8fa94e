/**
 * The task queue as the scheduler and the worker see it. Two implementations share these semantics and one
 * behavioural test suite: `RedisTaskQueue` (production, Lua scripts) and `MemoryTaskQueue` (unit tests and
 * single-process runs).
 *
 * Semantics (docs/queue.md):
 * - Transport only: PostgreSQL is the truth; a lost queue is rebuilt by the scheduler from its queued task
 *   instances (`messageIds` tells it which messages exist).
 * - At-least-once: a message leaves the queue only by `ack`, `remove`, `purge` or dead-lettering. A redelivered
 *   try is dropped later by the compare-and-set that starts a task instance in PostgreSQL.
 * - One message per try: the id comes from the task-instance key and the try number, so enqueueing the same try
 *   twice is a no-op.
 * - Order: higher priority first, then older first (enqueue time), then id.
 * - Leases, not a visibility timeout: `claim` hands a message to one worker until its lease deadline; the
 *   worker's heartbeat (`renew`) moves the deadline. Only `reapExpired` takes a message away from its holder,
 *   so a lease that ran out but was not reaped yet can still be renewed or acked by its holder. Lease times
 *   come from one clock (the Redis server's), never from the workers'.
 * - Bounded redelivery: when an expired lease would give a message its (maxDeliveries + 1)-th delivery, the
 *   message goes to its queue's dead-letter list with the reason instead.
 */
import type { TaskMessage } from './task-message.js';

/** A message to put on a queue as is. `enqueue` builds one from a `TaskMessage`. */
export interface RawMessage {
  /** Message id; enqueueing an id that is ready or in flight is a no-op. */
  id: string;
  queue: string;
  /** Higher first. A safe integer (Airflow priority weights are 32-bit). */
  priority: number;
  /** Stored and handed out as is; the worker validates it (`parseTaskMessage`). */
  payload: string;
}

/** What `claim` hands a worker. */
export interface ClaimedMessage {
  id: string;
  queue: string;
  priority: number;
  payload: string;
  /** How many times the message was handed out, this claim included (1 on the first claim). */
  deliveries: number;
  /** When the lease ends unless renewed, in ms since the epoch on the queue's clock. */
  leaseDeadline: number;
}

/** Outcome of a heartbeat. */
export interface RenewResult {
  /** Ids whose lease now ends at `leaseDeadline`. */
  renewed: string[];
  /** Ids this worker no longer holds (reaped and maybe claimed by another worker, acked, removed, purged). */
  lost: string[];
  leaseDeadline: number;
}

/** A message waiting on a queue. */
export interface ReadyMessage {
  id: string;
  queue: string;
  priority: number;
  payload: string;
  deliveries: number;
  /** When it was enqueued, ms since the epoch on the queue's clock. */
  enqueuedAt: number;
}

/** A message held by a worker. */
export interface InFlightMessage {
  id: string;
  queue: string;
  priority: number;
  workerId: string;
  leaseDeadline: number;
  deliveries: number;
}

/** One dead-lettered message, kept with the reason until retried, dropped or trimmed by the cap. */
export interface DeadLetter {
  /** Identifies the entry for `retryDeadLetter` / `dropDeadLetter`. */
  entryId: string;
  queue: string;
  /** The message id, or null for a raw payload dead-lettered without a claim. */
  id: string | null;
  /**
   * The payload as it was on the queue, cut to its first 64 KiB (on a character boundary) when it was longer:
   * `payloadTruncated` says so and `payloadBytes` is the full length. A cut entry cannot be retried.
   */
  payload: string;
  /** The full payload's length in UTF-8 bytes. */
  payloadBytes: number;
  /** True when `payload` holds only the start of the payload. */
  payloadTruncated: boolean;
  reason: string;
  priority: number;
  deliveries: number;
  /** When it was dead-lettered, ms since the epoch on the queue's clock. */
  deadAt: number;
}

/** Counts of one queue. */
export interface QueueStats {
  queue: string;
  ready: number;
  inFlight: number;
  deadLettered: number;
  /** Age of the oldest ready message in ms, null when none is ready. */
  oldestReadyAgeMs: number | null;
}

/** The ids present on one queue, for the scheduler's "queued but no message" check. */
export interface QueueMessageIds {
  queue: string;
  ready: string[];
  inFlight: string[];
}

/** Outcome of `reapExpired`. */
export interface ReapResult {
  /** Messages whose lease expired, back on their queue at their original place. */
  requeued: Array<{ id: string; queue: string; workerId: string }>;
  /** Messages that reached the redelivery cap; the scheduler should fail their try with the reason. */
  deadLettered: DeadLetter[];
}

/** Options of `reapExpired`. */
export interface ReapOptions {
  /** The most times a message is handed out; an expired lease past it dead-letters the message. At least 1. */
  maxDeliveries: number;
  /** The time to compare lease deadlines with (ms on the queue's clock). Default: the queue's clock now. */
  now?: number;
  /** The most leases examined in one call (one Lua script run); call again while it returns a full batch. Default 500. */
  limit?: number;
}

/** Identifies a claimed message when a worker dead-letters it. */
export interface HeldMessage {
  workerId: string;
  id: string;
}

/** The queue interface the scheduler and the worker depend on. */
export interface TaskQueue {
  /** The queue's clock (the Redis server's TIME), ms since the epoch. */
  time(): Promise<number>;
  /** Puts one try on its queue; false when that try's message already exists (ready or in flight). */
  enqueue(message: TaskMessage): Promise<boolean>;
  /** `enqueue` for many messages in one round trip; one result per message, in order. */
  enqueueMany(messages: readonly TaskMessage[]): Promise<boolean[]>;
  /** Puts a payload on a queue as is (tools, tests, and dead-letter retries); false when the id exists. */
  enqueueRaw(message: RawMessage): Promise<boolean>;
  /**
   * Takes the best ready message across `queues` (priority, then age) and leases it to `workerId` for
   * `leaseMs`; null when all are empty. One message per call: a worker claims once per free slot.
   */
  claim(workerId: string, queues: readonly string[], leaseMs: number): Promise<ClaimedMessage | null>;
  /**
   * `claim` up to `count` times in one round trip: the best ready messages across `queues`, in claim order, each
   * leased to `workerId` for `leaseMs` and its delivery counted exactly as a single claim does; fewer (or none)
   * when the queues hold fewer. A worker asks for as many as it has free slots (no prefetch).
   */
  claimMany(workerId: string, queues: readonly string[], leaseMs: number, count: number): Promise<ClaimedMessage[]>;
  /** The heartbeat: extends the lease of every id this worker still holds; the others are reported lost. */
  renew(workerId: string, ids: readonly string[], leaseMs: number): Promise<RenewResult>;
  /** Deletes a message this worker holds, leaving no key behind; false when it does not hold it (any more). */
  ack(workerId: string, id: string): Promise<boolean>;
  /**
   * Hands a held message back to its queue now, at its original place; false when not held by this worker. The
   * claim's delivery stays counted unless `uncountDelivery` (the worker never started it: the store was down).
   */
  release(workerId: string, id: string, options?: { uncountDelivery?: boolean }): Promise<boolean>;
  /** Returns expired leases to their queues or, past `maxDeliveries`, dead-letters them. Safe to run anywhere, any time. */
  reapExpired(options: ReapOptions): Promise<ReapResult>;
  /**
   * Dead-letters a payload found malformed, with the reason. With `held`, atomically takes the claimed message
   * out (the stored payload is kept as is) and returns null when the worker no longer holds it. Without, the
   * entry is keyed by a hash of the payload, so dead-lettering the same payload twice keeps one entry.
   * Returns the entry id.
   */
  deadLetter(queue: string, raw: string, reason: string, held?: HeldMessage): Promise<string | null>;
  /** Dead letters of a queue, newest first. */
  listDeadLetters(queue: string, options?: { offset?: number; limit?: number }): Promise<DeadLetter[]>;
  /**
   * Puts a dead letter back on its queue with its delivery count reset, and removes the entry. Returns the
   * message id (a no-op enqueue when a message with that id exists), or null when there is no such entry.
   * An entry whose payload was cut is refused (QueueError, invalid argument) and stays: drop it instead.
   */
  retryDeadLetter(queue: string, entryId: string): Promise<string | null>;
  /** Deletes a dead-letter entry; false when there is none. */
  dropDeadLetter(queue: string, entryId: string): Promise<boolean>;
  /** Counts per queue, sorted by name; every known queue when `queues` is omitted. */
  stats(queues?: readonly string[]): Promise<QueueStats[]>;
  /** The next `count` ready messages of a queue in claim order, without claiming them. */
  peek(queue: string, count: number): Promise<ReadyMessage[]>;
  /** Deletes every ready message of a queue and returns them (in claim order) so their tries can be reset. */
  purge(queue: string): Promise<ReadyMessage[]>;
  /** Messages held by workers (by one worker when given), soonest lease deadline first. */
  inFlight(workerId?: string): Promise<InFlightMessage[]>;
  /** Deletes a message wherever it is (ready or in flight); false when it does not exist. */
  remove(id: string): Promise<boolean>;
  /** Every message id present, ready or in flight, per known queue, as one consistent snapshot. */
  messageIds(): Promise<QueueMessageIds[]>;
}
