/**
 * The dataset (asset) behaviour every MetadataStore must have: `memory-datasets.test.ts` runs it against the
 * in-memory store, `integration-tests/store-datasets.test.ts` against PostgreSQL. Facts from Airflow 2.10.5
 * (airflow/datasets/manager.py `register_dataset_change`, models/taskinstance.py `_register_dataset_changes`).
 */
import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_VERSION, type DagBundle, type DagSpec } from '../dag/bundle.js';
import { dagOf, task } from '../dag/spec-fixtures.js';
import { dagVersionHash } from './dag-version.js';
import type { AttemptOutcome, DagRecord, MetadataStore, TaskInstanceKey } from './metadata-store.js';

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
  dataInterval: [string, string] | null = null,
): Promise<TaskInstanceKey> {
  runs += 1;
  const runId = `manual__${runs}`;
  const { run } = await store.createDagRun({
    dagId: 'producer', runId, versionHash: dagVersionHash(producerDag), runType: 'manual', logicalDate: dataInterval?.[0] ?? null,
    dataIntervalStart: dataInterval?.[0] ?? null, dataIntervalEnd: dataInterval?.[1] ?? null, runAfter: '2024-01-01T00:00:00+00:00', conf: {}, queuedAt: at, state: 'running',
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

    describe('dataset-triggered runs (scheduler_job_runner._create_dag_runs_dataset_triggered)', () => {
      const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', '+00:00');
      const consumerRecord = async (store: MetadataStore): Promise<DagRecord> => {
        const dag = await store.getDag('consumer');
        if (!dag) throw new Error('consumer not synced');
        return dag;
      };
      const consumerRows = async (store: MetadataStore, dagId = 'consumer') => (await store.listDatasetQueue()).rows.filter((row) => row.dagId === dagId);

      it('creates the run from the queue: logical date the newest row, data interval from the source runs, the events it consumed, exactly its rows deleted', async () => {
        const store = await harness.create();
        await store.syncBundle(datasetBundle(), T0);
        await finishProducerTask(store, 'make', [{ uri: 's3://bucket/a', extra: { n: 1 }, aliases: [] }], T0 + 1_000, 'success', ['2023-12-01T00:00:00+00:00', '2023-12-02T00:00:00+00:00']);
        await finishProducerTask(store, 'make', [{ uri: 's3://bucket/a', extra: { n: 2 }, aliases: [] }], T0 + 2_000);
        await store.createDatasetEvent('s3://bucket/b', { n: 3 }, T0 + 3_000);
        await finishProducerTask(store, 'attach', [{ uri: 's3://bucket/c', extra: {}, aliases: ['my-alias'] }], T0 + 3_500);
        const rows = await consumerRows(store);
        expect(rows.map((row) => [row.uri, row.createdAt])).toEqual([['s3://bucket/a', T0 + 1_000], ['s3://bucket/b', T0 + 3_000]]);
        const result = await store.createDatasetTriggeredRun({ dag: await consumerRecord(store), rows, runIdSuffix: 'x' }, T0 + 4_000);
        if (!result.created) throw new Error(`not created: ${result.reason}`);
        expect([result.run.runId, result.run.runType, result.run.state, result.run.logicalDate, result.run.dataIntervalStart, result.run.dataIntervalEnd, result.run.conf]).toEqual([
          'dataset_triggered__2024-01-01T12:00:03+00:00', 'asset_triggered', 'queued', '2024-01-01T12:00:03+00:00',
          '2023-12-01T00:00:00+00:00', iso(T0 + 3_000), {},
        ]);
        expect(result.events.map((e) => e.extra)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
        expect((await store.listRunDatasetEvents(result.run, 100)).map((e) => e.extra)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
        expect((await store.listRunDatasetEvents(result.run, 2)).map((e) => e.extra)).toEqual([{ n: 2 }, { n: 3 }]);
        expect((await store.listDatasetQueue()).rows.map((row) => [row.dagId, row.uri])).toEqual([['alias_consumer', 's3://bucket/c']]);
        expect(await store.createDatasetTriggeredRun({ dag: await consumerRecord(store), rows, runIdSuffix: 'x' }, T0 + 4_000)).toEqual({ created: false, reason: 'queue_changed' });
      });

      it('the next run consumes only the events after the previous run, and an event during a queue keeps its first time', async () => {
        const store = await harness.create();
        await store.syncBundle(datasetBundle(), T0);
        await store.createDatasetEvent('s3://bucket/a', { n: 1 }, T0 + 1_000);
        await store.createDatasetEvent('s3://bucket/b', { n: 2 }, T0 + 2_000);
        const first = await store.createDatasetTriggeredRun({ dag: await consumerRecord(store), rows: await consumerRows(store), runIdSuffix: 'x' }, T0 + 2_500);
        expect(first.created).toBe(true);
        await store.createDatasetEvent('s3://bucket/a', { n: 3 }, T0 + 3_000);
        await store.createDatasetEvent('s3://bucket/a', { n: 4 }, T0 + 4_000);
        await store.createDatasetEvent('s3://bucket/b', { n: 5 }, T0 + 5_000);
        const rows = await consumerRows(store);
        expect(rows.map((row) => [row.uri, row.createdAt])).toEqual([['s3://bucket/a', T0 + 3_000], ['s3://bucket/b', T0 + 5_000]]);
        const second = await store.createDatasetTriggeredRun({ dag: await consumerRecord(store), rows, runIdSuffix: 'x' }, T0 + 6_000);
        if (!second.created) throw new Error(`not created: ${second.reason}`);
        expect(second.events.map((e) => e.extra)).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }]);
        expect([second.run.dataIntervalStart, second.run.dataIntervalEnd]).toEqual([iso(T0 + 3_000), iso(T0 + 5_000)]);
      });

      it('consumes only the rows it was given and refuses rows that changed', async () => {
        const store = await harness.create();
        await store.syncBundle(datasetBundle(), T0);
        await store.createDatasetEvent('s3://bucket/a', {}, T0 + 1_000);
        await store.createDatasetEvent('s3://bucket/b', {}, T0 + 2_000);
        const rows = await consumerRows(store);
        const stale = rows.map((row) => ({ ...row, createdAt: row.createdAt - 1 }));
        expect(await store.createDatasetTriggeredRun({ dag: await consumerRecord(store), rows: stale, runIdSuffix: 'x' }, T0 + 3_000)).toEqual({ created: false, reason: 'queue_changed' });
        const onlyB = rows.filter((row) => row.uri === 's3://bucket/b');
        const result = await store.createDatasetTriggeredRun({ dag: await consumerRecord(store), rows: onlyB, runIdSuffix: 'x' }, T0 + 3_000);
        expect(result.created).toBe(true);
        expect((await consumerRows(store)).map((row) => row.uri)).toEqual(['s3://bucket/a']);
      });

      it('creates nothing for a consumer at max_active_runs, paused, or of another version; its rows wait', async () => {
        const store = await harness.create();
        const limited = { ...consumerDag, maxActiveRuns: 1 };
        await store.syncBundle(datasetBundle([producerDag, limited, aliasConsumerDag]), T0);
        await store.createDatasetEvent('s3://bucket/a', {}, T0 + 1_000);
        await store.createDatasetEvent('s3://bucket/b', {}, T0 + 2_000);
        const rows = await consumerRows(store);
        const dag = await consumerRecord(store);
        await store.createDagRun({
          dagId: 'consumer', runId: 'manual__1', versionHash: dag.versionHash, runType: 'manual', logicalDate: null, dataIntervalStart: null,
          dataIntervalEnd: null, runAfter: iso(T0), conf: {}, queuedAt: T0,
        }, T0);
        expect(await store.createDatasetTriggeredRun({ dag, rows, runIdSuffix: 'x' }, T0 + 3_000)).toEqual({ created: false, reason: 'max_active_runs' });
        expect(await store.createDatasetTriggeredRun({ dag: { ...dag, versionHash: 'other' }, rows, runIdSuffix: 'x' }, T0 + 3_000)).toEqual({ created: false, reason: 'not_schedulable' });
        await store.setPaused('consumer', true);
        expect(await consumerRows(store)).toEqual([]);
        expect(await store.createDatasetTriggeredRun({ dag, rows, runIdSuffix: 'x' }, T0 + 3_000)).toEqual({ created: false, reason: 'not_schedulable' });
        await store.setPaused('consumer', false);
        expect((await consumerRows(store)).length).toBe(2);
      });

      it('an alias consumer: the queue names what the alias resolved to, and the run consumes its events', async () => {
        const store = await harness.create();
        await store.syncBundle(datasetBundle(), T0);
        await finishProducerTask(store, 'attach', [{ uri: 's3://bucket/c', extra: { via: 'alias' }, aliases: ['my-alias'] }], T0 + 1_000);
        const snapshot = await store.listDatasetQueue();
        expect(snapshot.aliases).toEqual({ 'my-alias': ['s3://bucket/c'] });
        const dag = await store.getDag('alias_consumer');
        if (!dag) throw new Error('alias_consumer not synced');
        const result = await store.createDatasetTriggeredRun({ dag, rows: snapshot.rows.filter((row) => row.dagId === 'alias_consumer'), runIdSuffix: 'x' }, T0 + 2_000);
        if (!result.created) throw new Error(`not created: ${result.reason}`);
        expect(result.events.map((e) => [e.uri, e.extra, e.sourceAliases])).toEqual([['s3://bucket/c', { via: 'alias' }, ['my-alias']]]);
      });

      it('an Airflow 3 style consumer gets no logical date or data interval and an asset_triggered run id with the suffix', async () => {
        const store = await harness.create();
        await store.syncBundle(datasetBundle([producerDag, { ...consumerDag, airflowStyle: 3 }]), T0);
        await store.createDatasetEvent('s3://bucket/a', {}, T0 + 1_000);
        await store.createDatasetEvent('s3://bucket/b', {}, T0 + 2_000);
        const result = await store.createDatasetTriggeredRun({ dag: await consumerRecord(store), rows: await consumerRows(store), runIdSuffix: 'Ab3' }, T0 + 3_000);
        if (!result.created) throw new Error(`not created: ${result.reason}`);
        expect([result.run.runId, result.run.logicalDate, result.run.dataIntervalStart, result.run.runAfter, result.events.length]).toEqual([
          'asset_triggered__2024-01-01T12:00:02+00:00_Ab3', null, null, '2024-01-01T12:00:02+00:00', 2,
        ]);
      });

      it('lists the events of inlets oldest first, the newest of each when limited: a dataset\'s own, an alias\'s emitted through it', async () => {
        const store = await harness.create();
        await store.syncBundle(datasetBundle(), T0);
        for (const n of [1, 2, 3]) await store.createDatasetEvent('s3://bucket/a', { n }, T0 + n * 1_000);
        await finishProducerTask(store, 'attach', [{ uri: 's3://bucket/a', extra: { n: 4 }, aliases: ['my-alias'] }], T0 + 4_000);
        const listed = await store.listInletDatasetEvents([{ type: 'dataset', uri: 's3://bucket/a', extra: {} }, { type: 'alias', name: 'my-alias' }, { type: 'dataset', uri: 's3://bucket/b', extra: {} }], 3);
        expect(listed.map(({ inlet, events }) => [inlet.type, events.map((e) => e.extra.n)])).toEqual([['dataset', [2, 3, 4]], ['alias', [4]], ['dataset', []]]);
      });
    });
  });
}
