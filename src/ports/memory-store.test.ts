import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_VERSION, type DagBundle } from '../dag/bundle.js';
import { dagOf, task } from '../dag/spec-fixtures.js';
import { MemoryStore } from './memory-store.js';
import type { DagRunRecord } from './metadata-store.js';

async function storeWithRun(): Promise<{ store: MemoryStore; run: DagRunRecord }> {
  const dag = dagOf([task('a'), task('b')], ['a>b']);
  const bundle: DagBundle = {
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    generator: { name: 'test', version: '0', python: '3.11.0', pythonExecutable: 'python3', mode: 'standin', airflowVersion: null },
    dagsFolder: '/dags',
    files: [],
    importErrors: [],
    dags: [dag],
  };
  const store = new MemoryStore();
  await store.syncBundle(bundle, 0);
  const record = await store.getDag(dag.dagId);
  const { run } = await store.createDagRun({
    dagId: dag.dagId, runId: 'manual__1', versionHash: record?.versionHash ?? '', runType: 'manual', logicalDate: null,
    dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-01T00:00:00+00:00', conf: {}, queuedAt: 0, state: 'running',
  }, 0);
  await store.applyChanges(run as DagRunRecord, dag, [
    { kind: 'create', taskId: 'a', mapIndex: -1, priorityWeight: 2 },
    { kind: 'create', taskId: 'b', mapIndex: -1, priorityWeight: 1 },
    { kind: 'transition', taskId: 'a', mapIndex: -1, from: 'none', to: 'scheduled', newTry: true },
  ], 10);
  return { store, run: run as DagRunRecord };
}

describe('MemoryStore task instance copies', () => {
  it('hands out copies: changing a returned instance changes nothing stored', async () => {
    const { store, run } = await storeWithRun();
    const [listed] = await store.listTaskInstances(run);
    const [scheduled] = await store.listScheduled();
    const got = await store.getTaskInstance({ dagId: run.dagId, runId: run.runId, taskId: 'a', mapIndex: -1 });
    for (const copy of [listed, scheduled, got]) {
      if (!copy) throw new Error('expected an instance');
      copy.state = 'failed';
      copy.tryNumber = 99;
      copy.note = 'changed by the caller';
    }
    const stored = await store.getTaskInstance({ dagId: run.dagId, runId: run.runId, taskId: 'a', mapIndex: -1 });
    expect(stored).toMatchObject({ taskId: 'a', state: 'scheduled', tryNumber: 1, note: null, priorityWeight: 2 });
    const [queued] = await store.markQueued([{ dagId: run.dagId, runId: run.runId, taskId: 'a', mapIndex: -1, tryNumber: 1 }], 20);
    if (!queued) throw new Error('expected the instance to be queued');
    queued.state = 'success';
    expect((await store.listQueued()).map((ti) => [ti.taskId, ti.state, ti.queuedAt])).toEqual([['a', 'queued', 20]]);
  });

});

describe('MemoryStore run states', () => {
  it('refuses an illegal run-state change, as the PostgreSQL store does', async () => {
    const { store, run } = await storeWithRun();
    await expect(store.setDagRunState(run, 'success', 'queued', 11)).resolves.toBe(false);
    await expect(store.setDagRunState(run, 'success', 'running', 11)).rejects.toThrow('illegal state transition success -> running');
    expect(await store.setDagRunState(run, 'running', 'success', 12)).toBe(true);
  });
});
