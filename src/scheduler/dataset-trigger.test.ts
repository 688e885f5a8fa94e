import { describe, expect, it } from 'vitest';
import type { DagSpec } from '../dag/bundle.js';
import type { DatasetCondition } from '../dag/datasets.js';
import { dagOf, task } from '../dag/spec-fixtures.js';
import { silentLogger } from '../lib/logger.js';
import { datasetBundle, finishProducerTask, producerDag } from '../ports/dataset-store.suite.js';
import type { DagRunRecord } from '../ports/metadata-store.js';
import { MemoryStore } from '../ports/memory-store.js';
import { createDatasetTriggeredRuns, randomRunIdSuffix } from './dataset-trigger.js';
import { createDueRuns } from './run-creator.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);
const ds = (uri: string): DatasetCondition => ({ type: 'dataset', uri });
const all = (...objects: DatasetCondition[]): DatasetCondition => ({ type: 'all', objects });
const any = (...objects: DatasetCondition[]): DatasetCondition => ({ type: 'any', objects });

function consumer(dagId: string, condition: DatasetCondition, overrides: Partial<DagSpec> = {}): DagSpec {
  return dagOf([task('t')], [], {
    dagId, file: `${dagId}.py`, schedule: { type: 'assets', assets: [], condition, timetable: null }, ...overrides,
  });
}

async function storeWith(...dags: DagSpec[]): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.syncBundle(datasetBundle([producerDag, ...dags]), T0);
  return store;
}

const created = async (store: MemoryStore, at: number): Promise<string[]> =>
  (await createDatasetTriggeredRuns(store, at, silentLogger, () => 'S')).map((run) => run.dagId).sort();

describe('createDatasetTriggeredRuns (models/dag.py dags_needing_dagruns)', () => {
  it('runs a consumer once its condition holds: all, any, nested', async () => {
    const store = await storeWith(
      consumer('both', all(ds('s3://a'), ds('s3://b'))),
      consumer('either', any(ds('s3://a'), ds('s3://b'))),
      consumer('nested', all(ds('s3://a'), any(ds('s3://b'), ds('s3://c')))),
    );
    await store.createDatasetEvent('s3://a', {}, T0 + 1_000);
    expect(await created(store, T0 + 1_500)).toEqual(['either']);
    await store.createDatasetEvent('s3://c', {}, T0 + 2_000);
    expect(await created(store, T0 + 2_500)).toEqual(['nested']);
    expect(await created(store, T0 + 2_600)).toEqual([]);
    await store.createDatasetEvent('s3://b', {}, T0 + 3_000);
    // `both` kept its queued `a` from the first event; `nested` consumed its rows and waits for a new `a`.
    expect(await created(store, T0 + 3_500)).toEqual(['both', 'either']);
    const both = await store.listDagRuns({ dagId: 'both' });
    expect(both.map((run) => [run.runId, run.runType, run.state])).toEqual([['dataset_triggered__2024-01-01T12:00:03+00:00', 'asset_triggered', 'queued']]);
    expect((await store.listRunDatasetEvents(both[0] as DagRunRecord, 10)).map((e) => e.uri)).toEqual(['s3://a', 's3://b']);
  });

  it('an alias condition holds for the datasets the alias resolved to', async () => {
    const store = await storeWith(consumer('by_alias', { type: 'alias', name: 'my-alias' }));
    await store.createDatasetEvent('s3://bucket/a', {}, T0 + 1_000);
    expect(await created(store, T0 + 1_500)).toEqual([]);
    // A producer attaches s3://x through the alias: the alias resolves to it and queues the consumer.
    await finishProducerTask(store, 'attach', [{ uri: 's3://x', extra: {}, aliases: ['my-alias'] }], T0 + 2_000);
    expect(await created(store, T0 + 2_500)).toEqual(['by_alias']);
    // From then on a plain event of s3://x triggers it too.
    await store.createDatasetEvent('s3://x', {}, T0 + 3_000);
    expect(await created(store, T0 + 3_500)).toEqual(['by_alias']);
  });

  it('paused consumers do not run until unpaused; max_active_runs holds the queue until a run ends', async () => {
    const store = await storeWith(consumer('paused', ds('s3://a')), consumer('limited', ds('s3://a'), { maxActiveRuns: 1 }));
    await store.setPaused('paused', true);
    await store.createDatasetEvent('s3://a', {}, T0 + 1_000);
    expect(await created(store, T0 + 1_500)).toEqual(['limited']);
    await store.createDatasetEvent('s3://a', {}, T0 + 2_000);
    expect(await created(store, T0 + 2_500)).toEqual([]);
    const [active] = await store.listDagRuns({ dagId: 'limited' });
    if (!active) throw new Error('expected a run');
    await store.setDagRunState(active, 'queued', 'running', T0 + 2_600);
    await store.setDagRunState(active, 'running', 'success', T0 + 2_700);
    expect(await created(store, T0 + 3_000)).toEqual(['limited']);
    await store.setPaused('paused', false);
    // Events while it was paused did not queue it (Airflow queues only unpaused consumers).
    expect(await created(store, T0 + 3_500)).toEqual([]);
    await store.createDatasetEvent('s3://a', {}, T0 + 4_000);
    expect(await created(store, T0 + 4_500)).toEqual(['paused']);
  });

  it('DatasetOrTimeSchedule runs by its timetable and by its datasets, and a dataset run does not move the timetable', async () => {
    const store = await storeWith(consumer('either_way', ds('s3://a'), {
      schedule: { type: 'assets', assets: ['s3://a'], condition: ds('s3://a'), timetable: { type: 'cron', expression: '0 0 * * *', preset: '@daily' } },
      startDate: '2024-01-01T00:00:00+00:00', catchup: false,
    }));
    const now = Date.parse('2024-01-03T12:00:00Z');
    await store.createDatasetEvent('s3://a', {}, now - 1_000);
    expect(await created(store, now)).toEqual(['either_way']);
    const scheduled = await createDueRuns(store, now, silentLogger);
    expect(scheduled.map((run) => run.runId)).toEqual(['scheduled__2024-01-02T00:00:00+00:00']);
    expect((await store.listDagRuns({ dagId: 'either_way' })).map((run) => run.runType).sort()).toEqual(['asset_triggered', 'scheduled']);
  });

  it('run id suffixes are eight letters and digits', () => {
    expect(randomRunIdSuffix()).toMatch(/^[A-Za-z0-9]{8}$/);
  });
});
