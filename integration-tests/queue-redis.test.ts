/**
 * What only the Redis queue can show: the exact keys it leaves (none for an acknowledged message), claims from
 * several connections at once never handing one message to two workers, script errors mapped to QueueError,
 * scripts surviving SCRIPT FLUSH, damaged data skipped, and the connection helper reconnecting and redacting.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisClient } from '../src/queue/connection.js';
import { checkRedisServer, redisServerReport } from '../src/queue/server-check.js';
import { queueKeys } from '../src/queue/keys.js';
import { QueueError, toQueueError } from '../src/queue/queue-error.js';
import { RedisTaskQueue } from '../src/queue/redis-queue.js';
import { registerScripts, runScript } from '../src/queue/scripts.js';
import { sampleMessage } from '../src/queue/task-queue.suite.js';
import { taskMessageId } from '../src/ports/message-id.js';
import { createLogger } from '../src/lib/logger.js';
import { createTestRedisPrefix, redisServerUrl } from './support/servers.js';

let url: string;
let client: Redis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  url = await redisServerUrl();
  client = new Redis(url, { maxRetriesPerRequest: 2 });
  client.on('error', (error: Error) => console.error(`queue test Redis client: ${error.message}`));
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

afterAll(async () => {
  await client.quit();
});

async function freshQueue(redis: Redis = client, options: { deadLetterCap?: number } = {}): Promise<RedisTaskQueue> {
  const { prefix, cleanup } = await createTestRedisPrefix('queue-redis');
  cleanups.push(cleanup);
  return new RedisTaskQueue(redis, { prefix, ...options });
}

async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

describe('RedisTaskQueue keys', () => {
  it('lays out a ready message and a leased one exactly as documented', async () => {
    const queue = await freshQueue();
    const p = queue.keys.prefix;
    const message = sampleMessage({ priority: 4 });
    const id = taskMessageId(message);
    await queue.enqueue(message);
    expect(await keysUnder(p)).toEqual([`${p}msg:${id}`, `${p}queue-age:default`, `${p}queue:default`, `${p}queues`]);
    const [member, score] = await client.zrange(`${p}queue:default`, 0, 0, 'WITHSCORES');
    expect(score).toBe('-4');
    expect(member!.slice(0, 16)).toMatch(/^\d{16}$/);
    expect(member!.slice(16)).toBe(`:${id}`);
    expect(await client.hgetall(`${p}msg:${id}`)).toMatchObject({ q: 'default', p: JSON.stringify(message), pr: '4', d: '0', m: member });

    await queue.claim('w1', ['default'], 60_000);
    expect(await keysUnder(p)).toEqual([`${p}leases`, `${p}msg:${id}`, `${p}queues`, `${p}worker:w1`]);
  });

  it('leaves no key of an acknowledged, removed, purged or dead-lettered message behind', async () => {
    const queue = await freshQueue();
    const p = queue.keys.prefix;
    const messages = Array.from({ length: 6 }, (_, i) => sampleMessage({ taskId: `t${i}`, queue: i % 2 === 0 ? 'even' : 'odd' }));
    await queue.enqueueMany(messages);

    const acked = await queue.claim('w1', ['even'], 60_000);
    await queue.ack('w1', acked!.id);
    const reaped = await queue.claim('w2', ['odd'], 1_000);
    await queue.reapExpired({ maxDeliveries: 1, now: reaped!.leaseDeadline });
    const malformed = await queue.claim('w3', ['odd'], 60_000);
    await queue.deadLetter('odd', malformed!.payload, 'bad', { workerId: 'w3', id: malformed!.id });
    await queue.remove(taskMessageId(messages[2]!));
    const held = await queue.claim('w4', ['odd'], 60_000);
    await queue.remove(held!.id);
    await queue.purge('even');
    for (const entry of await queue.listDeadLetters('odd')) await queue.dropDeadLetter('odd', entry.entryId);

    expect(await queue.stats()).toEqual([
      { queue: 'even', ready: 0, inFlight: 0, deadLettered: 0, oldestReadyAgeMs: null },
      { queue: 'odd', ready: 0, inFlight: 0, deadLettered: 0, oldestReadyAgeMs: null },
    ]);
    // Only the registry of queue names stays: it is bounded by the queue names the DAGs use.
    expect(await keysUnder(p)).toEqual([`${p}queues`]);
  });

  it('keeps everything under its own prefix', async () => {
    const a = await freshQueue();
    const b = await freshQueue();
    await a.enqueue(sampleMessage());
    expect(await b.claim('w', ['default'], 1_000)).toBeNull();
    expect((await b.stats()).length).toBe(0);
    expect((await a.claim('w', ['default'], 1_000))?.deliveries).toBe(1);
  });

  it('reports the age of the oldest ready message, not of the next one to claim', async () => {
    const queue = await freshQueue();
    await queue.enqueue(sampleMessage({ taskId: 'old', priority: 1 }));
    await queue.enqueue(sampleMessage({ taskId: 'new', priority: 9 }));
    const [next, oldest] = await queue.peek('default', 2);
    expect(next!.enqueuedAt).toBeGreaterThanOrEqual(oldest!.enqueuedAt);
    const before = await queue.time();
    const [stats] = await queue.stats();
    const after = await queue.time();
    expect(stats!.oldestReadyAgeMs).toBeGreaterThanOrEqual(before - oldest!.enqueuedAt);
    expect(stats!.oldestReadyAgeMs).toBeLessThanOrEqual(after - oldest!.enqueuedAt);
  });
});

describe('RedisTaskQueue under concurrent claims', () => {
  it('hands each of 500 messages to exactly one of 8 connections claiming in parallel', async () => {
    const seed = await freshQueue();
    const prefix = seed.keys.prefix;
    const messages = Array.from({ length: 500 }, (_, i) =>
      sampleMessage({ taskId: `task_${i}`, queue: i % 3 === 0 ? 'a' : 'b', priority: i % 7 }),
    );
    expect((await seed.enqueueMany(messages)).every(Boolean)).toBe(true);

    const connections = Array.from({ length: 8 }, () => {
      const connection = new Redis(url, { maxRetriesPerRequest: 2 });
      connection.on('error', (error: Error) => console.error(`claimer: ${error.message}`));
      return connection;
    });
    try {
      const claimedBy = await Promise.all(
        connections.map(async (connection, index) => {
          const queue = new RedisTaskQueue(connection, { prefix });
          const workerId = `worker-${index}`;
          const ids: string[] = [];
          // Several claims in flight per connection, as a worker with several free slots would issue them.
          await Promise.all(
            // Half of the connections claim in batches of up to 3, as a worker with 3 free slots does.
            Array.from({ length: 4 }, async () => {
              for (;;) {
                const batch = index % 2 === 0 ? await queue.claimMany(workerId, ['a', 'b'], 60_000, 3) : [await queue.claim(workerId, ['a', 'b'], 60_000)].filter((m) => m !== null);
                if (batch.length === 0) return;
                for (const claimed of batch) {
                  ids.push(claimed.id);
                  expect(await queue.ack(workerId, claimed.id)).toBe(true);
                }
              }
            }),
          );
          return ids;
        }),
      );
      const all = claimedBy.flat();
      expect(all).toHaveLength(500);
      expect(new Set(all).size).toBe(500);
      expect(new Set(all)).toEqual(new Set(messages.map(taskMessageId)));
      expect(await keysUnder(prefix)).toEqual([`${prefix}queues`]);
    } finally {
      await Promise.all(connections.map((connection) => connection.quit()));
    }
  });
});

describe('RedisTaskQueue scripts', () => {
  it('maps a Lua error reply to a QueueError', async () => {
    const queue = await freshQueue();
    const keys = queueKeys(queue.keys.prefix);
    let caught: unknown;
    try {
      await runScript(client, 'claim', [keys.leases, keys.worker('w'), keys.ready('default')], ['w', 0, keys.messagePrefix, keys.agePrefix]);
    } catch (thrown) {
      caught = toQueueError(thrown, 'claim');
    }
    expect(caught).toBeInstanceOf(QueueError);
    expect(caught).toMatchObject({ reason: 'invalid-argument', message: 'queue claim: leaseMs must be a positive integer, got 0' });

    const reapArguments = ['', 0, 10, keys.messagePrefix, keys.workerPrefix, keys.readyPrefix, keys.agePrefix, keys.deadPrefix, 5];
    caught = await runScript(client, 'reap', [keys.leases, keys.queues], reapArguments).catch((thrown: unknown) => toQueueError(thrown, 'reap'));
    expect(caught).toMatchObject({ reason: 'invalid-argument', message: 'queue reap: maxDeliveries must be an integer >= 1, got 0' });
  });

  it('keeps working after the server forgets its scripts (restart, SCRIPT FLUSH), in pipelines too', async () => {
    const own = new Redis(url, { maxRetriesPerRequest: 2 });
    own.on('error', (error: Error) => console.error(`flush test: ${error.message}`));
    try {
      const queue = await freshQueue(own);
      await queue.enqueue(sampleMessage({ taskId: 'before' }));
      await own.script('FLUSH');
      expect(await queue.enqueueMany([sampleMessage({ taskId: 'after-1' }), sampleMessage({ taskId: 'after-2' })])).toEqual([true, true]);
      await own.script('FLUSH');
      expect((await queue.claim('w', ['default'], 1_000))?.id).toBe(taskMessageId(sampleMessage({ taskId: 'before' })));
    } finally {
      await own.quit();
    }
  });

  it('registers the scripts once per client', async () => {
    const before = Object.keys((client as unknown as { scriptsSet: Record<string, unknown> }).scriptsSet).length;
    registerScripts(client);
    await freshQueue();
    expect(Object.keys((client as unknown as { scriptsSet: Record<string, unknown> }).scriptsSet).length).toBe(before);
  });

  it('skips a ready entry whose message was lost and claims the next one', async () => {
    const queue = await freshQueue();
    const lost = sampleMessage({ taskId: 'lost', priority: 9 });
    const kept = sampleMessage({ taskId: 'kept', priority: 1 });
    await queue.enqueueMany([lost, kept]);
    await client.del(queue.keys.message(taskMessageId(lost)));
    expect((await queue.claim('w', ['default'], 1_000))?.id).toBe(taskMessageId(kept));
    expect(await client.zcard(queue.keys.ready('default'))).toBe(0);
  });

  it('deletes a damaged message hash when its lease expires and dead-letters it with what is wrong, without failing the round', async () => {
    const queue = await freshQueue();
    const p = queue.keys.prefix;
    const good = sampleMessage({ taskId: 'good' });
    await queue.enqueue(good);
    const claimed = await queue.claim('w1', ['default'], 10);
    await client.hset(`${p}msg:poison`, { q: 'default', p: 'x', m: 'zz', pr: 'NaNx', d: 'abc', w: 'ghost', t: '0' });
    await client.hset(`${p}msg:poison2`, { q: 'default', p: 'y', m: 'zy', pr: 'nan', d: '1', w: 'ghost', t: '0' });
    await client.hset(`${p}msg:orphan`, { p: 'z', d: '1' });
    for (const id of ['poison', 'poison2', 'orphan']) await client.zadd(`${p}leases`, 1, id);

    const reaped = await queue.reapExpired({ maxDeliveries: 5, now: claimed!.leaseDeadline });
    expect(reaped.requeued).toEqual([{ id: taskMessageId(good), queue: 'default', workerId: 'w1' }]);
    expect(reaped.deadLettered.map((d) => [d.id, d.reason, d.payload])).toEqual([
      ['poison', 'damaged message: pr (priority) is not a number, d (deliveries) is not a number (last held by worker ghost)', 'x'],
      ['poison2', 'damaged message: pr (priority) is not a number (last held by worker ghost)', 'y'],
    ]);
    expect(await keysUnder(`${p}msg:`)).toEqual([`${p}msg:${taskMessageId(good)}`]);
    expect(await client.zcard(`${p}leases`)).toBe(0);
    expect((await queue.claim('w2', ['default'], 1_000))?.id).toBe(taskMessageId(good));
  });

  it('skips ready members whose message is gone in a batch claim and still fills the batch', async () => {
    const queue = await freshQueue();
    const p = queue.keys.prefix;
    const messages = ['m0', 'm1', 'm2', 'm3'].map((taskId) => sampleMessage({ taskId }));
    await queue.enqueueMany(messages);
    // Partial data loss: the oldest and the third message hashes are gone, their ready members stay.
    await client.del(`${p}msg:${taskMessageId(messages[0]!)}`, `${p}msg:${taskMessageId(messages[2]!)}`);
    const claimed = await queue.claimMany('w1', ['default'], 60_000, 2);
    expect(claimed.map((m) => [m.id, m.deliveries])).toEqual([[taskMessageId(messages[1]!), 1], [taskMessageId(messages[3]!), 1]]);
    expect(await client.zcard(`${p}queue:default`)).toBe(0);
    expect((await queue.inFlight('w1')).map((m) => m.id).sort()).toEqual(claimed.map((m) => m.id).sort());
  });

  it('reaps in batches of `limit` leases', async () => {
    const queue = await freshQueue();
    await queue.enqueueMany(Array.from({ length: 5 }, (_, i) => sampleMessage({ taskId: `t${i}` })));
    let deadline = 0;
    for (let i = 0; i < 5; i += 1) deadline = Math.max(deadline, (await queue.claim('w', ['default'], 10))!.leaseDeadline);
    expect((await queue.reapExpired({ maxDeliveries: 3, now: deadline, limit: 2 })).requeued).toHaveLength(2);
    expect((await queue.reapExpired({ maxDeliveries: 3, now: deadline, limit: 10 })).requeued).toHaveLength(3);
    expect(await client.exists(queue.keys.worker('w'))).toBe(0);
  });
});

describe('createRedisClient', () => {
  it('reconnects after the server drops the connection', async () => {
    const lines: string[] = [];
    const name = `dagbridge-test-${process.pid}-${Date.now()}`;
    const reconnecting = createRedisClient(url, { name, logger: createLogger({ name: 'test', level: 'debug', sink: (line) => lines.push(line) }) });
    try {
      const queue = await freshQueue(reconnecting);
      await queue.enqueue(sampleMessage());
      const list = await client.client('LIST');
      const id = /id=(\d+) [^\n]*name=(\S+)/g;
      const ids = [...String(list).matchAll(id)].filter((match) => match[2] === name).map((match) => match[1]!);
      expect(ids).toHaveLength(1);
      const closed = new Promise<void>((resolve) => reconnecting.once('close', () => resolve()));
      await client.client('KILL', 'ID', ids[0]!);
      await closed;
      // The command waits for the reconnect instead of failing.
      expect((await queue.claim('w', ['default'], 1_000))?.deliveries).toBe(1);
      expect(reconnecting.status).toBe('ready');
    } finally {
      await reconnecting.quit();
    }
  });

  it('logs connection errors without the password', async () => {
    const lines: string[] = [];
    const failing = createRedisClient('redis://app:Sup3rSecret@127.0.0.1:1/0', {
      name: 'dagbridge-test-unreachable',
      logger: createLogger({ name: 'test', sink: (line) => lines.push(line) }),
      maxReconnectDelayMs: 50,
    });
    try {
      await new Promise<void>((resolve) => failing.once('error', () => resolve()));
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines[0]).toMatch(/Redis connection error/);
      expect(lines[0]).toContain('redis://app:***@127.0.0.1:1/0');
      expect(lines.join('\n')).not.toContain('Sup3rSecret');
    } finally {
      failing.disconnect();
    }
  });
});

describe('checkRedisServer', () => {
  it('reads the live server settings the same way as the INFO text', async () => {
    const report = await checkRedisServer(client);
    expect(report.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(report.role).toBe('master');
    const info = await client.info();
    expect(report).toEqual(redisServerReport(info));
  });
});
