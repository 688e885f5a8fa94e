/**
 * Datasets (assets) through the CLI on a real database: `datasets list`, `datasets create-event`,
 * `datasets events`, and `dags test` of a producer (events recorded in memory, no consumer run).
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetEventRecord, DatasetRecord } from '../src/ports/metadata-store.js';
import { exportDags } from '../src/shim/export.js';
import { CLI, ROOT, TestCluster } from './support/cluster.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'dataset_dags');
let cluster: TestCluster;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  cluster = await new TestCluster({ label: 'datasets', dagsFolder: FIXTURES }).setUp();
  await cluster.store.syncBundle(await exportDags({ dagsFolder: FIXTURES }), Date.now());
}, 60_000);

afterAll(async () => {
  await cluster?.tearDown();
});

const json = <T>(args: string[]): Promise<T> => cluster.cliJson<T>(args);

describe('datasets CLI', () => {
  it('lists the datasets the DAGs name, with producers and consumers', async () => {
    const list = await json<DatasetRecord[]>(['datasets', 'list']);
    expect(list.map((d) => [d.uri, d.producers, d.consumers, d.eventCount])).toEqual([
      ['s3://lake/customers', ['producer.customers'], ['consumer'], 0],
      ['s3://lake/orders', ['producer.orders'], ['consumer'], 0],
    ]);
    const table = await cluster.cli(['datasets', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^URI\s+PRODUCERS\s+CONSUMERS\s+ALIASES\s+EVENTS\s+LAST_EVENT$/);
  }, 60_000);

  it('creates an event by hand and lists it; refuses an unknown URI and bad --extra', async () => {
    const event = await json<DatasetEventRecord>(['datasets', 'create-event', 's3://lake/orders', '--extra', '{"rows": 42}']);
    expect([event.uri, event.extra, event.sourceDagId]).toEqual(['s3://lake/orders', { rows: 42 }, null]);
    const events = await json<DatasetEventRecord[]>(['datasets', 'events', 's3://lake/orders']);
    expect(events.map((e) => [e.id, e.extra])).toEqual([[event.id, { rows: 42 }]]);
    const unknown = await cluster.cli(['datasets', 'create-event', 's3://lake/nope']);
    expect([unknown.exitCode, unknown.stderr.trim()]).toEqual([1, 'dagbridge: dataset "s3://lake/nope" is not known: no DAG names it (see dagbridge datasets list); nothing was recorded']);
    const bad = await cluster.cli(['datasets', 'create-event', 's3://lake/orders', '--extra', '[1]']);
    expect([bad.exitCode, bad.stderr.trim()]).toEqual([2, 'dagbridge: --extra must be a JSON object, e.g. \'{"key": "value"}\'']);
    expect((await json<DatasetEventRecord[]>(['datasets', 'events', 's3://lake/orders'])).length).toBe(1);
  }, 60_000);
});

describe('dags test of a producer', () => {
  it('records its events in memory (extra, Metadata, alias) and runs no consumer', async () => {
    const result = await execa(process.execPath, [CLI, 'dags', 'test', 'producer', '--dags-folder', FIXTURES, '--conf', '{"tag": "t1"}', '--json'], {
      reject: false, cwd: ROOT, env: { DAGBRIDGE_DATABASE_URL: '', DAGBRIDGE_REDIS_URL: '' },
    });
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(String(result.stdout)) as { state: string; datasetEvents: DatasetEventRecord[]; taskInstances: Array<{ taskId: string }> };
    expect(report.state).toBe('success');
    expect(report.datasetEvents.map((e) => [e.uri, e.extra, e.sourceTaskId, e.sourceAliases])).toEqual([
      ['s3://lake/orders', { rows: 10, conf: 't1' }, 'orders', []],
      ['s3://lake/customers', { rows: 5 }, 'customers', []],
      ['s3://lake/by_alias', { via: 'alias' }, 'attach', ['lake-alias']],
    ]);
    expect(report.taskInstances.map((ti) => ti.taskId).sort()).toEqual(['attach', 'customers', 'orders']);
  }, 120_000);
});
