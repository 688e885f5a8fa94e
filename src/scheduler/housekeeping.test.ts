import { describe, expect, it } from 'vitest';
import type { WorkerRecord } from '../ports/worker-registry.js';
import { unservedQueues } from './housekeeping.js';

const worker = (workerId: string, queues: string[], overrides: Partial<WorkerRecord> = {}): WorkerRecord => ({
  workerId, hostname: 'h', pid: 1, queues, refused: [], concurrency: 1, slotsBusy: 0, version: '0', state: 'running',
  startedAt: 0, lastHeartbeatAt: 1_000, lastPollAt: 1_000, manifestHash: null, manifestReport: null, requestedAction: null, ...overrides,
});

describe('unservedQueues', () => {
  it('names the queues with waiting work that no live worker serves, with the manifest refusals', () => {
    const workers = [
      worker('lean', ['default'], { refused: [{ queue: 'aws', reasons: ['queue aws: boto3>=1.26 is missing'] }] }),
      worker('dead', ['aws'], { lastHeartbeatAt: -60_000 }),
      worker('draining', ['gpu'], { state: 'draining' }),
    ];
    const queued = [{ queue: 'default' }, { queue: 'aws' }, { queue: 'aws' }, { queue: 'gpu' }, { queue: 'etl' }];
    expect(unservedQueues(queued, workers, 2_000, 30_000)).toEqual([
      { queue: 'aws', waiting: 2, reasons: ['queue aws: boto3>=1.26 is missing (worker lean)'] },
      { queue: 'etl', waiting: 1, reasons: [] },
      { queue: 'gpu', waiting: 1, reasons: [] },
    ]);
  });

  it('is empty when every queue with work has a live worker', () => {
    expect(unservedQueues([{ queue: 'default' }], [worker('w', ['default'])], 2_000, 30_000)).toEqual([]);
  });
});
