/**
 * The dataset (asset) behaviour every MetadataStore must have: `memory-datasets.test.ts` runs it against the
 * in-memory store, `integration-tests/store-datasets.test.ts` against PostgreSQL. Facts from Airflow 2.10.5
 * (airflow/datasets/manager.py `register_dataset_change`, models/taskinstance.py `_register_dataset_changes`).
 */
import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_VERSION, type DagBundle, type DagSpec } from '../dag/bundle.js';
import { dagOf, task } from '../dag/spec-fixtures.js';
import { dagVersionHash } from './dag-version.js';
import type { AttemptOutcome, MetadataStore, TaskInstanceKey } from './metadata-store.js';

/** How the suite gets a fresh store (with an empty metadata database) for each test. */
export interface DatasetStoreHarness {
  create(): Promise<MetadataStore>;
}

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);
const WORKER = { workerId: 'w1', hostname: 'node-1', pid: 1 };

/** A producer with a dataset outlet and an alias outlet. */
export const producerDag: DagSpec = dagOf(
  [
    task('make', { outlets: [{ type: 'dataset', uri: 's3://bucket/a', extra: { declared: true } }] }),
    task('attach', { outlets: [{ type: 'alias', name: 'my-alias' }] }),
  ],
  [],
  { dagId: 'producer', file: 'producer.py', schedule: { type: 'none' } },
);

/** A consumer of `s3://bucket/a` AND `s3://bucket/b`, reading `a` as an inlet. */
export const consumerDag: DagSpec = dagOf(
  [task('read', { inlets: [{ type: 'dataset', uri: 's3://bucket/a', extra: {} }] })],
  [],
  {
    dagId: 'consumer',
    file: 'consumer.py',
    schedule: {
      type: 'assets',
      assets: ['s3://bucket/a', 's3://bucket/b'],
      condition: { type: 'all', objects: [{ type: 'dataset', uri: 's3://bucket/a' }, { type: 'dataset', uri: 's3://bucket/b' }] },
      timetable: null,
    },
  },
);

/** A consumer scheduled on the alias. */
export const aliasConsumerDag: DagSpec = dagOf([task('t')], [], {
  dagId: 'alias_consumer',
  file: 'alias_consumer.py',
  schedule: { type: 'assets', assets: [], condition: { type: 'alias', name: 'my-alias' }, timetable: null },
});

/** A bundle of `dags`. */
export function datasetBundle(dags: DagSpec[] = [producerDag, consumerDag, aliasConsumerDag]): DagBundle {
  return {
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    generator: { name: 'test', version: '0', python: '3.11.0', pythonExecutable: 'python3', mode: 'standin', airflowVersion: null },
    dagsFolder: '/dags',
    files: dags.map((dag) => ({ path: dag.file, hash: dag.fileHash, imports: [], dagIds: [dag.dagId], parseSeconds: 0 })),
    importErrors: [],
    dags,
  };
}

let runs = 0;

/** Runs `taskId` of the producer to `state` with `outletEvents`, as a worker would; returns its key. */
export async function finishProducerTask(
  store: MetadataStore,
  taskId: string,
  outletEvents: AttemptOutcome['outletEvents'],
  at: number,
  state: 'success' | 'failed' = 'success',
): Promise<TaskInstanceKey> {
  runs += 1;
  const runId = `manual__${runs}`;
  const { run } = await store.createDagRun({
    dagId: 'producer', runId, versionHash: dagVersionHash(producerDag), runType: 'manual', logicalDate: null,
    dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-01T00:00:00+00:00', conf: {}, queuedAt: at, state: 'running',
  }, at);
  if (!run) throw new Error('expected a run');
  await store.applyChanges(run, producerDag, [{ kind: 'create', taskId, mapIndex: -1, priorityWeight: 1, state: 'scheduled' }], at);
  const key = { dagId: 'producer', runId, taskId, mapIndex: -1 };
  const tryNumber = (await store.getTaskInstance(key))?.tryNumber ?? 0;
  await store.markQueued([{ ...key, tryNumber }], at);
  const started = await store.startTry(key, tryNumber, WORKER, at);
  if (!started.started) throw new Error(`could not start ${taskId}: ${started.reason}`);
  const recorded = await store.finishTry({
    key, tryNumber: started.instance.tryNumber, state, endDate: at, xcoms: [], skipTaskIds: [], nextRetryAt: null, rescheduleAt: null,
    error: null, exitCode: 0, signal: null, exitReason: null, triggerDagRuns: [], outletEvents,
  });
  if (!recorded) throw new Error(`could not finish ${taskId}`);
  return key;
}

/** Registers the suite under `label`. */
export function describeDatasetStoreBehaviour(label: string, harness: DatasetStoreHarness): void {
  describe(`${label}: datasets`, () => {
    it('registers what the synced DAGs name, with producers and consumers', async () => {
      const store = await harness.create();
      await store.syncBundle(datasetBundle(), T0);
      const listed = await store.listDatasets();
      expect(listed.map((d) => [d.uri, d.producers, d.consumers, d.aliases, d.eventCount, d.lastEventAt])).toEqual([
        ['s3://bucket/a', ['producer.make'], ['consumer'], [], 0, null],
        ['s3://bucket/b', [], ['consumer'], [], 0, null],
      ]);
    });

    it('records the events of a successful try with their source and extra, newest first; a failed try records none', async () => {
      const store = await harness.create();
      await store.syncBundle(datasetBundle(), T0);
      await finishProducerTask(store, 'make', [{ uri: 's3://bucket/a', extra: { rows: 3 }, aliases: [] }], T0 + 1_000);
      await finishProducerTask(store, 'make', [{ uri: 's3://bucket/a', extra: { rows: 4 }, aliases: [] }], T0 + 2_000);
      await finishProducerTask(store, 'make', [{ uri: 's3://bucket/a', extra: { rows: 5 }, aliases: [] }], T0 + 3_000, 'failed');
      const events = await store.listDatasetEvents({ uri: 's3://bucket/a' });
      expect(events.map((e) => [e.extra, e.timestamp, e.sourceDagId, e.sourceTaskId, e.sourceMapIndex, e.sourceAliases])).toEqual([
        [{ rows: 4 }, T0 + 2_000, 'producer', 'make', -1, []],
        [{ rows: 3 }, T0 + 1_000, 'producer', 'make', -1, []],
      ]);
      expect(events[0]?.sourceRunId).toMatch(/^manual__/);
      expect((await store.listDatasets()).find((d) => d.uri === 's3://bucket/a')).toMatchObject({ eventCount: 2, lastEventAt: T0 + 2_000 });
    });

    it('an event through an alias creates its dataset and the alias resolves to it; a direct event of an unknown URI is not recorded', async () => {
      const store = await harness.create();
      await store.syncBundle(datasetBundle(), T0);
      await finishProducerTask(store, 'attach', [
        { uri: 's3://bucket/c', extra: { k: 1 }, aliases: ['my-alias'] },
        { uri: 's3://nobody/declared', extra: {}, aliases: [] },
      ], T0 + 1_000);
      const c = (await store.listDatasets()).find((d) => d.uri === 's3://bucket/c');
      expect(c).toMatchObject({ aliases: ['my-alias'], consumers: ['alias_consumer'], eventCount: 1 });
      expect((await store.listDatasetEvents({})).map((e) => [e.uri, e.sourceAliases])).toEqual([['s3://bucket/c', ['my-alias']]]);
      expect((await store.listDatasets()).map((d) => d.uri)).not.toContain('s3://nobody/declared');
    });

    it('creates an event by hand with no source, and refuses an unknown URI without storing anything', async () => {
      const store = await harness.create();
      await store.syncBundle(datasetBundle(), T0);
      const event = await store.createDatasetEvent('s3://bucket/b', { by: 'hand' }, T0 + 5_000);
      expect(event).toMatchObject({ uri: 's3://bucket/b', extra: { by: 'hand' }, timestamp: T0 + 5_000, sourceDagId: null, sourceTaskId: null, sourceAliases: [] });
      expect(await store.createDatasetEvent('s3://bucket/unknown', {}, T0 + 6_000)).toBeNull();
      expect((await store.listDatasetEvents({})).map((e) => e.uri)).toEqual(['s3://bucket/b']);
      expect((await store.listDatasets()).map((d) => d.uri)).toEqual(['s3://bucket/a', 's3://bucket/b']);
    });
  });
}
