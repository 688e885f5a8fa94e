/**
 * The cluster's figures: throughput and latencies of real `dagbridge scheduler` + `dagbridge worker` processes
 * against PostgreSQL and Redis, the same DAG through `dags test` (testDag) at the same total concurrency, and the
 * scheduler's decisions per second on one run of a 10,000-task DAG. Prints figures; asserts nothing.
 *
 *   npm run bench:cluster -- [--pairs 10] [--tasks 200] [--chain 50] [--wide 10000] [--workers 2]
 *                            [--worker-concurrency 1] [--deadline-seconds 1800] [--parts chain,throughput,decisions]
 *                            [--cpu-prof-dir DIR]   (CPU profiles of the scheduler and workers, written when they stop)
 *
 * Servers: DAGBRIDGE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a database of the
 * bench's own is created on that server and dropped at the end) and DAGBRIDGE_BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379; a unique key prefix, deleted at the end). dist/ is rebuilt first when it is older
 * than src/. Every process is started here and stopped by its pid; everything ends by the deadline.
 *
 * 1. Latency, idle cluster: one run of a chain of `--chain` no-op Bash tasks. For each task after the first:
 *    upstream end_date -> downstream start_date, split into upstream end -> downstream queued_at (the scheduler
 *    wakes on the finished task's NOTIFY, decides, queues) and queued_at -> start_date (Redis, the worker's
 *    wake-up signal, claim, compare-and-set start).
 * 2. Throughput: `--pairs` times, one cluster run of a DAG of `--tasks` independent no-op Bash tasks, then one
 *    testDag run of the same DAG at concurrency workers x worker-concurrency (interleaved, so both see the same
 *    machine load). Tasks per second over each run's queued_at -> end_date (cluster, from PostgreSQL) and the
 *    testDag call's wall time; enqueue -> start (queued_at -> start_date) percentiles of the cluster's tasks.
 * 3. Scheduler decisions/s: no processes; SchedulerLoop.tick in this process over PgStore and the Redis
 *    executor, on one run of a `--wide`-task DAG (10 layers of parallel chains, max_active_tasks = --wide):
 *    the first ticks (create every task instance, schedule and queue the first layer) until a tick has nothing
 *    to change, then idle ticks (nothing changed since: the loop does not decide the run again), and the ticks
 *    after a whole layer succeeded. `--wide 100000` measures the idle tick on a run of 100,000 instances.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DagBundle, DagSpec } from '../src/dag/bundle.js';
import { decideRun } from '../src/dag/decide.js';
import { buildGraph } from '../src/dag/graph.js';
import { RedisExecutor } from '../src/executor/redis-executor.js';
import { redactUrl } from '../src/lib/redact.js';
import { silentLogger } from '../src/lib/logger.js';
import { RedisTaskQueue } from '../src/queue/redis-queue.js';
import { testDag } from '../src/dag-test/dag-test.js';
import { SchedulerLoop, type LoopStats } from '../src/scheduler/scheduler-loop.js';
import type { DagRunRecord, TaskInstanceRecord } from '../src/ports/metadata-store.js';
import { exportDags } from '../src/shim/export.js';
import { resolvePython } from '../src/shim/python.js';
import type { PgStore } from '../src/store/pg-store.js';
import { BenchCluster, ensureBuilt } from './support/cluster.js';
import { clusterCpu, cpuBetween, createRun, dagOf, until, waitForRun, type ClusterCpu } from './support/cluster-runs.js';
import { bashChainDag, bashNoopDag } from './support/dags.js';
import { cpuSince, cpuTime } from './support/cpu.js';
import { describeMachine } from './support/machine.js';
import { formatSummary, summarize } from './support/stats.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '10' },
    tasks: { type: 'string', default: '200' },
    chain: { type: 'string', default: '50' },
    wide: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '2' },
    'worker-concurrency': { type: 'string', default: '1' },
    'deadline-seconds': { type: 'string', default: '1800' },
    python: { type: 'string', default: 'python3' },
    parts: { type: 'string', default: 'chain,throughput,decisions' },
    'cpu-prof-dir': { type: 'string' },
  },
});

function positiveInt(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${flag} takes a positive integer, got ${String(value)}`);
  return parsed;
}

const pairs = positiveInt('--pairs', values.pairs);
const tasks = positiveInt('--tasks', values.tasks);
const chainLength = positiveInt('--chain', values.chain);
const wide = positiveInt('--wide', values.wide);
const workerCount = positiveInt('--workers', values.workers);
const workerConcurrency = positiveInt('--worker-concurrency', values['worker-concurrency']);
const deadlineAt = Date.now() + positiveInt('--deadline-seconds', values['deadline-seconds']) * 1000;
const totalConcurrency = workerCount * workerConcurrency;
const parts = new Set((values.parts ?? '').split(',').map((part) => part.trim()).filter(Boolean));
for (const part of parts) {
  if (!['chain', 'throughput', 'decisions'].includes(part)) throw new Error(`--parts takes chain, throughput, decisions (comma-separated), got ${part}`);
}
const adminDatabaseUrl = process.env.DAGBRIDGE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.DAGBRIDGE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const say = (line: string): void => console.log(line);

const gaps = (from: Array<number | null>, to: Array<number | null>): number[] =>
  from.flatMap((start, i) => (start === null || to[i] === null || to[i] === undefined ? [] : [(to[i] as number) - start]));

/** Part 1: the chain's hand-over latencies on an idle cluster. */
async function measureChain(cluster: BenchCluster, dag: DagSpec): Promise<void> {
  const { instances } = await waitForRun(cluster, await createRun(cluster.store as PgStore, dag, 'chain'));
  const ordered = [...instances].sort((a, b) => a.taskId.localeCompare(b.taskId));
  const upstreamEnd = ordered.slice(0, -1).map((ti) => ti.endDate);
  const downstream = ordered.slice(1);
  const handOver = summarize(gaps(upstreamEnd, downstream.map((ti) => ti.startDate)));
  const toQueued = summarize(gaps(upstreamEnd, downstream.map((ti) => ti.queuedAt)));
  const queuedToStart = summarize(gaps(downstream.map((ti) => ti.queuedAt), downstream.map((ti) => ti.startDate)));
  const taskWall = summarize(gaps(ordered.map((ti) => ti.startDate), ordered.map((ti) => ti.endDate)));
  say(`1. chain of ${chainLength} no-op Bash tasks, idle cluster (${handOver.count} hand-overs, from PostgreSQL):`);
  say(`   upstream success -> downstream start    ${formatSummary(handOver, { p99: true })}`);
  say(`     upstream end -> downstream queued_at  ${formatSummary(toQueued, { p99: true })}`);
  say(`     queued_at -> start_date               ${formatSummary(queuedToStart, { p99: true })}`);
  say(`   task start_date -> end_date             ${formatSummary(taskWall, { p99: true })}`);
  say(`   target: upstream success -> downstream start p50 under 50 ms: ${handOver.p50.toFixed(1)} ms (${handOver.p50 < 50 ? 'met' : 'not met'})`);
}

/** Part 2: cluster runs and testDag runs of the same DAG, interleaved. */
async function measureThroughput(cluster: BenchCluster, bundle: DagBundle, dag: DagSpec, python: string): Promise<void> {
  let clusterTasks = 0;
  let clusterMs = 0;
  let testTasks = 0;
  let testMs = 0;
  const enqueueToStart: number[] = [];
  const clusterWalls: number[] = [];
  const testWalls: number[] = [];
  const clusterCpuTotal: ClusterCpu = { scheduler: 0, workers: 0, tasks: 0, database: 0 };
  let testCpu = { selfMs: 0, childrenMs: 0 as number | null };
  const add = (into: ClusterCpu, more: ClusterCpu): void => {
    for (const part of ['scheduler', 'workers', 'tasks', 'database'] as const) {
      const value = into[part];
      const extra = more[part];
      into[part] = value === null || extra === null ? null : value + extra;
    }
  };
  say(`2. throughput: ${pairs} pairs of (one cluster run, one dags test run) of ${tasks} independent no-op Bash tasks, total concurrency ${totalConcurrency}:`);
  for (let pair = 1; pair <= pairs; pair += 1) {
    const cpuBefore = await clusterCpu(cluster);
    const { run, instances } = await waitForRun(cluster, await createRun(cluster.store as PgStore, dag, `pair${pair}`));
    add(clusterCpuTotal, cpuBetween(cpuBefore, await clusterCpu(cluster)));
    const runMs = (run.endDate as number) - run.queuedAt;
    clusterTasks += instances.length;
    clusterMs += runMs;
    enqueueToStart.push(...gaps(instances.map((ti) => ti.queuedAt), instances.map((ti) => ti.startDate)));
    clusterWalls.push(...gaps(instances.map((ti) => ti.startDate), instances.map((ti) => ti.endDate)));

    const started = performance.now();
    const testCpuBefore = cpuTime();
    const result = await testDag({
      bundle, dag, python, noAirflow: true, concurrency: totalConcurrency,
      env: { passEnv: [], extraPythonPaths: [] }, killGraceMs: 5_000, logCapBytes: 64 * 1024 * 1024, log: silentLogger,
      signal: AbortSignal.timeout(Math.max(1, deadlineAt - Date.now())),
    });
    const elapsed = performance.now() - started;
    const used = cpuSince(testCpuBefore);
    testCpu = { selfMs: testCpu.selfMs + used.selfMs, childrenMs: testCpu.childrenMs === null || used.childrenMs === null ? null : testCpu.childrenMs + used.childrenMs };
    if (result.run.state !== 'success') throw new Error(`dags test run ${pair} ended ${result.run.state}${result.interrupted ? ' (deadline)' : ''}`);
    testTasks += result.instances.length;
    testMs += elapsed;
    testWalls.push(...gaps(result.instances.map((ti) => ti.startDate), result.instances.map((ti) => ti.endDate)));
    say(`   pair ${pair}: cluster ${((instances.length / runMs) * 1000).toFixed(1)} tasks/s, dags test ${((result.instances.length / elapsed) * 1000).toFixed(1)} tasks/s`);
  }
  const clusterRate = (clusterTasks / clusterMs) * 1000;
  const testRate = (testTasks / testMs) * 1000;
  say(`   cluster:   ${clusterTasks} tasks, ${clusterRate.toFixed(1)} tasks/s (run queued_at -> end_date, summed over runs)`);
  say(`   dags test: ${testTasks} tasks, ${testRate.toFixed(1)} tasks/s (testDag wall time, summed over runs)`);
  say(`   enqueue -> start (queued_at -> start_date), cluster, with the scheduler's backlog of up to max_active_tasks=16 queued:`);
  say(`                                           ${formatSummary(summarize(enqueueToStart), { p99: true })}`);
  say(`   task start_date -> end_date, cluster     ${formatSummary(summarize(clusterWalls), { p99: true })}`);
  say(`   task start_date -> end_date, dags test   ${formatSummary(summarize(testWalls), { p99: true })}`);
  const per = (ms: number | null, count: number): string => (ms === null ? 'n/a' : `${(ms / count).toFixed(1)} ms`);
  const { scheduler, workers, tasks: taskCpu, database } = clusterCpuTotal;
  const clusterTotal = [scheduler, workers, taskCpu, database].every((v) => v !== null) ? (scheduler as number) + (workers as number) + (taskCpu as number) + (database as number) : null;
  say(
    `   CPU per task, cluster:   ${per(clusterTotal, clusterTasks)} = task processes ${per(taskCpu, clusterTasks)} + workers (node) ${per(workers, clusterTasks)} ` +
      `+ scheduler ${per(scheduler, clusterTasks)} + PostgreSQL backends ${per(database, clusterTasks)} (Redis not counted)`,
  );
  const testTotal = testCpu.childrenMs === null ? null : testCpu.selfMs + testCpu.childrenMs;
  say(`   CPU per task, dags test: ${per(testTotal, testTasks)} = task processes ${per(testCpu.childrenMs, testTasks)} + dagbridge (node) ${per(testCpu.selfMs, testTasks)}`);
  const ratio = clusterRate / testRate;
  say(`   target: cluster throughput at least 0.8x of dags test at the same total concurrency: x${ratio.toFixed(2)} (${ratio >= 0.8 ? 'met' : 'not met'})`);
}

/** A tick of the loop, timed, with how many task instances the run has after it. */
async function timedTick(loop: SchedulerLoop, store: PgStore, run: DagRunRecord): Promise<{ stats: LoopStats; ms: number; instances: TaskInstanceRecord[] }> {
  const started = performance.now();
  const stats = await loop.tick(Date.now());
  const ms = performance.now() - started;
  // A run left alone was not read: reading it here would only leave garbage for the next tick's collector.
  return { stats, ms, instances: stats.runsDecided > 0 ? await store.listTaskInstances(run) : [] };
}

/** Part 3: decisions per second of the scheduler loop on one run of a very wide DAG. */
async function measureDecisions(cluster: BenchCluster, python: string, scratch: string): Promise<void> {
  const folder = path.join(scratch, 'wide');
  await mkdir(folder);
  const layers = 10;
  await writeFile(path.join(folder, 'bench_wide.py'), bashNoopDag('bench_wide', wide, { layers, maxActiveTasks: wide }));
  let started = performance.now();
  // Building a DAG of 100,000 tasks takes longer than the default 30 s import timeout on a loaded machine.
  const bundle = await exportDags({ dagsFolder: folder, python, noAirflow: true, fileTimeoutSeconds: Math.max(30, Math.ceil(wide / 1_000)) });
  const exportMs = performance.now() - started;
  const store = cluster.store as PgStore;
  started = performance.now();
  await store.syncBundle(bundle, Date.now());
  const syncMs = performance.now() - started;
  const dag = dagOf(bundle, 'bench_wide');
  say(`3. scheduler decisions, one run of a ${wide}-task DAG (${layers} layers of parallel chains), SchedulerLoop.tick over PgStore + Redis executor, in this process:`);
  say(`   export ${exportMs.toFixed(0)} ms, store the DAG ${syncMs.toFixed(0)} ms`);

  // Airflow's default_pool has 128 slots; a deployment that runs a layer of this width at once raises it.
  await store.setPool('default_pool', wide);
  const queue = new RedisTaskQueue(cluster.redis as NonNullable<BenchCluster['redis']>, { prefix: cluster.prefix });
  const executor = new RedisExecutor({ queue, store });
  const loop = new SchedulerLoop(store, executor, silentLogger);
  const run = await createRun(store, dag, 'wide');
  const perLayer = Math.ceil(wide / layers);
  const line = (what: string, tick: { stats: LoopStats; ms: number; instances: TaskInstanceRecord[] }): void => {
    // A run the loop left alone (unchanged since its last decision) had none of its instances read or decided.
    const decided = tick.stats.runsDecided > 0 ? tick.instances.length : 0;
    say(
      `   ${what.padEnd(40)} ${tick.ms.toFixed(1).padStart(7)} ms: ${decided} task instances decided (${((decided / tick.ms) * 1000).toFixed(0)}/s), ` +
        `${tick.stats.changesApplied} changes applied, ${tick.stats.queued} queued, run ${tick.stats.runsDecided > 0 ? 'decided' : 'left alone (unchanged)'}`,
    );
  };
  const idleTicks = async (what: string): Promise<void> => {
    const times: number[] = [];
    for (let tick = 1; tick <= 5; tick += 1) {
      const result = await timedTick(loop, store, run);
      line(`${what} ${tick}`, result);
      times.push(result.ms);
    }
    times.sort((a, b) => a - b);
    say(`   ${what}: median ${times[2]?.toFixed(1)} ms of 5`);
    // The store reads an idle tick still makes (its other work is in memory).
    const reads: Array<[string, () => Promise<unknown>]> = [
      ['runChangeStamps', () => store.runChangeStamps()],
      ['listActiveRuns', () => store.listActiveRuns()],
      ['listPausedDagIds', () => store.listPausedDagIds()],
      ['listScheduled', () => store.listScheduled()],
    ];
    const parts: string[] = [];
    for (const [name, read] of reads) {
      const at = performance.now();
      await read();
      parts.push(`${name} ${(performance.now() - at).toFixed(1)} ms`);
    }
    say(`   ${what}, its store reads once more: ${parts.join(', ')}`);
  };
  // First wave: tick until a tick changes nothing (the loop queues at most 512 per tick).
  let firstWaveMs = 0;
  let queued = 0;
  for (let tick = 1; ; tick += 1) {
    const result = await timedTick(loop, store, run);
    if (result.stats.changesApplied === 0 && result.stats.queued === 0) {
      line('tick with nothing to change', result);
      break;
    }
    firstWaveMs += result.ms;
    queued += result.stats.queued;
    line(`tick ${tick} (first wave)`, result);
    if (tick >= 50 || Date.now() > deadlineAt) throw new Error('the first wave did not settle within 50 ticks or by the deadline');
  }
  say(`   first wave: ${wide} task instances created, ${queued} of the first layer's ${perLayer} queued, in ${firstWaveMs.toFixed(0)} ms of ticks`);
  await idleTicks('idle tick');

  // What deciding the run costs when it has changed: reading its task instances, and the pure decision over them.
  let at = performance.now();
  const tis = await store.listTaskInstances(run);
  const readMs = performance.now() - at;
  const graph = buildGraph(dag);
  at = performance.now();
  const decision = decideRun({ dag, graph, tis, now: Date.now() });
  const decideMs = performance.now() - at;
  say(
    `   of which: listTaskInstances ${readMs.toFixed(0)} ms, decideRun (pure) ${decideMs.toFixed(0)} ms ` +
      `(${((tis.length / decideMs) * 1000).toFixed(0)} task instances/s, ${decision.changes.length} changes)`,
  );

  // A whole layer succeeds at once (written directly: no workers), then the ticks that schedule and queue the next.
  await (cluster.pool as NonNullable<BenchCluster['pool']>).query(
    `UPDATE task_instances SET state = 'success', start_date = $2, end_date = $2 WHERE dag_id = $1 AND state = 'queued'`,
    [dag.dagId, new Date()],
  );
  for (let tick = 1; tick <= 50; tick += 1) {
    const result = await timedTick(loop, store, run);
    line(tick === 1 ? `tick after ${queued} tasks succeeded` : `tick ${tick} after`, result);
    if (result.stats.changesApplied === 0 && result.stats.queued === 0) break;
  }
  await idleTicks('idle tick after the layer');
}

async function main(): Promise<void> {
  await ensureBuilt(say);
  const interpreter = await resolvePython(values.python);
  const python = interpreter.executable;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-bench-cluster-'));
  const dagsFolder = path.join(scratch, 'dags');
  await mkdir(dagsFolder);
  await writeFile(path.join(dagsFolder, 'bench_fanout.py'), bashNoopDag('bench_fanout', tasks));
  await writeFile(path.join(dagsFolder, 'bench_chain.py'), bashChainDag('bench_chain', chainLength));
  const cluster = new BenchCluster({
    adminDatabaseUrl, redisUrl, dagsFolder, env: { DAGBRIDGE_NO_AIRFLOW: 'true' }, deadlineAt,
    nodeArgs: values['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values['cpu-prof-dir'])}`] : [],
  });
  try {
    const bundle = await exportDags({ dagsFolder, python, noAirflow: true });
    await cluster.setUp();
    say(`machine: ${describeMachine()}`);
    say(
      `python ${interpreter.version} (${python}), stand-ins; PostgreSQL ${redactUrl(adminDatabaseUrl)} (database ${cluster.databaseName}), ` +
        `Redis ${redactUrl(redisUrl)} (prefix ${cluster.prefix}); 1 scheduler + ${workerCount} workers x concurrency ${workerConcurrency}, default settings`,
    );
    if (parts.has('chain') || parts.has('throughput')) {
      cluster.start('scheduler', ['scheduler']);
      for (let i = 1; i <= workerCount; i += 1) cluster.start(`worker-${i}`, ['worker', '--worker-id', `bench-${i}`, '--concurrency', String(workerConcurrency)]);
      const store = cluster.store as PgStore;
      await until(cluster, 'the scheduler to store the DAGs', async () => ((await store.listDags()).length >= 2 ? true : null), 200);
      await until(cluster, 'the workers to register', async () => ((await store.listWorkers()).filter((w) => w.state === 'running').length >= workerCount ? true : null), 200);
      if (parts.has('chain')) await measureChain(cluster, dagOf(bundle, 'bench_chain'));
      if (parts.has('throughput')) await measureThroughput(cluster, bundle, dagOf(bundle, 'bench_fanout'), python);
      for (const proc of [...cluster.processes]) await cluster.stop(proc);
    }
    if (parts.has('decisions')) await measureDecisions(cluster, python, scratch);
  } finally {
    await cluster.tearDown();
    await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
