/**
 * Argument checks shared by every TaskQueue implementation, so the Redis queue and its in-memory twin refuse
 * the same inputs with the same messages, and the conversion of a task message into a queue message.
 */
import { checkArgument } from './queue-error.js';
import { taskMessageId } from '../ports/message-id.js';
import type { TaskMessage } from '../ports/task-message.js';
import type { RawMessage, ReapOptions } from '../ports/task-queue.js';

/** Default number of leases one `reapExpired` call examines. */
export const DEFAULT_REAP_LIMIT = 500;

/** Default number of dead letters kept per queue (oldest trimmed). */
export const DEFAULT_DEAD_LETTER_CAP = 10_000;

/**
 * The largest payload a queue accepts, in UTF-8 bytes (1 MiB). A task message is a few hundred bytes (PostgreSQL
 * holds everything else), so this only refuses what would otherwise sit whole in Redis memory.
 */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * The most of a payload a dead-letter entry keeps, in UTF-8 bytes (64 KiB); the entry records the full length
 * and that it was cut. With the count cap (`deadLetterCap`) this bounds a dead-letter list's memory.
 */
export const DEAD_LETTER_PAYLOAD_BYTES = 64 * 1024;

/** What a dead-letter entry keeps of a payload: the same cut as `lua/shared/payload-excerpt.lua`. */
export function deadLetterPayload(payload: string): { payload: string; payloadBytes: number; payloadTruncated: boolean } {
  const bytes = Buffer.from(payload, 'utf8');
  if (bytes.length <= DEAD_LETTER_PAYLOAD_BYTES) return { payload, payloadBytes: bytes.length, payloadTruncated: false };
  let cut = DEAD_LETTER_PAYLOAD_BYTES;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut -= 1;
  return { payload: bytes.subarray(0, cut).toString('utf8'), payloadBytes: bytes.length, payloadTruncated: true };
}

/** Why a dead letter whose payload was cut cannot be retried (the Lua script says the same). */
export function deadLetterCutMessage(entryId: string): string {
  return `dead letter ${entryId} kept only the first ${DEAD_LETTER_PAYLOAD_BYTES} bytes of its payload, so it cannot be put back; drop it`;
}

/** A queue name is a non-empty string. */
export function checkQueueName(queue: string): void {
  checkArgument(typeof queue === 'string' && queue.length > 0, 'a queue name must be a non-empty string');
}

/** A worker id is a non-empty string. */
export function checkWorkerId(workerId: string): void {
  checkArgument(typeof workerId === 'string' && workerId.length > 0, 'a worker id must be a non-empty string');
}

/** A message id is a non-empty string. */
export function checkMessageId(id: string): void {
  checkArgument(typeof id === 'string' && id.length > 0, 'a message id must be a non-empty string');
}

/** A lease length is a positive integer number of ms. */
export function checkLeaseMs(leaseMs: number): void {
  checkArgument(Number.isSafeInteger(leaseMs) && leaseMs > 0, `leaseMs must be a positive integer, got ${String(leaseMs)}`);
}

/** A claim asks for at least one message. */
export function checkClaimCount(count: number): void {
  checkArgument(Number.isSafeInteger(count) && count > 0, `count must be a positive integer, got ${String(count)}`);
}

/** A claim names at least one queue, each a non-empty string. */
export function checkQueues(queues: readonly string[]): void {
  checkArgument(Array.isArray(queues) && queues.length > 0, 'claim needs at least one queue name');
  for (const queue of queues) checkQueueName(queue);
}

/** Counts, offsets and limits are non-negative integers. */
export function checkCount(name: string, value: number): void {
  checkArgument(Number.isSafeInteger(value) && value >= 0, `${name} must be a non-negative integer, got ${String(value)}`);
}

/**
 * Checks a raw message: non-empty id and queue, a safe-integer priority (scores must be exact), a string payload
 * of at most `MAX_PAYLOAD_BYTES`.
 */
export function checkRawMessage(message: RawMessage): void {
  checkMessageId(message.id);
  checkQueueName(message.queue);
  checkArgument(
    Number.isSafeInteger(message.priority),
    `message ${message.id}: priority must be a safe integer, got ${String(message.priority)}`,
  );
  checkArgument(typeof message.payload === 'string', `message ${message.id}: the payload must be a string`);
  const bytes = Buffer.byteLength(message.payload, 'utf8');
  checkArgument(
    bytes <= MAX_PAYLOAD_BYTES,
    `message ${message.id}: the payload is ${bytes} bytes, more than the ${MAX_PAYLOAD_BYTES} a queue accepts (a task message is small: PostgreSQL holds the rest)`,
  );
}

/** Checks reap options and fills in the defaults (`now` stays undefined: the queue's clock). */
export function reapSettings(options: ReapOptions): { maxDeliveries: number; now: number | undefined; limit: number } {
  checkArgument(
    Number.isSafeInteger(options.maxDeliveries) && options.maxDeliveries >= 1,
    `maxDeliveries must be an integer of at least 1, got ${String(options.maxDeliveries)}`,
  );
  const limit = options.limit ?? DEFAULT_REAP_LIMIT;
  checkArgument(Number.isSafeInteger(limit) && limit >= 1, `the reap limit must be a positive integer, got ${String(limit)}`);
  if (options.now !== undefined) {
    checkArgument(Number.isSafeInteger(options.now) && options.now >= 0, `now must be ms since the epoch, got ${String(options.now)}`);
  }
  return { maxDeliveries: options.maxDeliveries, now: options.now, limit };
}

/** The queue message of one try: deterministic id, the task's queue and priority, the JSON payload. */
export function rawMessageOf(message: TaskMessage): RawMessage {
  return { id: taskMessageId(message), queue: message.queue, priority: message.priority, payload: JSON.stringify(message) };
}
