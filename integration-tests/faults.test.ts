/**
 * Restarting the servers under a running cluster: the services reconnect with backoff and every run finishes,
 * nothing lost and nothing started twice. The servers are the test's own (own-servers.ts).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { migrate } from '../src/store/migrate.js';
import { ROOT, TestCluster } from './support/cluster.js';
import { OwnPostgres, OwnRedis } from './support/own-servers.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'cluster_dags');
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function dagsCopy(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'dagbridge-faults-'));
  cleanups.push(async () => rmSync(root, { recursive: true, force: true }));
  cpSync(FIXTURES, path.join(root, 'dags'), { recursive: true });
  return path.join(root, 'dags');
}

async function noDuplicateStarts(cluster: TestCluster): Promise<void> {
  const duplicates = await cluster.store.pool.query('SELECT dag_id, task_id, map_index, try_number FROM task_instance_tries GROUP BY 1, 2, 3, 4 HAVING count(*) > 1');
  expect(duplicates.rows).toEqual([]);
}

/**
 * Runs 30 tasks on one worker, restarts a server (`restart`) once a few succeeded, and checks that the run
 * finishes with every task succeeded on its first start (nothing lost, nothing started twice).
 */
async function restartMidRun(cluster: TestCluster, restart: () => Promise<void>): Promise<void> {
  cleanups.push(() => cluster.tearDown());
  cluster.scheduler();
  cluster.worker('w1', ['--concurrency', '2']);
  await cluster.waitForDags(['many']);
  const runId = await cluster.trigger('many');
  await cluster.until('a few tasks to succeed', async () => (await cluster.store.listTaskInstances({ dagId: 'many', runId })).filter((t) => t.state === 'success').length >= 4);
  await restart();
  const run = await cluster.waitForRun('many', runId, 120_000);
  expect(run.state).toBe('success');
  const tis = await cluster.store.listTaskInstances({ dagId: 'many', runId });
  expect(tis.filter((t) => t.state !== 'success')).toEqual([]);
  await noDuplicateStarts(cluster);
}

describe('server restarts', () => {
  it('finishes the run when Redis restarts mid-run (and loses every message)', async () => {
    const redis = new OwnRedis();
    await redis.start();
    cleanups.push(() => redis.stop());
    const cluster = await new TestCluster({ label: 'redis-restart', dagsFolder: dagsCopy(), redisUrl: redis.url }).setUp();
    await restartMidRun(cluster, async () => {
      await redis.stop();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await redis.start();
    });
  }, 180_000);

  it('finishes the run when PostgreSQL restarts mid-run', async () => {
    const server = await new OwnPostgres().init();
    await server.start();
    cleanups.push(() => server.destroy());
    const pool = new pg.Pool({ connectionString: server.url });
    await migrate(pool);
    await pool.end();
    const cluster = await new TestCluster({ label: 'pg-restart', dagsFolder: dagsCopy(), databaseUrl: server.url }).setUp();
    await restartMidRun(cluster, async () => {
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await server.start();
    });
  }, 180_000);
});
