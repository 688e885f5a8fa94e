import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_VERSION, type DagBundle, type DagSpec } from '../dag/bundle.js';
import { dagOf, task } from '../dag/spec-fixtures.js';
import { silentLogger } from '../lib/logger.js';
import { MemoryStore } from '../ports/memory-store.js';
import type { DagRunRecord, TaskInstanceRecord } from '../ports/metadata-store.js';
import { RunWatcher, runOutcome } from './run-watch.js';
import { StandaloneService } from './standalone-service.js';

const bundleOf = (...dags: DagSpec[]): DagBundle => ({
  schemaVersion: BUNDLE_SCHEMA_VERSION,
  generator: { name: 'test', version: '0', python: '3.11.0', pythonExecutable: 'python3', mode: 'standin', airflowVersion: null },
  dagsFolder: '/dags', files: [], importErrors: [], dags,
});

const NOW = Date.parse('2024-01-05T12:00:00Z');
const daily = dagOf([task('a')], [], {
  dagId: 'daily', schedule: { type: 'cron', expression: '0 0 * * *', preset: '@daily' }, startDate: '2024-01-01T00:00:00+00:00', catchup: false,
});
const manualOnly = dagOf([task('a'), task('b')], ['a>b'], { dagId: 'manual_only' });
const busy = dagOf([task('a')], [], { dagId: 'busy' });

function service(store: MemoryStore, bundle: DagBundle, attempts: TaskInstanceRecord[] = []): StandaloneService {
  return new StandaloneService({
    store, log: silentLogger, exportBundle: () => Promise.resolve(bundle),
    attempt: { python: 'python3', dagsFolder: '/dags', noAirflow: true, env: { passEnv: [], passAirflowVariables: false, passAirflowConnections: false, extraPythonPaths: [] }, killGraceMs: 0, logCapBytes: 1024 },
    concurrency: 2, parseIntervalMs: 60_000, loopIntervalMs: 60_000,
    // Records the attempt and leaves it running; the tests look at what was handed to the pool.
    runAttempt: (ti) => {
      attempts.push(ti);
      return Promise.resolve();
    },
  });
}

/** A run of `dagId` whose task `a` is queued on try 1 (and `running` on `workerId` when given). */
async function runWithTask(store: MemoryStore, dagId: string, runId: string, workerId: string | null): Promise<DagRunRecord> {
  const dag = await store.getDag(dagId);
  if (!dag) throw new Error(`no DAG ${dagId}`);
  const { run } = await store.createDagRun({
    dagId, runId, versionHash: dag.versionHash, runType: 'manual', logicalDate: null, dataIntervalStart: null, dataIntervalEnd: null,
    runAfter: '2024-01-05T00:00:00+00:00', conf: {}, queuedAt: NOW - 1000,
  }, NOW - 1000);
  if (!run) throw new Error('run not created');
  await store.setDagRunState(run, 'queued', 'running', NOW - 1000);
  await store.applyChanges(run, dag.spec, [
    { kind: 'create', taskId: 'a', mapIndex: -1, priorityWeight: 1 },
    { kind: 'transition', taskId: 'a', mapIndex: -1, from: 'none', to: 'scheduled', newTry: true },
  ], NOW - 1000);
  await store.markQueued([{ dagId, runId, taskId: 'a', mapIndex: -1, tryNumber: 1 }], NOW - 1000);
  if (workerId) await store.startTry({ dagId, runId, taskId: 'a', mapIndex: -1 }, 1, { workerId, hostname: 'h', pid: 1 }, NOW - 900);
  return (await store.getDagRun(run)) as DagRunRecord;
}

describe('StandaloneService.prepareUntilIdle', () => {
  it('unpauses every DAG, creates the due scheduled run, and triggers a manual run of each DAG without an active run', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(daily, manualOnly, busy), NOW, { pausedOnCreation: true });
    const resumed = await runWithTask(store, 'busy', 'manual__earlier', null);
    const plan = await service(store, bundleOf(daily, manualOnly, busy)).prepareUntilIdle(NOW);
    expect(plan.unpaused.sort()).toEqual(['busy', 'daily', 'manual_only']);
    expect(plan.scheduled.map((r) => [r.dagId, r.runId])).toEqual([['daily', 'scheduled__2024-01-04T00:00:00+00:00']]);
    expect(plan.triggered.map((r) => [r.dagId, r.runType])).toEqual([['manual_only', 'manual']]);
    expect(plan.resumed.map((r) => r.runId)).toEqual([resumed.runId]);
    expect((await store.listDags()).map((d) => d.isPaused)).toEqual([false, false, false]);
  });
});

describe('StandaloneService.start', () => {
  it("hands back another standalone process's running task, leaves a cluster worker's alone, and queues what was queued", async () => {
    const store = new MemoryStore();
    const bundle = bundleOf(manualOnly, busy, dagOf([task('a')], [], { dagId: 'clustered' }));
    await store.syncBundle(bundle, NOW);
    await runWithTask(store, 'manual_only', 'left_running', 'standalone-oldhost-41');
    await runWithTask(store, 'busy', 'left_queued', null);
    await runWithTask(store, 'clustered', 'on_a_worker', 'worker-7');
    const attempts: TaskInstanceRecord[] = [];
    const standalone = service(store, bundle, attempts);
    await standalone.start(NOW);
    try {
      const handedBack = await store.getTaskInstance({ dagId: 'manual_only', runId: 'left_running', taskId: 'a', mapIndex: -1 });
      expect([handedBack?.state, handedBack?.tryNumber]).toEqual(['scheduled', 2]);
      const untouched = await store.getTaskInstance({ dagId: 'clustered', runId: 'on_a_worker', taskId: 'a', mapIndex: -1 });
      expect([untouched?.state, untouched?.workerId]).toEqual(['running', 'worker-7']);
      expect(attempts.map((ti) => [ti.dagId, ti.runId, ti.tryNumber])).toEqual([['busy', 'left_queued', 1]]);
    } finally {
      await standalone.stop();
    }
    expect(standalone.state).toBe('stopped');
    // Idempotent stop.
    await standalone.stop();
  });
});

describe('RunWatcher', () => {
  it('prints each task state change and the run state once, also for a run that finished between refreshes', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(busy), NOW);
    const run = await runWithTask(store, 'busy', 'r1', null);
    const lines: string[] = [];
    let clock = NOW;
    const watcher = new RunWatcher(store, (line) => lines.push(line), NOW, () => clock);
    await Promise.all([watcher.refresh(), watcher.refresh()]);
    expect(lines).toEqual(['[   0.00s] busy r1 a: queued', '[   0.00s] busy r1: run running']);
    clock = NOW + 1500;
    await store.startTry({ dagId: 'busy', runId: 'r1', taskId: 'a', mapIndex: -1 }, 1, { workerId: 'standalone-h-1', hostname: 'h', pid: 1 }, clock);
    await watcher.refresh();
    await watcher.refresh();
    expect(lines.slice(2)).toEqual(['[   1.50s] busy r1 a: running']);
    await store.finishTry({
      key: { dagId: 'busy', runId: 'r1', taskId: 'a', mapIndex: -1 }, tryNumber: 1, state: 'success', endDate: clock, xcoms: [], skipTaskIds: [],
      nextRetryAt: null, rescheduleAt: null, error: null, exitCode: 0, signal: null, exitReason: null, triggerDagRuns: [],
    });
    await store.setDagRunState(run, 'running', 'success', clock);
    await watcher.refresh();
    await watcher.refresh();
    expect(lines.slice(3)).toEqual(['[   1.50s] busy r1 a: success', '[   1.50s] busy r1: run success']);
    const outcome = runOutcome((await store.getDagRun(run)) as DagRunRecord, await store.listTaskInstances(run));
    expect([outcome.state, outcome.taskStates, outcome.failedTasks]).toEqual(['success', { success: 1 }, []]);
  });
});
