/**
 * The TaskQueue behavioural suite against a real Redis: the same tests the in-memory twin passes
 * (src/queue/memory-queue.test.ts), each under its own key prefix.
 */
import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { RedisTaskQueue } from '../src/queue/redis-queue.js';
import { describeTaskQueueBehaviour } from '../src/queue/task-queue.suite.js';
import { createTestRedisPrefix, redisServerUrl } from './support/servers.js';

let client: Redis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  client = new Redis(await redisServerUrl(), { maxRetriesPerRequest: 2 });
  client.on('error', (error: Error) => console.error(`queue test Redis client: ${error.message}`));
});

afterAll(async () => {
  await client.quit();
});

describeTaskQueueBehaviour('redis', {
  create: async (options) => {
    const { prefix, cleanup } = await createTestRedisPrefix('queue');
    cleanups.push(cleanup);
    return new RedisTaskQueue(client, { prefix, ...options });
  },
  cleanup: async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  },
});
