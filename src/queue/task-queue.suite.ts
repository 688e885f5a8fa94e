/**
 * The behavioural test suite every TaskQueue implementation must pass: `memory-queue.test.ts` runs it against
 * the in-memory twin, `integration-tests/queue.test.ts` against Redis. Lease expiry is tested by reaping at a
 * chosen time on the queue's own clock (`reapExpired({ now })`), so no test sleeps or measures time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { taskMessageId } from '../ports/message-id.js';
import { QueueError } from './queue-error.js';
import { TASK_MESSAGE_VERSION, type TaskMessage } from '../ports/task-message.js';
import type { TaskQueue } from '../ports/task-queue.js';

/** How the suite gets a fresh, empty queue for each test, and cleans up after it. */
export interface TaskQueueHarness {
  create(options?: { deadLetterCap?: number }): Promise<TaskQueue>;
  cleanup(): Promise<void>;
}

/** A valid task message; `overrides` picks the task, queue, priority and try. */
export function sampleMessage(overrides: Partial<TaskMessage> = {}): TaskMessage {
  return {
    v: TASK_MESSAGE_VERSION,
    dagId: 'etl',
    runId: 'manual__2024-01-01T00:00:00+00:00',
    taskId: 'extract',
    mapIndex: -1,
    tryNumber: 1,
    queue: 'default',
    priority: 1,
    dagFile: { path: 'etl.py', hash: 'abc123' },
    manifestHash: null,
    enqueuedAt: 1_700_000_000_000,
    ...overrides,
  };
}

function idOf(message: TaskMessage): string {
  return taskMessageId(message);
}

/** Registers the suite under `label`. */
export function describeTaskQueueBehaviour(label: string, harness: TaskQueueHarness): void {
  describe(`TaskQueue behaviour: ${label}`, () => {
    afterEach(async () => {
      await harness.cleanup();
    });

    it('hands out higher priority first, then older first, across the given queues', async () => {
      const queue = await harness.create();
      const a = sampleMessage({ taskId: 'a', queue: 'q1', priority: 1 });
      const b = sampleMessage({ taskId: 'b', queue: 'q2', priority: 5 });
      const c = sampleMessage({ taskId: 'c', queue: 'q1', priority: 5 });
      const d = sampleMessage({ taskId: 'd', queue: 'q2', priority: 1 });
      const e = sampleMessage({ taskId: 'e', queue: 'q1', priority: 5 });
      for (const message of [a, b, c, d, e]) expect(await queue.enqueue(message)).toBe(true);

      const claimed: string[] = [];
      for (;;) {
        const next = await queue.claim('w1', ['q1', 'q2'], 60_000);
        if (next === null) break;
        claimed.push(next.id);
        expect(next.deliveries).toBe(1);
        expect(JSON.parse(next.payload)).toEqual([a, b, c, d, e].find((m) => idOf(m) === next.id));
      }
      expect(claimed).toEqual([b, c, e, a, d].map(idOf));
    });

    it('orders negative, zero and 32-bit extreme priorities exactly', async () => {
      const queue = await harness.create();
      const priorities = [0, -1, 2_147_483_647, -2_147_483_648, 1, 2_147_483_646];
      for (const [i, priority] of priorities.entries()) {
        await queue.enqueue(sampleMessage({ taskId: `t${i}`, priority }));
      }
      const order: number[] = [];
      for (let next = await queue.claim('w', ['default'], 1000); next; next = await queue.claim('w', ['default'], 1000)) {
        order.push(next.priority);
      }
      expect(order).toEqual([2_147_483_647, 2_147_483_646, 1, 0, -1, -2_147_483_648]);
    });

    it('returns the claimed fields and a lease deadline on the queue clock', async () => {
      const queue = await harness.create();
      const message = sampleMessage({ queue: 'etl', priority: 7 });
      await queue.enqueue(message);
      const before = await queue.time();
      const claimed = await queue.claim('worker-1', ['etl'], 30_000);
      const after = await queue.time();
      expect(claimed).toMatchObject({ id: idOf(message), queue: 'etl', priority: 7, deliveries: 1, payload: JSON.stringify(message) });
      expect(claimed!.leaseDeadline).toBeGreaterThanOrEqual(before + 30_000);
      expect(claimed!.leaseDeadline).toBeLessThanOrEqual(after + 30_000);
    });

    it('enqueues each try once: the same try twice is a no-op, the next try is a new message', async () => {
      const queue = await harness.create();
      const first = sampleMessage();
      expect(await queue.enqueue(first)).toBe(true);
      expect(await queue.enqueue({ ...first, enqueuedAt: first.enqueuedAt + 5 })).toBe(false);
      expect((await queue.peek('default', 10)).map((m) => m.payload)).toEqual([JSON.stringify(first)]);

      const claimed = await queue.claim('w1', ['default'], 60_000);
      expect(claimed?.id).toBe(idOf(first));
      expect(await queue.enqueue(first)).toBe(false);
      expect(await queue.peek('default', 10)).toEqual([]);

      expect(await queue.enqueue({ ...first, tryNumber: 2 })).toBe(true);
      expect(await queue.enqueueMany([first, { ...first, tryNumber: 2 }, { ...first, tryNumber: 3 }])).toEqual([false, false, true]);
      expect((await queue.stats(['default']))[0]).toMatchObject({ ready: 2, inFlight: 1 });

      expect(await queue.ack('w1', idOf(first))).toBe(true);
      expect(await queue.enqueue(first)).toBe(true);
    });

    it('claims only from the queues it is given', async () => {
      const queue = await harness.create();
      await queue.enqueue(sampleMessage({ queue: 'gpu', priority: 100 }));
      expect(await queue.claim('w1', ['default', 'cpu'], 60_000)).toBeNull();
      expect((await queue.claim('w1', ['cpu', 'gpu'], 60_000))?.queue).toBe('gpu');
      expect(await queue.claim('w1', ['gpu'], 60_000)).toBeNull();
    });

    it('claims up to the asked count in one call, in claim order across queues, each leased and counted', async () => {
      const queue = await harness.create();
      const a = sampleMessage({ taskId: 'a', queue: 'q1', priority: 1 });
      const b = sampleMessage({ taskId: 'b', queue: 'q2', priority: 5 });
      const c = sampleMessage({ taskId: 'c', queue: 'q1', priority: 5 });
      const d = sampleMessage({ taskId: 'd', queue: 'q2', priority: 1 });
      for (const message of [a, b, c, d]) await queue.enqueue(message);
      const before = await queue.time();
      const first = await queue.claimMany('w1', ['q1', 'q2'], 60_000, 3);
      expect(first.map((m) => [m.id, m.deliveries])).toEqual([[idOf(b), 1], [idOf(c), 1], [idOf(a), 1]]);
      expect(new Set(first.map((m) => m.leaseDeadline)).size).toBe(1);
      expect(first[0]!.leaseDeadline).toBeGreaterThanOrEqual(before + 60_000);
      expect(JSON.parse(first[0]!.payload)).toEqual(b);
      expect((await queue.inFlight('w1')).map((m) => m.id).sort()).toEqual([idOf(a), idOf(b), idOf(c)].sort());
      // Fewer ready than asked: what there is; then nothing.
      expect((await queue.claimMany('w2', ['q1', 'q2'], 60_000, 5)).map((m) => m.id)).toEqual([idOf(d)]);
      expect(await queue.claimMany('w2', ['q1', 'q2'], 60_000, 5)).toEqual([]);
      expect(await queue.claim('w2', ['q1', 'q2'], 60_000)).toBeNull();
    });

    it('gives each message of a batch claim the lease, redelivery and dead-letter rules of a single claim', async () => {
      const queue = await harness.create();
      const messages = ['x', 'y', 'z'].map((taskId) => sampleMessage({ taskId }));
      await queue.enqueueMany(messages);
      const first = await queue.claimMany('w1', ['default'], 1_000, 3);
      expect(first).toHaveLength(3);
      // The heartbeat renews one of them; acking another; the third runs out.
      const renewal = await queue.renew('w1', [first[0]!.id], 600_000);
      expect(renewal.renewed).toEqual([first[0]!.id]);
      expect(await queue.ack('w1', first[1]!.id)).toBe(true);
      const reaped = await queue.reapExpired({ maxDeliveries: 2, now: first[0]!.leaseDeadline + 1 });
      expect(reaped).toEqual({ requeued: [{ id: first[2]!.id, queue: 'default', workerId: 'w1' }], deadLettered: [] });
      expect((await queue.inFlight('w1')).map((m) => m.id)).toEqual([first[0]!.id]);
      // Redelivered in a batch claim of another worker: its delivery counted once more, then dead-lettered at the cap.
      const second = await queue.claimMany('w2', ['default'], 1_000, 2);
      expect(second.map((m) => [m.id, m.deliveries])).toEqual([[first[2]!.id, 2]]);
      const dead = await queue.reapExpired({ maxDeliveries: 2, now: second[0]!.leaseDeadline + 1 });
      expect(dead.requeued).toEqual([]);
      expect(dead.deadLettered.map((entry) => [entry.id, entry.reason])).toEqual([[first[2]!.id, 'lease expired after delivery 2 of 2 (last held by worker w2)']]);
      // A released message of a batch goes back uncounted when asked.
      expect(await queue.release('w1', first[0]!.id, { uncountDelivery: true })).toBe(true);
      expect((await queue.claimMany('w3', ['default'], 1_000, 4)).map((m) => [m.id, m.deliveries])).toEqual([[first[0]!.id, 1]]);
    });

    it('puts an expired lease back on its queue at its original place', async () => {
      const queue = await harness.create();
      const old = sampleMessage({ taskId: 'old' });
      const young = sampleMessage({ taskId: 'young' });
      await queue.enqueue(old);
      const claimed = await queue.claim('w1', ['default'], 60_000);
      await queue.enqueue(young);

      const notYet = await queue.reapExpired({ maxDeliveries: 3, now: claimed!.leaseDeadline - 1 });
      expect(notYet).toEqual({ requeued: [], deadLettered: [] });
      expect((await queue.inFlight()).map((m) => m.id)).toEqual([idOf(old)]);

      const reaped = await queue.reapExpired({ maxDeliveries: 3, now: claimed!.leaseDeadline });
      expect(reaped).toEqual({ requeued: [{ id: idOf(old), queue: 'default', workerId: 'w1' }], deadLettered: [] });
      expect(await queue.inFlight()).toEqual([]);
      expect((await queue.peek('default', 5)).map((m) => [m.id, m.deliveries])).toEqual([
        [idOf(old), 1],
        [idOf(young), 0],
      ]);
      const again = await queue.claim('w2', ['default'], 60_000);
      expect(again).toMatchObject({ id: idOf(old), deliveries: 2 });
      expect(await queue.reapExpired({ maxDeliveries: 3 })).toEqual({ requeued: [], deadLettered: [] });
    });

    it('keeps a renewed lease past its first deadline', async () => {
      const queue = await harness.create();
      const message = sampleMessage();
      await queue.enqueue(message);
      const claimed = await queue.claim('w1', ['default'], 1_000);
      const renewal = await queue.renew('w1', [claimed!.id, 'no-such-id'], 600_000);
      expect(renewal.renewed).toEqual([claimed!.id]);
      expect(renewal.lost).toEqual(['no-such-id']);
      expect(renewal.leaseDeadline).toBeGreaterThanOrEqual(claimed!.leaseDeadline + 599_000);

      expect(await queue.reapExpired({ maxDeliveries: 1, now: claimed!.leaseDeadline + 1 })).toEqual({ requeued: [], deadLettered: [] });
      expect(await queue.inFlight('w1')).toEqual([
        { id: claimed!.id, queue: 'default', priority: 1, workerId: 'w1', leaseDeadline: renewal.leaseDeadline, deliveries: 1 },
      ]);
      expect(await queue.ack('w1', claimed!.id)).toBe(true);
    });

    it('lets the holder of a lease that ran out but was not reaped renew it', async () => {
      const queue = await harness.create();
      await queue.enqueue(sampleMessage());
      const claimed = await queue.claim('w1', ['default'], 1);
      const renewal = await queue.renew('w1', [claimed!.id], 60_000);
      expect(renewal.renewed).toEqual([claimed!.id]);
    });

    it('reports a lease lost after it was reaped and claimed by another worker', async () => {
      const queue = await harness.create();
      await queue.enqueue(sampleMessage());
      const first = await queue.claim('w1', ['default'], 5_000);
      await queue.reapExpired({ maxDeliveries: 5, now: first!.leaseDeadline + 1 });
      const second = await queue.claim('w2', ['default'], 60_000);
      expect(second).toMatchObject({ id: first!.id, deliveries: 2 });

      expect(await queue.renew('w1', [first!.id], 60_000)).toMatchObject({ renewed: [], lost: [first!.id] });
      expect(await queue.ack('w1', first!.id)).toBe(false);
      expect(await queue.release('w1', first!.id)).toBe(false);
      expect(await queue.deadLetter('default', 'x', 'bad', { workerId: 'w1', id: first!.id })).toBeNull();
      expect((await queue.inFlight()).map((m) => [m.id, m.workerId])).toEqual([[first!.id, 'w2']]);
      expect(await queue.inFlight('w1')).toEqual([]);
      expect(await queue.ack('w2', first!.id)).toBe(true);
      expect(await queue.ack('w2', first!.id)).toBe(false);
    });

    it('releases a held message back to its original place, keeping its delivery count', async () => {
      const queue = await harness.create();
      const old = sampleMessage({ taskId: 'old' });
      const young = sampleMessage({ taskId: 'young' });
      await queue.enqueue(old);
      await queue.enqueue(young);
      const claimed = await queue.claim('w1', ['default'], 60_000);
      expect(claimed?.id).toBe(idOf(old));
      expect(await queue.release('w1', idOf(old))).toBe(true);
      expect(await queue.release('w1', idOf(old))).toBe(false);
      expect(await queue.inFlight()).toEqual([]);
      expect(await queue.claim('w2', ['default'], 60_000)).toMatchObject({ id: idOf(old), deliveries: 2 });
    });

    it('releases without counting the delivery when asked (a claim the worker could not start)', async () => {
      const queue = await harness.create();
      const message = sampleMessage();
      await queue.enqueue(message);
      expect(await queue.claim('w1', ['default'], 60_000)).toMatchObject({ deliveries: 1 });
      expect(await queue.release('w1', idOf(message), { uncountDelivery: true })).toBe(true);
      expect((await queue.peek('default', 1))[0]?.deliveries).toBe(0);
      expect(await queue.claim('w2', ['default'], 60_000)).toMatchObject({ id: idOf(message), deliveries: 1 });
    });

    it('dead-letters a message whose lease expires past the redelivery cap, with the reason', async () => {
      const queue = await harness.create();
      const message = sampleMessage({ priority: 3 });
      await queue.enqueue(message);
      const first = await queue.claim('w1', ['default'], 1_000);
      const firstReap = await queue.reapExpired({ maxDeliveries: 2, now: first!.leaseDeadline });
      expect(firstReap.requeued.map((r) => r.id)).toEqual([idOf(message)]);
      const second = await queue.claim('w2', ['default'], 1_000);
      const reapAt = second!.leaseDeadline + 10;
      const secondReap = await queue.reapExpired({ maxDeliveries: 2, now: reapAt });
      expect(secondReap.requeued).toEqual([]);
      expect(secondReap.deadLettered).toEqual([
        {
          entryId: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown as string,
          queue: 'default',
          id: idOf(message),
          payload: JSON.stringify(message),
          payloadBytes: JSON.stringify(message).length,
          payloadTruncated: false,
          reason: 'lease expired after delivery 2 of 2 (last held by worker w2)',
          priority: 3,
          deliveries: 2,
          deadAt: reapAt,
        },
      ]);
      expect(await queue.listDeadLetters('default')).toEqual(secondReap.deadLettered);
      expect(await queue.peek('default', 10)).toEqual([]);
      expect(await queue.inFlight()).toEqual([]);
      expect(await queue.messageIds()).toEqual([{ queue: 'default', ready: [], inFlight: [] }]);
      expect((await queue.stats())[0]).toMatchObject({ queue: 'default', ready: 0, inFlight: 0, deadLettered: 1 });

      const entryId = secondReap.deadLettered[0]!.entryId;
      expect(await queue.retryDeadLetter('default', entryId)).toBe(idOf(message));
      expect(await queue.retryDeadLetter('default', entryId)).toBeNull();
      expect(await queue.listDeadLetters('default')).toEqual([]);
      expect(await queue.claim('w3', ['default'], 1_000)).toMatchObject({ id: idOf(message), deliveries: 1, priority: 3 });
    });

    it('dead-letters a malformed message held by a worker, keeping the payload as is', async () => {
      const queue = await harness.create();
      await queue.enqueueRaw({ id: 'raw-1', queue: 'default', priority: 0, payload: '{"v": 99, "oops"' });
      const claimed = await queue.claim('w1', ['default'], 60_000);
      expect(claimed?.payload).toBe('{"v": 99, "oops"');

      const entryId = await queue.deadLetter('default', claimed!.payload, 'task message is not JSON', { workerId: 'w1', id: 'raw-1' });
      expect(entryId).toMatch(/^[0-9a-f]{16}$/);
      expect(await queue.deadLetter('default', claimed!.payload, 'task message is not JSON', { workerId: 'w1', id: 'raw-1' })).toBeNull();
      expect(await queue.inFlight()).toEqual([]);
      const [entry] = await queue.listDeadLetters('default');
      expect(entry).toMatchObject({
        entryId,
        queue: 'default',
        id: 'raw-1',
        payload: '{"v": 99, "oops"',
        reason: 'task message is not JSON',
        priority: 0,
        deliveries: 1,
      });
      expect(await queue.dropDeadLetter('default', entryId!)).toBe(true);
      expect(await queue.dropDeadLetter('default', entryId!)).toBe(false);
      expect(await queue.listDeadLetters('default')).toEqual([]);
      expect(await queue.messageIds()).toEqual([{ queue: 'default', ready: [], inFlight: [] }]);
    });

    it('records a raw payload without a claim once, and retries it under a generated id', async () => {
      const queue = await harness.create();
      const raw = 'not json at all \u00e9 "quoted" \\ / \n end';
      const first = await queue.deadLetter('side', raw, 'task message is not JSON');
      const second = await queue.deadLetter('side', raw, 'task message is not JSON');
      expect(second).toBe(first);
      const entries = await queue.listDeadLetters('side');
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ entryId: first, queue: 'side', id: null, payload: raw, priority: 0, deliveries: 0 });
      expect((await queue.stats()).map((s) => [s.queue, s.deadLettered])).toEqual([['side', 1]]);

      expect(await queue.retryDeadLetter('side', first!)).toBe(`dead-letter:${first}`);
      expect(await queue.claim('w1', ['side'], 1_000)).toMatchObject({ id: `dead-letter:${first}`, payload: raw, deliveries: 1 });
    });

    it('keeps at most 64 KiB of a dead payload with its full length, and will not put a cut one back', async () => {
      const queue = await harness.create();
      // 70 000 bytes, each character two bytes in UTF-8: the cut must fall on a character boundary.
      const big = '\u00e9'.repeat(35_000);
      await queue.enqueueRaw({ id: 'big-held', queue: 'default', priority: 0, payload: big });
      await queue.claim('w1', ['default'], 60_000);
      const heldEntry = await queue.deadLetter('default', big, 'task message is not JSON', { workerId: 'w1', id: 'big-held' });
      const rawEntry = await queue.deadLetter('default', `${big}!`, 'task message is not JSON');
      const entries = await queue.listDeadLetters('default');
      expect(entries.map((e) => [e.entryId, e.payload.length, e.payloadBytes, e.payloadTruncated])).toEqual([
        [rawEntry, 32_768, 70_001, true],
        [heldEntry, 32_768, 70_000, true],
      ]);
      expect(entries.every((e) => big.startsWith(e.payload))).toBe(true);
      expect(await queue.deadLetter('default', `${big}!`, 'task message is not JSON')).toBe(rawEntry);

      await expect(queue.retryDeadLetter('default', heldEntry!)).rejects.toThrow(
        `dead letter ${heldEntry} kept only the first 65536 bytes of its payload, so it cannot be put back; drop it`,
      );
      expect(await queue.listDeadLetters('default')).toHaveLength(2);
      expect(await queue.dropDeadLetter('default', heldEntry!)).toBe(true);

      const small = await queue.deadLetter('default', 'short', 'task message is not JSON');
      expect((await queue.listDeadLetters('default'))[0]).toMatchObject({ entryId: small, payload: 'short', payloadBytes: 5, payloadTruncated: false });
    });

    it('refuses a payload over 1 MiB, naming its size and the limit', async () => {
      const queue = await harness.create();
      const payload = 'x'.repeat(1024 * 1024 + 1);
      await expect(queue.enqueueRaw({ id: 'huge', queue: 'default', priority: 0, payload })).rejects.toThrow(
        'message huge: the payload is 1048577 bytes, more than the 1048576 a queue accepts',
      );
      expect(await queue.enqueueRaw({ id: 'max', queue: 'default', priority: 0, payload: payload.slice(1) })).toBe(true);
    });

    it('caps each dead-letter list, trimming the oldest entries', async () => {
      const queue = await harness.create({ deadLetterCap: 3 });
      for (let i = 1; i <= 5; i += 1) await queue.deadLetter('default', `raw ${i}`, `reason ${i}`);
      expect((await queue.listDeadLetters('default')).map((e) => e.payload)).toEqual(['raw 5', 'raw 4', 'raw 3']);
      expect((await queue.listDeadLetters('default', { offset: 1, limit: 1 })).map((e) => e.payload)).toEqual(['raw 4']);
      expect((await queue.stats(['default']))[0]?.deadLettered).toBe(3);
    });

    it('acknowledges only the holder and leaves nothing of the message behind', async () => {
      const queue = await harness.create();
      const message = sampleMessage();
      await queue.enqueue(message);
      const claimed = await queue.claim('w1', ['default'], 60_000);
      expect(await queue.ack('w2', claimed!.id)).toBe(false);
      expect(await queue.ack('w1', claimed!.id)).toBe(true);
      expect(await queue.stats()).toEqual([{ queue: 'default', ready: 0, inFlight: 0, deadLettered: 0, oldestReadyAgeMs: null }]);
      expect(await queue.inFlight()).toEqual([]);
      expect(await queue.renew('w1', [claimed!.id], 1_000)).toMatchObject({ renewed: [], lost: [claimed!.id] });
    });

    it('peeks at the next messages in claim order without claiming them', async () => {
      const queue = await harness.create();
      const low = sampleMessage({ taskId: 'low', priority: 1 });
      const high = sampleMessage({ taskId: 'high', priority: 9 });
      const mid = sampleMessage({ taskId: 'mid', priority: 5 });
      await queue.enqueueMany([low, high, mid]);
      const peeked = await queue.peek('default', 2);
      expect(peeked.map((m) => ({ id: m.id, queue: m.queue, priority: m.priority, deliveries: m.deliveries, payload: m.payload }))).toEqual([
        { id: idOf(high), queue: 'default', priority: 9, deliveries: 0, payload: JSON.stringify(high) },
        { id: idOf(mid), queue: 'default', priority: 5, deliveries: 0, payload: JSON.stringify(mid) },
      ]);
      expect(await queue.peek('default', 0)).toEqual([]);
      expect(await queue.peek('elsewhere', 3)).toEqual([]);
      expect((await queue.peek('default', 10)).map((m) => m.id)).toEqual([high, mid, low].map(idOf));
      expect((await queue.stats(['default']))[0]).toMatchObject({ ready: 3, inFlight: 0 });
    });

    it('purges the ready messages of one queue and returns them, leaving in-flight ones', async () => {
      const queue = await harness.create();
      const held = sampleMessage({ taskId: 'held', priority: 10 });
      const a = sampleMessage({ taskId: 'a', priority: 1 });
      const b = sampleMessage({ taskId: 'b', priority: 2 });
      const other = sampleMessage({ taskId: 'other', queue: 'other' });
      await queue.enqueueMany([held, a, b, other]);
      await queue.claim('w1', ['default'], 60_000);

      const purged = await queue.purge('default');
      expect(purged.map((m) => [m.id, m.payload, m.priority, m.deliveries])).toEqual([
        [idOf(b), JSON.stringify(b), 2, 0],
        [idOf(a), JSON.stringify(a), 1, 0],
      ]);
      expect(await queue.purge('default')).toEqual([]);
      expect(await queue.messageIds()).toEqual([
        { queue: 'default', ready: [], inFlight: [idOf(held)] },
        { queue: 'other', ready: [idOf(other)], inFlight: [] },
      ]);
      expect(await queue.enqueue(a)).toBe(true);
      expect(await queue.ack('w1', idOf(held))).toBe(true);
    });

    it('counts ready, in-flight and dead-lettered messages per queue', async () => {
      const queue = await harness.create();
      await queue.enqueueMany([
        sampleMessage({ taskId: 'a', queue: 'alpha' }),
        sampleMessage({ taskId: 'b', queue: 'alpha' }),
        sampleMessage({ taskId: 'c', queue: 'alpha' }),
        sampleMessage({ taskId: 'd', queue: 'beta' }),
      ]);
      await queue.claim('w1', ['alpha'], 60_000);
      await queue.claim('w2', ['beta'], 60_000);
      await queue.deadLetter('gamma', 'garbage', 'task message is not JSON');

      const stats = await queue.stats();
      expect(stats.map(({ oldestReadyAgeMs: _age, ...counts }) => counts)).toEqual([
        { queue: 'alpha', ready: 2, inFlight: 1, deadLettered: 0 },
        { queue: 'beta', ready: 0, inFlight: 1, deadLettered: 0 },
        { queue: 'gamma', ready: 0, inFlight: 0, deadLettered: 1 },
      ]);
      expect(stats[0]?.oldestReadyAgeMs).toBeGreaterThanOrEqual(0);
      expect(stats[1]?.oldestReadyAgeMs).toBeNull();
      expect(await queue.stats(['beta', 'nothing'])).toEqual([
        { queue: 'beta', ready: 0, inFlight: 1, deadLettered: 0, oldestReadyAgeMs: null },
        { queue: 'nothing', ready: 0, inFlight: 0, deadLettered: 0, oldestReadyAgeMs: null },
      ]);
    });

    it('lists in-flight messages for all workers or one, soonest deadline first', async () => {
      const queue = await harness.create();
      await queue.enqueueMany([sampleMessage({ taskId: 'a' }), sampleMessage({ taskId: 'b' }), sampleMessage({ taskId: 'c' })]);
      const a = await queue.claim('w1', ['default'], 300_000);
      const b = await queue.claim('w2', ['default'], 100_000);
      const c = await queue.claim('w1', ['default'], 200_000);
      expect((await queue.inFlight()).map((m) => m.id)).toEqual([b!.id, c!.id, a!.id]);
      expect(await queue.inFlight('w1')).toEqual([
        { id: c!.id, queue: 'default', priority: 1, workerId: 'w1', leaseDeadline: c!.leaseDeadline, deliveries: 1 },
        { id: a!.id, queue: 'default', priority: 1, workerId: 'w1', leaseDeadline: a!.leaseDeadline, deliveries: 1 },
      ]);
      expect(await queue.inFlight('nobody')).toEqual([]);
    });

    it('removes an obsolete message wherever it is', async () => {
      const queue = await harness.create();
      const ready = sampleMessage({ taskId: 'ready' });
      const held = sampleMessage({ taskId: 'held', priority: 5 });
      await queue.enqueueMany([ready, held]);
      await queue.claim('w1', ['default'], 60_000);
      expect(await queue.remove(idOf(held))).toBe(true);
      expect(await queue.remove(idOf(ready))).toBe(true);
      expect(await queue.remove(idOf(ready))).toBe(false);
      expect(await queue.renew('w1', [idOf(held)], 60_000)).toMatchObject({ renewed: [], lost: [idOf(held)] });
      expect(await queue.messageIds()).toEqual([{ queue: 'default', ready: [], inFlight: [] }]);
      expect(await queue.claim('w1', ['default'], 60_000)).toBeNull();
    });

    it('lists every message id present per queue for the rebuild check', async () => {
      const queue = await harness.create();
      const messages = [
        sampleMessage({ taskId: 'x', queue: 'q1', priority: 1 }),
        sampleMessage({ taskId: 'y', queue: 'q1', priority: 2 }),
        sampleMessage({ taskId: 'z', queue: 'q2', priority: 1 }),
      ];
      await queue.enqueueMany(messages);
      expect(await queue.messageIds()).toEqual([
        { queue: 'q1', ready: [idOf(messages[1]!), idOf(messages[0]!)], inFlight: [] },
        { queue: 'q2', ready: [idOf(messages[2]!)], inFlight: [] },
      ]);
      await queue.claim('w1', ['q1', 'q2'], 60_000);
      await queue.claim('w1', ['q2'], 60_000);
      expect(await queue.messageIds()).toEqual([
        { queue: 'q1', ready: [idOf(messages[0]!)], inFlight: [idOf(messages[1]!)] },
        { queue: 'q2', ready: [], inFlight: [idOf(messages[2]!)] },
      ]);
    });

    it('refuses bad arguments with a QueueError before touching anything', async () => {
      const queue = await harness.create();
      const invalid = { name: 'QueueError', reason: 'invalid-argument' };
      await expect(queue.claim('w1', ['default'], 0)).rejects.toMatchObject(invalid);
      await expect(queue.claim('w1', [], 1000)).rejects.toMatchObject(invalid);
      await expect(queue.claim('', ['default'], 1000)).rejects.toMatchObject(invalid);
      await expect(queue.claimMany('w1', ['default'], 1000, 0)).rejects.toMatchObject(invalid);
      await expect(queue.claimMany('w1', ['default'], 1000, 2.5)).rejects.toMatchObject(invalid);
      await expect(queue.renew('w1', ['x'], 1.5)).rejects.toMatchObject(invalid);
      await expect(queue.enqueue(sampleMessage({ priority: 1.5 }))).rejects.toBeInstanceOf(QueueError);
      await expect(queue.enqueueRaw({ id: '', queue: 'default', priority: 0, payload: 'x' })).rejects.toMatchObject(invalid);
      await expect(queue.reapExpired({ maxDeliveries: 0 })).rejects.toMatchObject(invalid);
      await expect(queue.peek('default', -1)).rejects.toMatchObject(invalid);
      expect(await queue.stats()).toEqual([]);
    });
  });
}
