/**
 * Store throughput figures (a script that prints numbers, not a test): compare-and-set transitions applied
 * one per transaction vs in batches of 1,000 through `applyChanges`, plus `markQueued`, `startTry` and log
 * appends. Uses a fresh database on the server of DAGBRIDGE_TEST_DATABASE_URL (default the local one) and
 * drops it afterwards.
 *
 *   npx tsx bench/store.ts [--instances 2000]
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { DagRunRecord, TaskInstanceChange } from '../src/ports/metadata-store.js';
import { createPgPool } from '../src/store/connection.js';
import { migrate } from '../src/store/migrate.js';
import { PgStore } from '../src/store/pg-store.js';
import { dagVersionHash } from '../src/store/version-hash.js';
import { bundleOf, dagSpec, taskSpec } from '../integration-tests/support/database.js';
import { positiveIntOption } from './support/args.js';

const adminUrl = process.env.DAGBRIDGE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const instances = positiveIntOption('instances', 2000);

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
}

async function main(): Promise<void> {
  const name = `dagbridge_bench_${Date.now().toString(36)}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPgPool(url.toString(), { applicationName: 'dagbridge-bench', max: 4 });
  try {
    await migrate(pool);
    const store = new PgStore(pool);
    const spec = dagSpec('bench', { tasks: [taskSpec('mapped')] });
    await store.syncBundle(bundleOf([spec]), Date.now());
    let runNo = 0;
    const newRun = async (): Promise<DagRunRecord> => {
      runNo += 1;
      const { run } = await store.createDagRun(
        {
          dagId: 'bench',
          runId: `manual__${runNo}`,
          versionHash: dagVersionHash(spec),
          runType: 'manual',
          logicalDate: null,
          dataIntervalStart: null,
          dataIntervalEnd: null,
          runAfter: new Date().toISOString(),
          conf: {},
          queuedAt: Date.now(),
          state: 'running',
        },
        Date.now(),
      );
      return run as DagRunRecord;
    };
    const creates = (n: number): Array<Extract<TaskInstanceChange, { kind: 'create' }>> =>
      Array.from({ length: n }, (_v, i) => ({ kind: 'create', taskId: 'mapped', mapIndex: i, priorityWeight: 1 }));
    const schedule = (i: number): TaskInstanceChange => ({ kind: 'transition', taskId: 'mapped', mapIndex: i, from: 'none', to: 'scheduled', newTry: true });

    console.log(`store throughput, ${instances} task instances per measurement (PostgreSQL at ${url.host})`);

    // 1. One compare-and-set transition per applyChanges call (one transaction each).
    const single = await newRun();
    await store.applyChanges(single, spec, creates(instances), Date.now());
    let started = performance.now();
    for (let i = 0; i < instances; i += 1) await store.applyChanges(single, spec, [schedule(i)], Date.now());
    const singleMs = performance.now() - started;
    console.log(`  transitions, 1 per transaction:      ${rate(instances, singleMs)} (${(singleMs / instances).toFixed(3)} ms each)`);

    // 2. The same transitions in batches of 1,000 (one transaction, one UPDATE over arrays).
    const batched = await newRun();
    await store.applyChanges(batched, spec, creates(instances), Date.now());
    started = performance.now();
    let applied = 0;
    for (let i = 0; i < instances; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, instances - i) }, (_v, j) => schedule(i + j));
      applied += (await store.applyChanges(batched, spec, batch, Date.now())).length;
    }
    const batchMs = performance.now() - started;
    console.log(`  transitions, batches of 1,000:       ${rate(applied, batchMs)} (${(batchMs / Math.ceil(instances / 1000)).toFixed(1)} ms per batch)`);

    // 3. Creates in batches of 1,000.
    const createRun = await newRun();
    started = performance.now();
    for (let i = 0; i < instances; i += 1000) {
      await store.applyChanges(createRun, spec, creates(Math.min(1000, instances - i)).map((c) => ({ ...c, mapIndex: c.mapIndex + i })), Date.now());
    }
    console.log(`  creates, batches of 1,000:           ${rate(instances, performance.now() - started)}`);

    // 4. markQueued in batches of 100 (admission hands out work in slices).
    const keys = Array.from({ length: instances }, (_v, i) => ({ dagId: 'bench', runId: batched.runId, taskId: 'mapped', mapIndex: i, tryNumber: 1 }));
    started = performance.now();
    for (let i = 0; i < instances; i += 100) await store.markQueued(keys.slice(i, i + 100), Date.now());
    console.log(`  markQueued, batches of 100:          ${rate(instances, performance.now() - started)}`);

    // 5. startTry, one per call (each is one worker's exactly-once start).
    const worker = { workerId: 'bench', hostname: 'localhost', pid: process.pid };
    started = performance.now();
    for (const key of keys) await store.startTry(key, 1, worker, Date.now());
    console.log(`  startTry, 1 per call:                ${rate(instances, performance.now() - started)}`);

    // 6. Log appends: batches of 500 lines of 100 bytes.
    const batch = (from: number) =>
      Array.from({ length: 500 }, (_v, i) => ({ seq: from + i, at: Date.now(), stream: 'stdout' as const, line: `${from + i} `.padEnd(100, 'x') }));
    const appends = 40;
    const batches = Array.from({ length: appends }, (_v, i) => batch(i * 500 + 1));
    started = performance.now();
    for (const lines of batches) await store.appendLogLines(keys[0] as (typeof keys)[0], 1, lines);
    const logMs = performance.now() - started;
    console.log(`  log lines, batches of 500:           ${rate(appends * 500, logMs)}`);
    started = performance.now();
    const read = await store.readLogLines(keys[0] as (typeof keys)[0], 1);
    if (read.length !== appends * 500) throw new Error(`expected ${appends * 500} log lines, read ${read.length}`);
    console.log(`  log read of ${read.length.toLocaleString('en-US')} lines:         ${(performance.now() - started).toFixed(1)} ms`);
  } finally {
    await pool.end();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
