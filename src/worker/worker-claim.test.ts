import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { MemoryStore } from '../ports/memory-store.js';
import { acceptingWorkerRegistry } from '../ports/testing.js';
import { MemoryTaskQueue } from '../queue/memory-queue.js';
import { WorkerService } from './worker-service.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'dagbridge-worker-claim-'));
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe('WorkerService claims', () => {
  it('claims as many messages as it has free slots in one call, and never more', async () => {
    const queue = new MemoryTaskQueue();
    // Malformed payloads: each is dead-lettered by the worker without running anything.
    for (let i = 0; i < 5; i += 1) await queue.enqueueRaw({ id: `bad-${i}`, queue: 'default', priority: 0, payload: `not json ${i}` });
    const calls: Array<{ count: number; claimed: number }> = [];
    const claimMany = queue.claimMany.bind(queue);
    queue.claimMany = async (...args) => {
      const claimed = await claimMany(...args);
      calls.push({ count: args[3], claimed: claimed.length });
      return claimed;
    };
    const service = new WorkerService({
      workerId: 'w1', store: Object.assign(new MemoryStore(), acceptingWorkerRegistry), queue,
      verdict: { served: ['default'], refused: [], manifestHash: null, report: null, manifestEnv: [], verifiedAt: 0 },
      concurrency: 3, leaseMs: 60_000, heartbeatMs: 60_000, shutdownGraceMs: 0, idlePollMs: 5,
      attempt: { python: 'python3', dagsFolder: '/nonexistent', noAirflow: true, env: { passEnv: [], passAirflowVariables: false, passAirflowConnections: false, extraPythonPaths: [] }, killGraceMs: 0, logCapBytes: 1024, workBaseDir: path.join(scratch, 'attempts') },
      log: silentLogger,
    });
    await service.start();
    try {
      for (let i = 0; i < 200 && (await queue.listDeadLetters('default')).length < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      await service.stop();
    }
    expect((await queue.listDeadLetters('default')).length).toBe(5);
    expect(calls[0]).toEqual({ count: 3, claimed: 3 });
    for (const call of calls) expect(call.count).toBeLessThanOrEqual(3);
    expect(calls.reduce((sum, call) => sum + call.claimed, 0)).toBe(5);
  });
});
