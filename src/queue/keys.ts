/**
 * The Redis key layout of the task queue. This file is the only place that decides key names: the TS side
 * builds full keys here, and the Lua scripts receive the key prefixes below (never a literal) when they must
 * reach a key named after an id they only learn inside the script (the message of a popped member, the
 * in-flight set of the worker that held an expired lease).
 *
 * Layout under the prefix `P` (default `dagbridge:`), see docs/queue.md:
 *
 * | key                 | type | holds                                                                   |
 * |---------------------|------|-------------------------------------------------------------------------|
 * | `P queues`          | SET  | every queue name ever enqueued to (bounded by the DAGs' `queue` values)  |
 * | `P queue:<q>`       | ZSET | ready messages: score `-priority`, member `<enqueue time, 16 digits>:<id>` |
 * | `P queue-age:<q>`   | ZSET | the same ready messages by enqueue time (ms): member `<id>`              |
 * | `P msg:<id>`        | HASH | one message: queue, payload, priority, deliveries, lease holder/deadline |
 * | `P leases`          | ZSET | every in-flight message: member `<id>`, score lease deadline (ms)        |
 * | `P worker:<w>`      | ZSET | the in-flight messages of worker `w` (deleted by Redis when empty)      |
 * | `P dead:<q>`        | LIST | dead letters of queue `q`, newest first, capped                          |
 * | `P work`            | pub/sub channel | "work was enqueued on these queues" wake-ups for idle workers  |
 *
 * Put a hash tag in the prefix (e.g. `{dagbridge}:`) to run on Redis Cluster: every key then lives in one slot,
 * which the multi-key scripts need.
 */

/** The default prefix of every key. */
export const DEFAULT_KEY_PREFIX = 'dagbridge:';

/** Width of the enqueue-time part of a ready member: seconds (10 digits) then microseconds (6 digits). */
export const MEMBER_TIME_DIGITS = 16;

/** Every key and key prefix of the queue under one prefix. */
export interface QueueKeys {
  readonly prefix: string;
  /** SET of known queue names. */
  readonly queues: string;
  /** ZSET of all in-flight message ids by lease deadline. */
  readonly leases: string;
  /** Pub/sub channel on which the scheduler wakes idle workers (no data is kept there). */
  readonly workChannel: string;
  /** Prefixes the Lua scripts append a queue name, message id or worker id to. */
  readonly readyPrefix: string;
  readonly agePrefix: string;
  readonly messagePrefix: string;
  readonly workerPrefix: string;
  readonly deadPrefix: string;
  ready(queue: string): string;
  age(queue: string): string;
  message(id: string): string;
  worker(workerId: string): string;
  dead(queue: string): string;
}

/** Builds the key layout under `prefix` (default `dagbridge:`). */
export function queueKeys(prefix: string = DEFAULT_KEY_PREFIX): QueueKeys {
  if (prefix.length === 0) throw new TypeError('the Redis key prefix must not be empty');
  const readyPrefix = `${prefix}queue:`;
  const agePrefix = `${prefix}queue-age:`;
  const messagePrefix = `${prefix}msg:`;
  const workerPrefix = `${prefix}worker:`;
  const deadPrefix = `${prefix}dead:`;
  return Object.freeze({
    prefix,
    queues: `${prefix}queues`,
    leases: `${prefix}leases`,
    workChannel: `${prefix}work`,
    readyPrefix,
    agePrefix,
    messagePrefix,
    workerPrefix,
    deadPrefix,
    ready: (queue: string) => readyPrefix + queue,
    age: (queue: string) => agePrefix + queue,
    message: (id: string) => messagePrefix + id,
    worker: (workerId: string) => workerPrefix + workerId,
    dead: (queue: string) => deadPrefix + queue,
  });
}
