/**
 * dagbridge's reason to exist, end to end: two workers built from two Python environments, only one of which has
 * boto3. The DAG's `aws` tasks run only on the capable worker, nothing fails, and the other worker says exactly
 * what it lacks, before and instead of failing tasks at run time.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TestCluster } from './support/cluster.js';
import { createPythonEnv, installFakeDistribution, simplePackage, type PythonEnv } from './support/python-envs.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'manifest_dags');
let full: PythonEnv;
let lean: PythonEnv;
let root: string;
let cluster: TestCluster;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  full = await createPythonEnv('full');
  await installFakeDistribution(full, { name: 'boto3', version: '1.28.0', files: simplePackage('boto3', '1.28.0') });
  lean = await createPythonEnv('lean');
  root = mkdtempSync(path.join(tmpdir(), 'dagbridge-manifest-'));
  cpSync(FIXTURES, path.join(root, 'repo'), { recursive: true });
}, 60_000);

afterAll(async () => {
  await cluster?.tearDown();
  await full?.remove();
  await lean?.remove();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('workers verify the manifest before they pull work', () => {
  it('runs the aws tasks only on the worker that has boto3, and the other worker says what it lacks', async () => {
    const repo = path.join(root, 'repo');
    cluster = await new TestCluster({ label: 'manifest', dagsFolder: repo }).setUp();
    // The lean worker starts before any manifest is published: it learns it from the first aws message.
    cluster.worker('lean', ['--queues', 'default,aws', '--python', lean.python, '--concurrency', '2']);
    await cluster.until('the lean worker to register', async () => (await cluster.store.listWorkers()).some((w) => w.workerId === 'lean'));
    cluster.start('scheduler', ['scheduler', '--manifest', path.join(repo, 'dagbridge.manifest.json')]);
    await cluster.waitForDags(['mixed_queues']);
    const runId = await cluster.trigger('mixed_queues');
    // While only the lean worker runs, the aws tasks wait and the scheduler says why.
    await cluster.until('the scheduler to report the unserved queue', async () => cluster.processes[1]?.output().includes('queue aws:') ?? false);
    expect(cluster.processes[1]?.output()).toMatch(/queue aws: \d+ task\(s\) waiting and no worker can take them: queue aws: boto3>=1\.26 is missing \(worker lean\)/);
    cluster.worker('full', ['--queues', 'default,aws', '--python', full.python, '--concurrency', '2']);
    const run = await cluster.waitForRun('mixed_queues', runId, 120_000);
    expect(run.state).toBe('success');

    const tis = await cluster.store.listTaskInstances({ dagId: 'mixed_queues', runId });
    const uploads = tis.filter((ti) => ti.taskId === 'upload');
    expect(uploads.map((ti) => [ti.mapIndex, ti.state, ti.workerId, ti.tryNumber])).toEqual([[0, 'success', 'full', 1], [1, 'success', 'full', 1], [2, 'success', 'full', 1]]);
    expect(tis.filter((ti) => ti.state !== 'success')).toEqual([]);
    const xcoms = await cluster.store.listXcoms({ dagId: 'mixed_queues', runId });
    expect(xcoms.filter((x) => x.taskId === 'upload').map((x) => x.value).sort()).toEqual([
      'a uploaded with boto3 1.28.0', 'b uploaded with boto3 1.28.0', 'c uploaded with boto3 1.28.0',
    ]);

    const workers = await cluster.store.listWorkers();
    const leanRecord = workers.find((w) => w.workerId === 'lean');
    const fullRecord = workers.find((w) => w.workerId === 'full');
    expect([leanRecord?.queues, leanRecord?.refused]).toEqual([['default'], [{ queue: 'aws', reasons: ['queue aws: boto3>=1.26 is missing'] }]]);
    expect([fullRecord?.queues, fullRecord?.refused]).toEqual([['default', 'aws'], []]);
    // The lean worker verified itself against the published manifest and never started an aws task.
    expect(cluster.processes[0]?.output(), cluster.processes[0]?.output()).toContain('verified the environment against a new manifest');
    const leanStarts = await cluster.store.pool.query("SELECT task_id FROM task_instance_tries WHERE worker_id = 'lean' AND task_id = 'upload'");
    expect(leanStarts.rows).toEqual([]);
  }, 180_000);
});
