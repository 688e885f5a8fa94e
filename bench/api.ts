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
import { execa } from 'execa';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { insertUser } from '../src/store/web-queries.js';
import { PgStore } from '../src/store/pg-store.js';
import { hashPassword } from '../src/web/passwords.js';
import { bundleOf, createMigratedDatabase, dagSpec, taskSpec } from '../integration-tests/support/database.js';
import { freePort } from '../integration-tests/support/own-servers.js';
import { describeMachine } from './support/machine.js';
import { processCpuMs } from './support/cpu.js';
import { formatSummary, summarize } from './support/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${process.argv[index + 1]}`);
  return value;
}

const requests = option('requests', 200);
const concurrency = option('concurrency', 4);
const dagCount = option('dags', 1000);
const BIG = 'big_dag_1000_tasks';
const PASSWORD = 'bench-admin-password';

async function seed(store: PgStore): Promise<void> {
  const small = Array.from({ length: dagCount - 1 }, (_v, i) =>
    dagSpec(`dag_${String(i).padStart(4, '0')}`, { tags: [`team_${i % 10}`], tasks: Array.from({ length: 5 }, (_t, j) => taskSpec(`task_${j}`)) }));
  const big = dagSpec(BIG, { tasks: Array.from({ length: 1000 }, (_t, j) => taskSpec(`task_${String(j).padStart(4, '0')}`)) });
  await store.syncBundle(bundleOf([...small, big]), Date.now());
  const pool = store.pool;
  // Runs: one a day per DAG (10, the big DAG 50), the latest running, the others finished.
  await pool.query(`
    INSERT INTO dag_runs (dag_id, run_id, version_hash, run_type, state, logical_date, data_interval_start, data_interval_end, run_after, queued_at, start_date, end_date)
    SELECT d.dag_id, 'scheduled__' || to_char(day, 'YYYY-MM-DD"T"HH24:MI:SS'), v.version_hash, 'scheduled',
           CASE WHEN n = runs THEN 'running' WHEN n % 7 = 0 THEN 'failed' ELSE 'success' END,
           day, day, day + interval '1 day', day + interval '1 day', day + interval '1 day', day + interval '1 day', CASE WHEN n = runs THEN NULL ELSE day + interval '1 day 1 minute' END
      FROM dags d
      JOIN LATERAL (SELECT version_hash FROM dag_versions WHERE dag_id = d.dag_id LIMIT 1) v ON true
      CROSS JOIN LATERAL (SELECT CASE WHEN d.dag_id = $1 THEN 50 ELSE 10 END AS runs) r
      CROSS JOIN LATERAL generate_series(1, r.runs) AS n
      CROSS JOIN LATERAL (SELECT timestamptz '2024-01-01 00:00:00+00' + (n - 1) * interval '1 day' AS day) t`, [BIG]);
  // Task instances: every task of every run, in the run's state mix (a running run has its tasks spread out).
  await pool.query(`
    INSERT INTO task_instances (dag_id, run_id, task_id, state, try_number, max_tries, queue, pool, start_date, end_date)
    SELECT r.dag_id, r.run_id, t.task_id,
           CASE WHEN r.state = 'success' THEN 'success'
                WHEN r.state = 'failed' THEN (ARRAY['success', 'failed', 'upstream_failed', 'skipped'])[1 + t.ordinal % 4]
                ELSE (ARRAY['success', 'running', 'queued', 'scheduled', 'none'])[1 + t.ordinal % 5] END,
           1, 0, 'default', 'default_pool', r.start_date, r.end_date
      FROM dag_runs r
      CROSS JOIN LATERAL (
        SELECT task->>'taskId' AS task_id, ordinal
          FROM dag_versions v, jsonb_array_elements(v.spec->'tasks') WITH ORDINALITY AS x(task, ordinal)
         WHERE v.dag_id = r.dag_id AND v.version_hash = r.version_hash) t`);
  await pool.query('ANALYZE');
}

/** The list endpoints measured, each as a script would call it. */
function endpoints(latestBigRun: string): Array<[string, string]> {
  return [
    ['dags, first page', '/api/v1/dags?limit=100'],
    ['dags, page 6, tag filter', '/api/v1/dags?limit=100&offset=500&tags=team_3'],
    ['dags, search', '/api/v1/dags?dag_id_pattern=dag_09&limit=100'],
    ['runs of every DAG', '/api/v1/dags/~/dagRuns?limit=100'],
    ['runs of one DAG, newest first', `/api/v1/dags/${BIG}/dagRuns?limit=50&order_by=-execution_date`],
    ['instances of every run', '/api/v1/dags/~/dagRuns/~/taskInstances?limit=100'],
    ['instances of every run, state=failed', '/api/v1/dags/~/dagRuns/~/taskInstances?state=failed&limit=100'],
    ['instances of one 1,000-task run', `/api/v1/dags/${BIG}/dagRuns/${latestBigRun}/taskInstances?limit=100`],
    ['dagStats of 100 DAGs', `/api/v1/dagStats?dag_ids=${Array.from({ length: 100 }, (_v, i) => `dag_${String(i).padStart(4, '0')}`).join(',')}`],
    ['importErrors', '/api/v1/importErrors'],
    ['eventLogs', '/api/v1/eventLogs?limit=100'],
    ['UI: last runs of every DAG', '/dagbridge/api/v1/ui/dags/last-runs'],
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
  const db = await createMigratedDatabase('bench_api');
  let server: ReturnType<typeof execa> | undefined;
  try {
    const store = new PgStore(db.pool);
    const seeded = performance.now();
    await seed(store);
    await insertUser(db.pool, 'admin', 'Admin', await hashPassword(PASSWORD));
    const counts = await db.pool.query<{ dags: string; runs: string; tis: string }>('SELECT (SELECT count(*) FROM dags) AS dags, (SELECT count(*) FROM dag_runs) AS runs, (SELECT count(*) FROM task_instances) AS tis');
    const count = counts.rows[0]!;
    console.log(`store: ${count.dags} DAGs, ${count.runs} runs, ${count.tis} task instances (seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s)`);
    const latest = await db.pool.query<{ run_id: string }>('SELECT run_id FROM dag_runs WHERE dag_id = $1 ORDER BY logical_date DESC LIMIT 1', [BIG]);

    const port = await freePort();
    server = execa(process.execPath, [path.join(ROOT, 'bin', 'dagbridge.js'), 'webserver', '--host', '127.0.0.1', '--port', String(port)], {
      env: { DAGBRIDGE_DATABASE_URL: db.url }, extendEnv: true, stdout: 'ignore', stderr: 'pipe', reject: false,
    });
    const base = `http://127.0.0.1:${port}`;
    for (let waited = 0; ; waited += 100) {
      if (server.exitCode !== null) throw new Error(`dagbridge webserver exited with ${server.exitCode}: ${String((await server).stderr)}`);
      const up = await fetch(`${base}/api/v1/health`).then((r) => r.ok, () => false);
      if (up) break;
      if (waited > 30_000) throw new Error('dagbridge webserver did not answer /api/v1/health within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const auth = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
    console.log(`${requests} requests per endpoint, ${concurrency} at a time, HTTP basic auth as an Admin, server pid ${server.pid}\n`);
    console.log(`${'endpoint'.padEnd(42)} ${'req/s'.padStart(7)}   latency${' '.repeat(46)} server CPU/req   bytes`);
    for (const [name, url] of endpoints(latest.rows[0]!.run_id)) {
      const result = await measure(base, url, auth, server.pid!);
      const rate = (result.ms.length / result.wallMs) * 1000;
      const cpu = result.cpuMs === null ? 'n/a' : `${(result.cpuMs / result.ms.length).toFixed(2)} ms`;
      console.log(`${name.padEnd(42)} ${rate.toFixed(1).padStart(7)}   ${formatSummary(summarize(result.ms))}   ${cpu.padStart(10)}   ${result.bytes}`);
    }
  } finally {
    if (server?.pid !== undefined && server.exitCode === null) {
      server.kill('SIGTERM');
      await server;
    }
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
