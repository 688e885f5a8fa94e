import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_VERSION, type DagBundle } from '../dag/bundle.js';
import { dagOf, task } from '../dag/spec-fixtures.js';
import type { Executor } from '../ports/executor.js';
import { silentLogger } from '../lib/logger.js';
import { MemoryStore } from '../ports/memory-store.js';
import { decideAgainAtOnce, SchedulerService } from './scheduler-service.js';
import type { LoopStats } from './scheduler-loop.js';
import type { DagRunRecord, TaskInstanceRecord } from '../ports/metadata-store.js';

const NOW = Date.parse('2024-06-01T00:00:00Z');

/** Runs every instance it is given to success at once, as a worker would (start, then record the outcome). */
class InstantExecutor implements Executor {
  readonly name = 'instant';
  constructor(private readonly store: MemoryStore) {}
  openSlots(): number {
    return Number.POSITIVE_INFINITY;
  }
  async enqueue(instances: readonly TaskInstanceRecord[]): Promise<void> {
    for (const ti of instances) {
      await this.store.startTry(ti, ti.tryNumber, { workerId: 'w1', hostname: 'h', pid: 1 }, NOW);
      await this.store.finishTry({
        key: ti, tryNumber: ti.tryNumber, state: 'success', endDate: NOW, xcoms: [], skipTaskIds: [], nextRetryAt: null,
        rescheduleAt: null, error: null, exitCode: 0, signal: null, exitReason: null, triggerDagRuns: [],
      });
    }
  }
  async stop(): Promise<void> {}
}

describe('SchedulerService', () => {
  it('creates scheduled runs at most once per loop interval, however many iterations task completions cause', async () => {
    const dag = dagOf(['a', 'b', 'c', 'd', 'e'].map((id) => task(id)), ['a>b', 'b>c', 'c>d', 'd>e'], { dagId: 'chain' });
    const bundle: DagBundle = {
      schemaVersion: BUNDLE_SCHEMA_VERSION,
      generator: { name: 'test', version: '0', python: '3.11.0', pythonExecutable: 'python3', mode: 'standin', airflowVersion: null },
      dagsFolder: '/dags', files: [], importErrors: [], dags: [dag],
    };
    const store = new MemoryStore();
    await store.syncBundle(bundle, NOW);
    const record = await store.getDag('chain');
    const { run } = await store.createDagRun({
      dagId: 'chain', runId: 'manual__1', versionHash: record?.versionHash ?? '', runType: 'manual', logicalDate: null,
      dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-06-01T00:00:00+00:00', conf: {}, queuedAt: NOW,
    }, NOW);
    let listDagsCalls = 0;
    const counting = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'listDags') listDagsCalls += 1;
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    let iterations = 0;
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const service = new SchedulerService({
      store: counting, executor: new InstantExecutor(store), log: silentLogger, exportBundle: null,
      parseIntervalMs: 60_000, loopIntervalMs: 60_000, clock: () => NOW,
      onIteration: async () => {
        iterations += 1;
        const current = await store.getDagRun(run as DagRunRecord);
        if (current?.state === 'success') finished();
      },
    });
    await service.start();
    await done;
    await service.stop();

    expect(iterations).toBe(6);
    // One read for run creation; the paused DAGs are read without their specs (listPausedDagIds).
    expect(listDagsCalls).toBe(1);
    expect((await store.listTaskInstances(run as DagRunRecord)).map((ti) => ti.state)).toEqual(['success', 'success', 'success', 'success', 'success']);
  });
});

describe('SchedulerService with a parse that does not end', () => {
  it('keeps iterating while the DAG processor parses, and stopping ends the parse', async () => {
    const store = new MemoryStore();
    let aborted = false;
    let parseStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (parseStarted = resolve));
    let iterations = 0;
    let threeIterations: () => void = () => undefined;
    const going = new Promise<void>((resolve) => (threeIterations = resolve));
    const service = new SchedulerService({
      store, executor: new InstantExecutor(store), log: silentLogger,
      exportBundle: (signal) => new Promise<DagBundle>((_, reject) => {
        parseStarted();
        signal.addEventListener('abort', () => {
          aborted = true;
          reject(new Error('stopped'));
        });
      }),
      parseIntervalMs: 60_000, loopIntervalMs: 1, parseTimeoutMs: 3_600_000,
      onIteration: () => {
        iterations += 1;
        if (iterations === 3) threeIterations();
      },
    });
    await service.start();
    await started;
    await going;
    expect(service.processor?.parsing).toBe(true);
    await service.stop();
    expect(aborted).toBe(true);
    expect(service.processor?.parsing).toBe(false);
  });
});

describe('decideAgainAtOnce', () => {
  const stats = (changesApplied: number, queued: number, finished: number): LoopStats => ({
    runsDecided: 1, runsUnchanged: 0, changesApplied, queued,
    runsFinished: Array.from({ length: finished }, (_, i) => ({ dagId: 'd', runId: `r${i}`, state: 'success' as const })),
  });

  it.each([
    ['nothing happened', stats(0, 0, 0), false],
    ['only queued what admission allowed', stats(0, 1, 0), false],
    ['queued one short of a full batch', stats(0, 511, 0), false],
    ['queued a full batch', stats(0, 512, 0), true],
    ['changed a task instance', stats(1, 0, 0), true],
    ['changed and queued', stats(3, 2, 0), true],
    ['finished a run', stats(0, 0, 1), true],
  ])('%s -> %s', (_name, value, expected) => {
    expect(decideAgainAtOnce(value)).toBe(expected);
  });

  it('compares with the loop\'s own batch size when it is set', () => {
    expect(decideAgainAtOnce(stats(0, 16, 0), 16)).toBe(true);
    expect(decideAgainAtOnce(stats(0, 15, 0), 16)).toBe(false);
  });
});
