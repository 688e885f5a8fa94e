/**
 * The environment variable names a manifest asks for reach the tasks of a worker that follows the manifest the
 * scheduler publishes (no --manifest of its own): the worker verified they are set, so its tasks may read them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestCluster } from './support/cluster.js';

const root = mkdtempSync(path.join(tmpdir(), 'dagbridge-manifest-env-'));
let cluster: TestCluster | undefined;

afterAll(async () => {
  await cluster?.tearDown();
  rmSync(root, { recursive: true, force: true });
});

describe('a worker following the published manifest', () => {
  it('passes the manifest\'s variable names to its tasks', async () => {
    const dags = path.join(root, 'dags');
    writeFileSync(path.join(root, 'dagbridge.manifest.json'), JSON.stringify({ version: 1, env: ['TASK_REGION'] }));
    mkdirSync(dags);
    writeFileSync(path.join(dags, 'manifest_env.py'), [
      'import os',
      'from datetime import datetime',
      'from airflow import DAG',
      'from airflow.decorators import task',
      '',
      "with DAG('manifest_env', start_date=datetime(2024, 1, 1), schedule=None):",
      '    @task',
      '    def region():',
      "        return os.environ.get('TASK_REGION', 'unset') + '/' + os.environ.get('NOT_IN_MANIFEST', 'unset')",
      '',
      '    region()',
      '',
    ].join('\n'));
    cluster = await new TestCluster({ label: 'manifestenv', dagsFolder: dags }).setUp();
    cluster.start('scheduler', ['scheduler', '--manifest', path.join(root, 'dagbridge.manifest.json')]);
    await cluster.waitForDags(['manifest_env']);
    await cluster.until('the manifest to be published', () => cluster!.store.currentManifestHash());
    cluster.worker('w1', ['--concurrency', '1'], { TASK_REGION: 'eu-west-3', NOT_IN_MANIFEST: 'secret' });
    const runId = await cluster.trigger('manifest_env');
    const run = await cluster.waitForRun('manifest_env', runId);
    expect(run.state).toBe('success');
    const xcoms = await cluster.store.listXcoms({ dagId: 'manifest_env', runId });
    expect(xcoms.map((x) => [x.taskId, x.key, x.value])).toEqual([['region', 'return_value', 'eu-west-3/unset']]);
  }, 180_000);
});
