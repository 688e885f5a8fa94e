/**
 * The web benchmarks' store and server (bench/api.ts, bench/ui.ts): `dagCount` DAGs of 5 tasks with 10 runs each
 * plus one DAG of 1,000 tasks with 50 runs (the grid's 1,000-task case), every task instance in its run's state
 * mix, and a real `dagbridge webserver` process on a free loopback port over that database.
 */
import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { bundleOf, dagSpec, taskSpec, type TestDatabase } from '../../integration-tests/support/database.js';
import { freePort } from '../../integration-tests/support/own-servers.js';
import { PgStore } from '../../src/store/pg-store.js';
import { insertUser, type Role } from '../../src/store/web-queries.js';
import { hashPassword } from '../../src/web/passwords.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The web benchmarks use the PostgreSQL server of DAGBRIDGE_TEST_DATABASE_URL, and the local one (trust auth, user
 * postgres) when it is unset; call before the first database is created.
 */
export function defaultToLocalDatabase(): void {
  process.env.DAGBRIDGE_TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** The 1,000-task DAG with 50 runs. */
export const BIG_DAG = 'big_dag_1000_tasks';

/** Fills the store (see the module comment); `dagCount` includes the big DAG. */
async function fill(store: PgStore, dagCount: number): Promise<void> {
  const small = Array.from({ length: dagCount - 1 }, (_v, i) =>
    dagSpec(`dag_${String(i).padStart(4, '0')}`, { tags: [`team_${i % 10}`], tasks: Array.from({ length: 5 }, (_t, j) => taskSpec(`task_${j}`)) }));
  const big = dagSpec(BIG_DAG, { tasks: Array.from({ length: 1000 }, (_t, j) => taskSpec(`task_${String(j).padStart(4, '0')}`)) });
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
      CROSS JOIN LATERAL (SELECT timestamptz '2024-01-01 00:00:00+00' + (n - 1) * interval '1 day' AS day) t`, [BIG_DAG]);
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

/**
 * Fills `db` (`dagCount` DAGs including the big one) and adds one user; prints what the store holds and how long
 * it took. Returns the run id of the big DAG's latest (running) run.
 */
export async function seedWebStore(db: TestDatabase, dagCount: number, user: { name: string; role: Role; password: string }): Promise<string> {
  const started = performance.now();
  await fill(new PgStore(db.pool), dagCount);
  await insertUser(db.pool, user.name, user.role, await hashPassword(user.password));
  const counts = await db.pool.query<{ dags: string; runs: string; tis: string }>('SELECT (SELECT count(*) FROM dags) AS dags, (SELECT count(*) FROM dag_runs) AS runs, (SELECT count(*) FROM task_instances) AS tis');
  const count = counts.rows[0]!;
  console.log(`store: ${count.dags} DAGs, ${count.runs} runs, ${count.tis} task instances (seeded in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const latest = await db.pool.query<{ run_id: string }>('SELECT run_id FROM dag_runs WHERE dag_id = $1 ORDER BY logical_date DESC LIMIT 1', [BIG_DAG]);
  return latest.rows[0]!.run_id;
}

/** A running `dagbridge webserver` on 127.0.0.1. */
export interface BenchWebserver {
  base: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `dagbridge webserver` on `databaseUrl` and waits (up to 30 s) until /api/v1/health answers. */
export async function startWebserver(databaseUrl: string): Promise<BenchWebserver> {
  const port = await freePort();
  const server: ResultPromise = execa(process.execPath, [path.join(ROOT, 'bin', 'dagbridge.js'), 'webserver', '--host', '127.0.0.1', '--port', String(port)], {
    env: { DAGBRIDGE_DATABASE_URL: databaseUrl }, extendEnv: true, stdout: 'ignore', stderr: 'pipe', reject: false,
  });
  const stop = async (): Promise<void> => {
    if (server.exitCode === null) server.kill('SIGTERM');
    await server;
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let waited = 0; ; waited += 100) {
      if (server.exitCode !== null) throw new Error(`dagbridge webserver exited with ${server.exitCode}: ${String((await server).stderr)}`);
      const up = await fetch(`${base}/api/v1/health`).then((r) => r.ok, () => false);
      if (up) break;
      if (waited > 30_000) throw new Error('dagbridge webserver did not answer /api/v1/health within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, pid: server.pid!, stop };
}
