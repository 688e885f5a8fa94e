import { describe, expect, it } from 'vitest';
import { MemoryTaskQueue } from './memory-queue.js';
import { taskMessageId } from '../ports/message-id.js';
import { describeTaskQueueBehaviour, sampleMessage } from './task-queue.suite.js';

describeTaskQueueBehaviour('memory, frozen clock', {
  create: async (options) => new MemoryTaskQueue({ now: () => 1_700_000_000_000, ...options }),
  cleanup: async () => {},
});

describeTaskQueueBehaviour('memory, clock moving 1 ms per reading', {
  create: async (options) => {
    let now = 1_700_000_000_000;
    return new MemoryTaskQueue({ now: () => (now += 1), ...options });
  },
  cleanup: async () => {},
});

describe('MemoryTaskQueue with a moving clock', () => {
  it('reports the age of the oldest ready message, not of the next one to claim', async () => {
    let now = 1_000_000;
    const queue = new MemoryTaskQueue({ now: () => now });
    await queue.enqueue(sampleMessage({ taskId: 'old-low', priority: 1 }));
    now += 4_000;
    await queue.enqueue(sampleMessage({ taskId: 'new-high', priority: 9 }));
    now += 1_000;
    expect((await queue.stats())[0]).toEqual({ queue: 'default', ready: 2, inFlight: 0, deadLettered: 0, oldestReadyAgeMs: 5_000 });
    expect((await queue.peek('default', 5)).map((m) => [m.priority, m.enqueuedAt])).toEqual([
      [9, 1_004_000],
      [1, 1_000_000],
    ]);
  });

  it('expires leases on its own clock when reaping without an explicit time', async () => {
    let now = 50_000;
    const queue = new MemoryTaskQueue({ now: () => now });
    await queue.enqueue(sampleMessage());
    const claimed = await queue.claim('w1', ['default'], 10_000);
    expect(claimed?.leaseDeadline).toBe(60_000);
    now = 59_999;
    expect((await queue.reapExpired({ maxDeliveries: 3 })).requeued).toEqual([]);
    now = 60_000;
    expect((await queue.reapExpired({ maxDeliveries: 3 })).requeued).toEqual([{ id: claimed!.id, queue: 'default', workerId: 'w1' }]);
  });

  it('keeps claim order through many enqueues, claims, releases and removals', async () => {
    let now = 0;
    const queue = new MemoryTaskQueue({ now: () => now });
    const expected: Array<{ id: string; priority: number; at: number }> = [];
    for (let i = 0; i < 200; i += 1) {
      now = Math.floor(i / 3);
      const message = sampleMessage({ taskId: `t${i}`, priority: (i * 7919) % 13 });
      await queue.enqueue(message);
      expected.push({ id: taskMessageId(message), priority: message.priority, at: now });
    }
    expected.sort((a, b) => b.priority - a.priority || a.at - b.at);
    const held = await queue.claim('w', ['default'], 1000);
    await queue.remove(expected[5]!.id);
    await queue.release('w', held!.id);
    const order: string[] = [];
    for (let next = await queue.claim('w', ['default'], 1000); next; next = await queue.claim('w', ['default'], 1000)) order.push(next.id);
    expect(order).toEqual(expected.filter((_, index) => index !== 5).map((e) => e.id));
  });

  it('reaps at most `limit` leases per call', async () => {
    const queue = new MemoryTaskQueue({ now: () => 0 });
    for (let i = 0; i < 5; i += 1) {
      await queue.enqueue(sampleMessage({ taskId: `t${i}` }));
      await queue.claim('w1', ['default'], 10);
    }
    expect((await queue.reapExpired({ maxDeliveries: 3, now: 100, limit: 2 })).requeued).toHaveLength(2);
    expect((await queue.reapExpired({ maxDeliveries: 3, now: 100, limit: 10 })).requeued).toHaveLength(3);
  });
});
