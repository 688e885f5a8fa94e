/**
 * A cluster (scheduler + one worker) on a private copy of a fixture DAGs folder, for tests whose DAGs talk to
 * each other through the store (cross-DAG sensors, triggered runs).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, TestCluster } from './cluster.js';

/** Started cluster plus the way to remove it and its folder. */
export interface FixtureCluster {
  readonly cluster: TestCluster;
  tearDown(): Promise<void>;
}

/** Copies `integration-tests/fixtures/<fixtures>` to a temporary DAGs folder and starts a scheduler and worker `w1`. */
export async function startFixtureCluster(label: string, fixtures: string, workerArgs: string[] = ['--concurrency', '4']): Promise<FixtureCluster> {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  const root = mkdtempSync(path.join(tmpdir(), `dagbridge-${label}-`));
  cpSync(path.join(ROOT, 'integration-tests', 'fixtures', fixtures), path.join(root, 'dags'), { recursive: true });
  const cluster = await new TestCluster({ label, dagsFolder: path.join(root, 'dags') }).setUp();
  cluster.scheduler();
  cluster.worker('w1', workerArgs);
  return {
    cluster,
    async tearDown() {
      await cluster.tearDown();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
