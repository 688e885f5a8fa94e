/**
 * H5: a DAG file whose import hangs, and leaves a process in a session of its own holding every inherited pipe,
 * must not stop scheduling. The scheduler's DAG processor parses beside the loop: while that parse is stuck, a
 * triggered run is queued, an expired lease is repaired, and the run finishes; the parse's deadline then kills it.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TestCluster } from './support/cluster.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'cluster_dags');
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPids(file: string): number[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '').map(Number) : [];
}

function readPid(file: string): number | null {
  return readPids(file)[0] ?? null;
}

/** The review's file: at import it forks a setsid child that sleeps holding stderr, then the import itself hangs. */
function stallFile(markers: string): string {
  return [
    'import os, time',
    '# airflow DAG',
    'if os.fork() == 0:',
    '    os.setsid()',
    `    open(${JSON.stringify(path.join(markers, 'daemon.pid'))}, "a").write("%d\\n" % os.getpid())`,
    '    time.sleep(600)',
    '    os._exit(0)',
    `open(${JSON.stringify(path.join(markers, 'import.pid'))}, "w").write(str(os.getpid()))`,
    'time.sleep(600)',
    '',
  ].join('\n');
}

describe('DAG processor', () => {
  it('queues, repairs leases and finishes a run while a parse is stuck, then kills the parse at its deadline', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'dagbridge-dagproc-'));
    const dags = path.join(root, 'dags');
    const markers = path.join(root, 'markers');
    cpSync(FIXTURES, dags, { recursive: true });
    mkdirSync(markers);
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    cleanups.push(() => {
      // Every parse of the folder imports the file again, so each one leaves a daemon (one pid per line).
      for (const name of ['daemon.pid', 'import.pid']) {
        for (const pid of readPids(path.join(markers, name))) if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    });

    // Per-file timeout of the shim (30 s) is longer than the parse deadline: the deadline is what ends the parse.
    const cluster = await new TestCluster({ label: 'dagproc', dagsFolder: dags, env: { DAGBRIDGE_PARSE_TIMEOUT_SECONDS: '25', DAGBRIDGE_PARSE_INTERVAL_SECONDS: '1' } }).setUp();
    cleanups.push(() => cluster.tearDown());
    cluster.scheduler();
    await cluster.waitForDags(['fanout']);

    writeFileSync(path.join(dags, 'zz_stall.py'), stallFile(markers));
    const importPid = await cluster.until('the stuck import to start', async () => readPid(path.join(markers, 'import.pid')));
    await cluster.until('the daemon the import left to start', async () => readPid(path.join(markers, 'daemon.pid')));

    // Queueing goes on: the run's first task reaches Redis with no worker running.
    const runId = await cluster.trigger('fanout');
    const claimed = await cluster.until('the first task to be queued and claimed', async () => cluster.queue.claim('ghost', ['default'], 300));
    // Lease repair goes on: the ghost worker never renews, housekeeping puts the message back.
    await cluster.until('the expired lease to be repaired', async () => (await cluster.queue.peek('default', 10)).some((m) => m.id === claimed.id));
    expect(alive(importPid)).toBe(true);

    cluster.worker('w1', ['--concurrency', '4']);
    const run = await cluster.waitForRun('fanout', runId);
    expect(run.state).toBe('success');
    expect(alive(importPid)).toBe(true); // all of it happened during the one stuck parse

    // The deadline kills the parse's process group (the import child with it).
    await cluster.until('the stuck parse to be killed at its deadline', async () => !alive(importPid), 60_000);
    const scheduler = cluster.processes.find((p) => p.name === 'scheduler');
    expect(scheduler?.output()).toContain('did not finish within 25 s');

    const duplicates = await cluster.store.pool.query('SELECT dag_id, task_id, map_index, try_number FROM task_instance_tries GROUP BY 1, 2, 3, 4 HAVING count(*) > 1');
    expect(duplicates.rows).toEqual([]);
  }, 180_000);
});
