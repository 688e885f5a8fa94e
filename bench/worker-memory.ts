/**
 * A worker's memory over a DAG repo of many files (a script that prints numbers, not a test): a real scheduler
 * and one real worker on PostgreSQL and Redis run one manual run of each of `--files` generated DAG files, and
 * the worker's process tree is sampled every 200 ms: the worker's node process, its fork servers (which keep
 * parsed DAG files, `forkServerCacheFiles` of them, least recently used out) and the task processes forked from
 * them, by resident set size (RSS) and by proportional set size (PSS, which splits the pages a forked child
 * still shares with its server among the processes sharing them, so the parts add up).
 *
 *   npm run bench:worker-memory [-- --files 200 --tasks-per-file 10 --concurrency 2 --python python3]
 *                               [--cache-files N] [--deadline-seconds 1200]
 *
 * Needs PostgreSQL (DAGBRIDGE_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) and Redis
 * (DAGBRIDGE_BENCH_REDIS_URL, default redis://127.0.0.1:6379); the database and the key prefix are its own and
 * removed at the end. Every process is started here and stopped by its pid.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exportDags } from '../src/shim/export.js';
import type { PgStore } from '../src/store/pg-store.js';
import { BenchCluster, ensureBuilt } from './support/cluster.js';
import { createRun, until } from './support/cluster-runs.js';
import { describeMachine } from './support/machine.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '200' },
    'tasks-per-file': { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '2' },
    python: { type: 'string', default: 'python3' },
    'cache-files': { type: 'string' },
    'deadline-seconds': { type: 'string', default: '1200' },
  },
});

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return n;
}

const files = positiveInt('--files', values.files);
const tasksPerFile = positiveInt('--tasks-per-file', values['tasks-per-file']);
const concurrency = positiveInt('--concurrency', values.concurrency);
const python = values.python as string;

/**
 * A DAG file as a repo holds them: a few imports, default_args, a dozen entries of configuration data, TaskFlow
 * and Bash tasks in a small fan-out/fan-in (`tasksPerFile` tasks).
 */
function dagFile(index: number): string {
  const id = `repo_dag_${String(index).padStart(4, '0')}`;
  const sources = Array.from({ length: 12 }, (_v, i) => `"source_${i}": {"table": "t_${index}_${i}", "columns": ${JSON.stringify(Array.from({ length: 8 }, (_c, j) => `col_${j}`))}}`);
  return `import json
from datetime import datetime, timedelta

from airflow import DAG
from airflow.decorators import task
from airflow.operators.bash import BashOperator

SOURCES = {${sources.join(', ')}}

default_args = {"owner": "data", "retries": 1, "retry_delay": timedelta(minutes=5)}

with DAG(${JSON.stringify(id)}, start_date=datetime(2024, 1, 1), schedule=None, catchup=False, default_args=default_args,
         tags=["repo", "group_${index % 10}"]) as dag:
    @task
    def extract(name):
        return json.dumps(SOURCES[name])[:0]

    start = BashOperator(task_id="start", bash_command="true")
    done = BashOperator(task_id="done", bash_command="true")
    for i in range(${Math.max(1, tasksPerFile - 2)}):
        start >> extract.override(task_id="extract_%02d" % i)("source_%d" % (i % 12)) >> done
`;
}

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(entry), ppid, cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return out;
}

/** RSS and PSS of one process in kB (smaps_rollup), or null when it is gone. */
function memoryKb(pid: number): { rss: number; pss: number } | null {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
    return { rss: field('Rss'), pss: field('Pss') };
  } catch {
    return null;
  }
}

const PARTS = ['worker (node)', 'fork servers', 'task processes'] as const;
type Part = (typeof PARTS)[number];
type Sample = Record<Part, { rss: number; pss: number; count: number }>;

function emptySample(): Sample {
  return { 'worker (node)': { rss: 0, pss: 0, count: 0 }, 'fork servers': { rss: 0, pss: 0, count: 0 }, 'task processes': { rss: 0, pss: 0, count: 0 } };
}

/** The worker's process tree by part: RSS and PSS in MB, and the number of processes. */
function sample(workerPid: number): Sample {
  const children = new Map<number, Proc[]>();
  for (const p of processes()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const parts = emptySample();
  const add = (part: Part, pid: number): void => {
    const memory = memoryKb(pid);
    if (!memory) return;
    parts[part].rss += memory.rss / 1024;
    parts[part].pss += memory.pss / 1024;
    parts[part].count += 1;
  };
  add('worker (node)', workerPid);
  const visit = (pid: number, underServer: boolean): void => {
    for (const child of children.get(pid) ?? []) {
      const isServer = !underServer && child.cmdline.includes('fork-server');
      add(isServer ? 'fork servers' : 'task processes', child.pid);
      visit(child.pid, underServer || isServer);
    }
  };
  visit(workerPid, false);
  return parts;
}

const totalPss = (parts: Sample): number => PARTS.reduce((sum, part) => sum + parts[part].pss, 0);

function describe(name: string, parts: Sample): string {
  const each = PARTS.map((part) => `${part} ${parts[part].rss.toFixed(0)} MB RSS / ${parts[part].pss.toFixed(0)} MB PSS (${parts[part].count})`);
  return `${name.padEnd(32)} ${each.join('; ')}; total PSS ${totalPss(parts).toFixed(0)} MB`;
}

async function main(): Promise<void> {
  console.log(describeMachine());
  await ensureBuilt((line) => console.log(line));
  const deadlineAt = Date.now() + positiveInt('--deadline-seconds', values['deadline-seconds']) * 1000;
  const dagsFolder = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-worker-memory-'));
  const cacheFiles = values['cache-files'] === undefined ? undefined : positiveInt('--cache-files', values['cache-files']);
  const cluster = new BenchCluster({
    adminDatabaseUrl: process.env.DAGBRIDGE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.DAGBRIDGE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    dagsFolder,
    deadlineAt,
    env: { DAGBRIDGE_PYTHON: python, ...(cacheFiles === undefined ? {} : { DAGBRIDGE_FORK_SERVER_CACHE_FILES: String(cacheFiles) }) },
  });
  try {
    for (let i = 0; i < files; i += 1) await writeFile(path.join(dagsFolder, `repo_dag_${String(i).padStart(4, '0')}.py`), dagFile(i));
    await cluster.setUp();
    const store = cluster.store as PgStore;
    const bundle = await exportDags({ dagsFolder, python, noAirflow: true });
    if (bundle.importErrors.length > 0) throw new Error(`the generated files did not load: ${JSON.stringify(bundle.importErrors[0])}`);
    await store.syncBundle(bundle, Date.now(), { pausedOnCreation: false });
    const tasks = bundle.dags.reduce((sum, dag) => sum + dag.tasks.length, 0);
    console.log(`${files} DAG files, ${tasks} tasks in all; 1 scheduler + 1 worker with ${concurrency} slots; ${python}; fork server cache ${cacheFiles ?? 'default (64)'} files`);

    cluster.start('scheduler', ['scheduler']);
    const worker = cluster.start('worker', ['worker', '--worker-id', 'memory-1', '--concurrency', String(concurrency)]);
    // Idle: the worker connected (its heartbeat row), before any task; its fork server starts with the first task.
    await until(cluster, 'the worker to register', async () => ((await cluster.pool!.query('SELECT 1 FROM workers LIMIT 1')).rowCount ? true : null), 200);
    const idle = sample(worker.pid);
    for (const dag of bundle.dags) await createRun(store, dag, 'memory');

    const peak = emptySample();
    let peakTotal = 0;
    let samples = 0;
    const started = Date.now();
    for (;;) {
      const parts = sample(worker.pid);
      samples += 1;
      for (const part of PARTS) {
        peak[part].rss = Math.max(peak[part].rss, parts[part].rss);
        peak[part].pss = Math.max(peak[part].pss, parts[part].pss);
        peak[part].count = Math.max(peak[part].count, parts[part].count);
      }
      peakTotal = Math.max(peakTotal, totalPss(parts));
      const done = await cluster.pool!.query<{ finished: string; failed: string }>(
        "SELECT count(*) FILTER (WHERE state IN ('success', 'failed')) AS finished, count(*) FILTER (WHERE state = 'failed') AS failed FROM dag_runs");
      const { finished, failed } = done.rows[0]!;
      if (Number(failed) > 0) throw new Error(`${failed} runs failed\n${cluster.outputs()}`);
      if (Number(finished) === bundle.dags.length) break;
      const exited = cluster.exited();
      if (exited) throw new Error(`${exited.name} exited\n${cluster.outputs()}`);
      if (Date.now() > deadlineAt) throw new Error(`deadline reached with ${finished} of ${bundle.dags.length} runs finished`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const elapsed = (Date.now() - started) / 1000;
    const after = sample(worker.pid);
    console.log(`${bundle.dags.length} runs, ${tasks} tasks finished in ${elapsed.toFixed(1)} s (${(tasks / elapsed).toFixed(1)} tasks/s), ${samples} samples`);
    console.log(describe('idle, before the runs', idle));
    console.log(describe('peak of each part while running', peak));
    console.log(`${'peak total PSS while running'.padEnd(32)} ${peakTotal.toFixed(0)} MB`);
    console.log(describe('after the runs', after));
  } finally {
    await cluster.tearDown();
    await rm(dagsFolder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
