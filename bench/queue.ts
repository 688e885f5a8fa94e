/**
 * Throughput of the Redis task queue: enqueue, then claim + ack by concurrent workers, then the three together.
 * Prints figures; asserts nothing. Uses its own key prefix and deletes its keys at the end.
 *
 *   npx tsx bench/queue.ts [--url redis://127.0.0.1:6379] [--messages 20000] [--workers 8] [--slots 4] [--queues 3]
 *
 * `--url` defaults to DAGBRIDGE_BENCH_REDIS_URL, then DAGBRIDGE_TEST_REDIS_URL, then redis://127.0.0.1:6379.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { redactUrl } from '../src/lib/redact.js';
import { createRedisClient } from '../src/queue/connection.js';
import { RedisTaskQueue } from '../src/queue/redis-queue.js';
import type { TaskMessage } from '../src/ports/task-message.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    messages: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '8' },
    slots: { type: 'string', default: '4' },
    queues: { type: 'string', default: '3' },
  },
});
const url = values.url ?? process.env.DAGBRIDGE_BENCH_REDIS_URL ?? process.env.DAGBRIDGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const total = Number(values.messages);
const workers = Number(values.workers);
const slots = Number(values.slots);
const queueCount = Number(values.queues);
const prefix = `dagbridge-bench:${randomBytes(4).toString('hex')}:`;
const queueNames = Array.from({ length: queueCount }, (_, i) => `q${i}`);

function message(i: number, round: string): TaskMessage {
  return {
    v: 1,
    dagId: 'bench',
    runId: `manual__${round}`,
    taskId: `task_${i}`,
    mapIndex: -1,
    tryNumber: 1,
    queue: queueNames[i % queueCount] as string,
    priority: i % 10,
    dagFile: { path: 'bench.py', hash: 'f'.repeat(64) },
    manifestHash: 'e'.repeat(64),
    enqueuedAt: Date.now(),
  };
}

function rate(count: number, startedNs: bigint): string {
  const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
  return `${Math.round(count / seconds).toLocaleString('en-US')} ops/s (${count} in ${seconds.toFixed(2)} s)`;
}

/** Claims and acks until every queue is empty, `workers` connections with `slots` concurrent claims each. */
async function drain(clients: Redis[]): Promise<number> {
  const counts = await Promise.all(
    clients.map(async (client, index) => {
      const queue = new RedisTaskQueue(client, { prefix });
      let done = 0;
      await Promise.all(
        Array.from({ length: slots }, async () => {
          for (;;) {
            const claimed = await queue.claim(`bench-worker-${index}`, queueNames, 60_000);
            if (claimed === null) return;
            await queue.ack(`bench-worker-${index}`, claimed.id);
            done += 1;
          }
        }),
      );
      return done;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

async function main(): Promise<void> {
  const admin = createRedisClient(url, { name: 'dagbridge-bench' });
  const clients = Array.from({ length: workers }, (_, i) => createRedisClient(url, { name: `dagbridge-bench-${i}` }));
  const queue = new RedisTaskQueue(admin, { prefix });
  try {
    console.log(`Redis ${redactUrl(url)}, ${total} messages, ${workers} workers x ${slots} slots, ${queueCount} queues`);

    let started = process.hrtime.bigint();
    for (let i = 0; i < Math.min(total, 5_000); i += 1) await queue.enqueue(message(i, 'single'));
    console.log(`${'enqueue, one call at a time'.padEnd(40)}${rate(Math.min(total, 5_000), started)}`);
    await drain(clients);

    started = process.hrtime.bigint();
    for (let i = 0; i < total; i += 500) {
      await queue.enqueueMany(Array.from({ length: Math.min(500, total - i) }, (_, j) => message(i + j, 'batch')));
    }
    console.log(`${'enqueueMany, batches of 500'.padEnd(40)}${rate(total, started)}`);

    started = process.hrtime.bigint();
    const drained = await drain(clients);
    console.log(`${`claim + ack, ${workers * slots} concurrent claimers`.padEnd(40)}${rate(drained, started)}`);

    started = process.hrtime.bigint();
    const producer = (async () => {
      for (let i = 0; i < total; i += 100) {
        await queue.enqueueMany(Array.from({ length: Math.min(100, total - i) }, (_, j) => message(i + j, 'mixed')));
      }
    })();
    let consumed = 0;
    while (consumed < total) consumed += await drain(clients);
    await producer;
    console.log(`${'enqueue + claim + ack, concurrently'.padEnd(40)}${rate(total, started)}`);

    const stats = await queue.stats();
    console.log(`left over: ${JSON.stringify(stats.map((s) => [s.queue, s.ready, s.inFlight]))}`);
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
    await Promise.all([admin, ...clients].map((client) => client.quit()));
  }
}

await main();
