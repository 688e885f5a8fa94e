/**
 * REST API figures (a script that prints numbers, not a test): requests per second and p50/p95 latency of the
 * list endpoints on a store of 1,000 DAGs and about 100,000 task instances, served by a real `dagbridge
 * webserver` process over loopback HTTP with basic auth, as the scripts people point at Airflow call it.
 *
 *   npm run bench:api [-- --requests 200 --concurrency 4 --dags 1000]
 *
 * The store: `--dags` DAGs of 5 tasks with 10 runs each, plus one DAG of 1,000 tasks with 50 runs (the grid's
 * 1,000-task case), so 999 x 5 x 10 + 1,000 x 50 = 99,950 task instances by default, in mixed states. It lives in
 * a fresh database on the server of DAGBRIDGE_TEST_DATABASE_URL (default the local one), dropped at the end.
 * The webserver's own CPU per request is read from /proc (the PostgreSQL backends' is not counted).
 */
import { performance } from 'node:perf_hooks';
import { createMigratedDatabase } from '../integration-tests/support/database.js';
import { positiveIntOption } from './support/args.js';
import { describeMachine } from './support/machine.js';
import { processCpuMs } from './support/cpu.js';
import { formatSummary, summarize } from './support/stats.js';
import { BIG_DAG, defaultToLocalDatabase, seedWebStore, startWebserver, type BenchWebserver } from './support/web-store.js';

const requests = positiveIntOption('requests', 200);
const concurrency = positiveIntOption('concurrency', 4);
const dagCount = positiveIntOption('dags', 1000);
const BIG = BIG_DAG;
const PASSWORD = 'bench-admin-password';

/** The list endpoints measured, each as a script would call it. */
function endpoints(latestBigRun: string): Array<[string, string]> {
  const hundred = Array.from({ length: 100 }, (_v, i) => `dag_${String(i).padStart(4, '0')}`).join(',');
  return [
    ['dags, first page', '/api/v1/dags?limit=100'],
    ['dags, page 6, tag filter', '/api/v1/dags?limit=100&offset=500&tags=team_3'],
    ['dags, search', '/api/v1/dags?dag_id_pattern=dag_09&limit=100'],
    ['runs of every DAG', '/api/v1/dags/~/dagRuns?limit=100'],
    ['runs of one DAG, newest first', `/api/v1/dags/${BIG}/dagRuns?limit=50&order_by=-execution_date`],
    ['instances of every run', '/api/v1/dags/~/dagRuns/~/taskInstances?limit=100'],
    ['instances of every run, state=failed', '/api/v1/dags/~/dagRuns/~/taskInstances?state=failed&limit=100'],
    ['instances of one 1,000-task run', `/api/v1/dags/${BIG}/dagRuns/${latestBigRun}/taskInstances?limit=100`],
    ['dagStats of 100 DAGs', `/api/v1/dagStats?dag_ids=${hundred}`],
    ['importErrors', '/api/v1/importErrors'],
    ['eventLogs', '/api/v1/eventLogs?limit=100'],
    ['UI: last runs of every DAG', '/dagbridge/api/v1/ui/dags/last-runs'],
    ['UI: last and next runs of a page of 100', `/dagbridge/api/v1/ui/dags/last-runs?dag_ids=${hundred}`],
    ['UI: grid of the 1,000-task DAG, 25 runs', `/dagbridge/api/v1/ui/dags/${BIG}/grid?limit=25`],
    ['UI: grid of the 1,000-task DAG, 50 runs', `/dagbridge/api/v1/ui/dags/${BIG}/grid?limit=50`],
  ];
}

async function measure(base: string, url: string, auth: string, serverPid: number): Promise<{ ms: number[]; wallMs: number; cpuMs: number | null; bytes: number }> {
  const get = async (): Promise<number> => {
    const response = await fetch(base + url, { headers: { authorization: auth } });
    const body = await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
    return body.byteLength;
  };
  for (let i = 0; i < 5; i += 1) await get();
  const ms: number[] = [];
  let next = 0;
  let bytes = 0;
  const cpuBefore = processCpuMs(serverPid);
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      next += 1;
      const t0 = performance.now();
      bytes = await get();
      ms.push(performance.now() - t0);
    }
  }));
  const wallMs = performance.now() - started;
  const cpuAfter = processCpuMs(serverPid);
  return { ms, wallMs, cpuMs: cpuBefore && cpuAfter ? cpuAfter.selfMs - cpuBefore.selfMs : null, bytes };
}

async function main(): Promise<void> {
  console.log(describeMachine());
  defaultToLocalDatabase();
  const db = await createMigratedDatabase('bench_api');
  let server: BenchWebserver | undefined;
  try {
    const latestRun = await seedWebStore(db, dagCount, { name: 'admin', role: 'Admin', password: PASSWORD });

    server = await startWebserver(db.url);
    const auth = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
    console.log(`${requests} requests per endpoint, ${concurrency} at a time, HTTP basic auth as an Admin, server pid ${server.pid}\n`);
    console.log(`${'endpoint'.padEnd(42)} ${'req/s'.padStart(7)}   latency${' '.repeat(46)} server CPU/req   bytes`);
    for (const [name, url] of endpoints(latestRun)) {
      const result = await measure(server.base, url, auth, server.pid);
      const rate = (result.ms.length / result.wallMs) * 1000;
      const cpu = result.cpuMs === null ? 'n/a' : `${(result.cpuMs / result.ms.length).toFixed(2)} ms`;
      console.log(`${name.padEnd(42)} ${rate.toFixed(1).padStart(7)}   ${formatSummary(summarize(result.ms))}   ${cpu.padStart(10)}   ${result.bytes}`);
    }
  } finally {
    await server?.stop();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
