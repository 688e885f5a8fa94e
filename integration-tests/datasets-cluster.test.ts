/**
 * Data-aware scheduling through a real cluster (`dagbridge scheduler` + `dagbridge worker` on PostgreSQL and
 * Redis): a producer's events create the consumers' runs, which read the events that triggered them
 * (`triggering_dataset_events`) and their inlets' (`inlet_events`); an event made by hand
 * (`datasets create-event`) triggers a consumer; a DAG scheduled on an alias runs for the datasets the alias
 * resolved to. Fixtures: integration-tests/fixtures/dataset_dags.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagRunRecord } from '../src/ports/metadata-store.js';
import { CLI, ROOT, TestCluster } from './support/cluster.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'dataset_dags');
let cluster: TestCluster;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  cluster = await new TestCluster({ label: 'datasets_cluster', dagsFolder: FIXTURES }).setUp();
  cluster.scheduler();
  cluster.worker('w1', ['--concurrency', '2']);
  await cluster.waitForDags(['producer', 'consumer', 'alias_consumer']);
}, 120_000);

afterAll(async () => {
  await cluster?.tearDown();
});

/** The dataset-triggered runs of `dagId` once there are `count`, each finished, oldest first. */
async function datasetRuns(dagId: string, count: number): Promise<DagRunRecord[]> {
  return cluster.until(`${count} finished dataset-triggered run(s) of ${dagId}`, async () => {
    const runs = (await cluster.store.listDagRuns({ dagId })).filter((run) => run.runType === 'asset_triggered');
    return runs.length === count && runs.every((run) => run.state === 'success' || run.state === 'failed') ? runs.reverse() : null;
  }, 120_000);
}

async function reported(run: DagRunRecord): Promise<unknown> {
  return (await cluster.store.listXcoms(run)).find((x) => x.taskId === 'report' && x.key === 'return_value')?.value;
}

describe('dataset-triggered runs in a cluster', () => {
  it('a producer run creates the consumer runs, which succeed reading the events that triggered them', async () => {
    const producerRunId = await cluster.trigger('producer');
    expect((await cluster.waitForRun('producer', producerRunId)).state).toBe('success');
    const [consumer] = await datasetRuns('consumer', 1);
    if (!consumer) throw new Error('no consumer run');
    expect([consumer.state, consumer.runId.startsWith('dataset_triggered__'), consumer.logicalDate === null]).toEqual(['success', true, false]);
    expect(await reported(consumer)).toEqual({ triggering: { 's3://lake/customers': ['5'], 's3://lake/orders': ['10'] }, inletOrders: 1 });
    const [byAlias] = await datasetRuns('alias_consumer', 1);
    expect(byAlias?.state).toBe('success');
  }, 180_000);

  it('events created by hand trigger the consumer, and its inlet reads every event of the dataset', async () => {
    await cluster.cliJson(['datasets', 'create-event', 's3://lake/orders', '--extra', '{"rows": 1}']);
    await cluster.cliJson(['datasets', 'create-event', 's3://lake/customers', '--extra', '{"rows": 2}']);
    const runs = await datasetRuns('consumer', 2);
    const second = runs[1];
    if (!second) throw new Error('no second consumer run');
    expect(second.state).toBe('success');
    expect(await reported(second)).toEqual({ triggering: { 's3://lake/customers': ['2'], 's3://lake/orders': ['1'] }, inletOrders: 2 });
  }, 180_000);

  it('an event of a dataset the alias resolved to triggers the alias consumer', async () => {
    await cluster.cliJson(['datasets', 'create-event', 's3://lake/by_alias']);
    const runs = await datasetRuns('alias_consumer', 2);
    expect(runs.map((run) => run.state)).toEqual(['success', 'success']);
  }, 180_000);
});

describe('dagbridge standalone', () => {
  it('--until-idle runs the consumers the producer triggers, and waits for them', async () => {
    const own = await new TestCluster({ label: 'datasets_standalone', dagsFolder: FIXTURES }).setUp();
    try {
      const result = await execa(process.execPath, [CLI, 'standalone', '--database-url', own.databaseUrl, '--dags-folder', FIXTURES, '--until-idle', '--json'], {
        reject: false, extendEnv: false, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }, cwd: ROOT,
      });
      const outcome = JSON.parse(String(result.stdout)) as { ok: boolean; runs: Array<{ dagId: string; runType: string; state: string }> };
      // One manual run of each DAG (the --until-idle plan), and a dataset-triggered run of each consumer.
      expect(outcome.runs.map((run) => [run.dagId, run.runType, run.state]).sort()).toEqual([
        ['alias_consumer', 'asset_triggered', 'success'],
        ['alias_consumer', 'manual', 'success'],
        ['consumer', 'asset_triggered', 'success'],
        ['consumer', 'manual', 'success'],
        ['producer', 'manual', 'success'],
      ]);
      expect([result.exitCode, outcome.ok]).toEqual([0, true]);
    } finally {
      await own.tearDown();
    }
  }, 240_000);
});
