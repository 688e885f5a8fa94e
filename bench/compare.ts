/**
 * The side-by-side benchmark: one DAG of `--tasks` independent no-op `@task` tasks through dagbridge's three ways
 * of running it, and Celery (Debian's python3-celery) running the same count of tasks, plus the floors of what a
 * task start can cost, all in one run on the same machine. Prints figures and ratios; asserts nothing.
 *
 *   npm run bench:compare -- [--tasks 300] [--python /usr/bin/python3] [--deadline-seconds 1200]
 *                            [--parts cluster,dags-test,standalone,celery,floors] [--modes fork,fresh]
 *                            [--workers 2] [--slots 1] [--count-calls]
 *
 * Each dagbridge system runs twice, once per `--modes` entry: tasks forked from the warm fork server
 * (`fork`, executeTasksNewPythonInterpreter false) and a fresh interpreter per task (`fresh`).
 *
 * 1. cluster: 1 `dagbridge scheduler` + `--workers` (2) `dagbridge worker` x `--slots` (1), PostgreSQL and Redis; tasks
 *    per second over the run's queued_at -> end_date (from PostgreSQL), and CPU per task by process: task
 *    processes, workers (node), scheduler, PostgreSQL backends, and the Redis server's own CPU over the run (the
 *    server is shared, so other clients' work counts too; read from INFO cpu). With `--count-calls`, the
 *    scheduler and the workers load bench/support/count-calls.mjs, and the SQL statements and Redis commands
 *    (and round trips) per task of each kind of process over the run are printed too.
 * 2. dags test: testDag in this process at concurrency 2 (wall time of the call), CPU per task of the task
 *    processes (and fork server) and of this process.
 * 3. standalone: `dagbridge standalone --until-idle --concurrency 2 --database-url <the bench database>`; tasks
 *    per second over its run's queued_at -> end_date.
 * 4. Celery 5 prefork `-c 2` on a Redis server of its own (started here on a free loopback port): a task that
 *    spawns `python -c pass` (the isolation Celery users pay for) and an inline no-op; tasks per second from the
 *    first send to the last result, CPU per task of the worker and its pool processes.
 * 5. floors: spawning `python -c pass` two at a time, and fork + exit + wait from a Python parent two at a time.
 *
 * Servers: DAGBRIDGE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a database of the
 * bench's own is created and dropped) and DAGBRIDGE_BENCH_REDIS_URL (default redis://127.0.0.1:6379; a unique
 * key prefix, deleted at the end). Celery and its Redis client are installed with apt when /usr/bin/python3
 * cannot import them. Every process is started here and stopped by its pid; everything ends by the deadline.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa, type ResultPromise } from 'execa';
import type { Redis } from 'ioredis';
import { testDag } from '../src/dag-test/dag-test.js';
import { silentLogger } from '../src/lib/logger.js';
import { redactUrl } from '../src/lib/redact.js';
import type { PgStore } from '../src/store/pg-store.js';
import { exportDags } from '../src/shim/export.js';
import { resolvePython } from '../src/shim/python.js';
import { BenchCluster, ensureBuilt, ROOT } from './support/cluster.js';
import { clusterCpu, cpuBetween, createRun, dagOf, until, waitForRun } from './support/cluster-runs.js';
import { cpuSince, cpuTime, processCpuMs } from './support/cpu.js';
import { ForkServers, type TaskStarts } from '../src/worker/fork-server.js';
import { defaultAttemptBase } from '../src/worker/attempt-dirs.js';
import { pythonNoopDag } from './support/dags.js';
import { callsBetween, countCallsSetup, describeCallsPerTask, snapshotCalls, type CallCounts } from './support/call-counts.js';
import { describeMachine } from './support/machine.js';

const PARTS = ['cluster', 'dags-test', 'standalone', 'celery', 'floors'] as const;

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '300' },
    workers: { type: 'string', default: '2' },
    slots: { type: 'string', default: '1' },
    'count-calls': { type: 'boolean', default: false },
    python: { type: 'string', default: '/usr/bin/python3' },
    'deadline-seconds': { type: 'string', default: '1200' },
    parts: { type: 'string', default: PARTS.join(',') },
    modes: { type: 'string', default: 'fork,fresh' },
  },
});

function positiveInt(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${flag} takes a positive integer, got ${String(value)}`);
  return parsed;
}

const tasks = positiveInt('--tasks', values.tasks);
const workerCount = positiveInt('--workers', values.workers);
const workerSlots = positiveInt('--slots', values.slots);
const countCalls = values['count-calls'] === true;
const deadlineAt = Date.now() + positiveInt('--deadline-seconds', values['deadline-seconds']) * 1000;
const parts = new Set((values.parts ?? '').split(',').map((part) => part.trim()).filter(Boolean));
for (const part of parts) {
  if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--parts takes ${PARTS.join(', ')} (comma-separated), got ${part}`);
}
const modes = (values.modes ?? '').split(',').map((mode) => mode.trim()).filter(Boolean).map((mode): 'fork server' | 'fresh interpreter' => {
  if (mode === 'fork') return 'fork server';
  if (mode === 'fresh') return 'fresh interpreter';
  throw new Error(`--modes takes fork, fresh (comma-separated), got ${mode}`);
});
const adminDatabaseUrl = process.env.DAGBRIDGE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.DAGBRIDGE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Celery runs on Debian's interpreter, where apt installs it. */
const CELERY_PYTHON = '/usr/bin/python3';
/** Slots of dags test, standalone, Celery and the floors: concurrency 2, prefork -c 2, two floors at a time (the cluster: --workers x --slots). */
const SLOTS = 2;

const say = (line: string): void => console.log(line);
const remainingMs = (): number => Math.max(1_000, deadlineAt - Date.now());

/** One system's figures. */
interface Figure {
  name: string;
  tasksPerSecond: number;
  /** CPU milliseconds per task, by process kind; absent where it was not measured. */
  cpuPerTask?: Record<string, number | null>;
  /** How the attempts started (fork mode): a fallback to fresh interpreters shows here, not only in the rate. */
  taskStarts?: TaskStarts;
}
const figures: Figure[] = [];

function report(figure: Figure): void {
  figures.push(figure);
  const cpu = figure.cpuPerTask
    ? '; CPU per task ' + Object.entries(figure.cpuPerTask).map(([part, ms]) => `${part} ${ms === null ? 'n/a' : `${ms.toFixed(2)} ms`}`).join(', ')
    : '';
  const starts = figure.taskStarts
    ? `; ${figure.taskStarts.forked} forked, fresh ${JSON.stringify(figure.taskStarts.fresh)}`
    : '';
  say(`   ${figure.name}: ${figure.tasksPerSecond.toFixed(1)} tasks/s${cpu}${starts}`);
}

/** The Redis server's own CPU milliseconds so far (INFO cpu), or null when it cannot be read. */
async function redisCpuMs(redis: Redis): Promise<number | null> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(info.match(new RegExp(`^${name}:([0-9.]+)`, 'm'))?.[1] ?? NaN);
  const total = field('used_cpu_sys') + field('used_cpu_user');
  return Number.isFinite(total) ? total * 1000 : null;
}

/** How task processes start: forked from the warm fork server, or a fresh interpreter each. */
type Mode = 'fork server' | 'fresh interpreter';
const MODES: readonly Mode[] = ['fork server', 'fresh interpreter'];
/** The setting that chooses the mode (Airflow's execute_tasks_new_python_interpreter). */
const modeEnv = (mode: Mode): Record<string, string> => ({ DAGBRIDGE_EXECUTE_TASKS_NEW_PYTHON_INTERPRETER: mode === 'fresh interpreter' ? 'true' : 'false' });

async function measureCluster(cluster: BenchCluster, dagId: string, mode: Mode, scratch: string): Promise<void> {
  const store = cluster.store as PgStore;
  const counted: Array<{ kind: 'scheduler' | 'workers'; pid: number; file: string }> = [];
  const start = (kind: 'scheduler' | 'workers', name: string, args: string[], env: Record<string, string> = {}): void => {
    const file = path.join(scratch, `calls-${name}.json`);
    const setup = countCalls ? countCallsSetup(file) : { nodeArgs: [], env: {} };
    const proc = cluster.start(name, args, { ...env, ...setup.env }, setup.nodeArgs);
    if (countCalls) counted.push({ kind, pid: proc.pid, file });
  };
  start('scheduler', 'scheduler', ['scheduler']);
  for (let i = 1; i <= workerCount; i += 1) start('workers', `worker-${i}`, ['worker', '--worker-id', `compare-${i}`, '--concurrency', String(workerSlots)], modeEnv(mode));
  await until(cluster, 'the scheduler to store the DAG', async () => ((await store.listDags()).some((dag) => dag.dagId === dagId) ? true : null), 200);
  await until(cluster, 'the workers to register', async () => ((await store.listWorkers()).filter((w) => w.state === 'running').length >= workerCount ? true : null), 200);
  const dag = (await store.getDag(dagId))?.spec;
  if (!dag) throw new Error(`DAG ${dagId} is not stored`);
  const redis = cluster.redis as Redis;
  const callsBefore = await Promise.all(counted.map((proc) => snapshotCalls(proc.pid, proc.file)));
  const cpuBefore = await clusterCpu(cluster);
  const redisBefore = await redisCpuMs(redis);
  const { run, instances } = await waitForRun(cluster, await createRun(store, dag, `compare_${mode === 'fork server' ? 'fork' : 'fresh'}`));
  const cpu = cpuBetween(cpuBefore, await clusterCpu(cluster));
  const redisAfter = await redisCpuMs(redis);
  const callsAfter = await Promise.all(counted.map((proc) => snapshotCalls(proc.pid, proc.file)));
  for (const proc of [...cluster.processes]) await cluster.stop(proc);
  const n = instances.length;
  const per = (ms: number | null): number | null => (ms === null ? null : ms / n);
  const redisMs = redisBefore === null || redisAfter === null ? null : redisAfter - redisBefore;
  const controlPlane = [cpu.workers, cpu.scheduler, cpu.database, redisMs].every((v) => v !== null)
    ? ((cpu.workers as number) + (cpu.scheduler as number) + (cpu.database as number) + (redisMs as number)) / n
    : null;
  report({
    name: `dagbridge cluster (1 scheduler + ${workerCount} workers x ${workerSlots} slot${workerSlots === 1 ? '' : 's'}), ${mode}`,
    tasksPerSecond: (n / ((run.endDate as number) - run.queuedAt)) * 1000,
    cpuPerTask: {
      'task processes': per(cpu.tasks), 'workers (node)': per(cpu.workers), scheduler: per(cpu.scheduler),
      'PostgreSQL backends': per(cpu.database), 'Redis server (shared)': per(redisMs), 'control plane': controlPlane,
    },
  });
  for (const kind of ['workers', 'scheduler'] as const) {
    const pairs = counted.flatMap((proc, i) => (proc.kind === kind ? [{ before: callsBefore[i] as CallCounts, after: callsAfter[i] as CallCounts }] : []));
    if (pairs.length > 0) say(`     calls per task, ${kind}: ${describeCallsPerTask(callsBetween(pairs), n)}`);
  }
}

async function measureDagsTest(dagsFolder: string, python: string, dagId: string, mode: Mode): Promise<void> {
  const bundle = await exportDags({ dagsFolder, python, noAirflow: true });
  const dag = dagOf(bundle, dagId);
  const forkServers = mode === 'fork server' ? new ForkServers({ socketDir: defaultAttemptBase(), log: silentLogger }) : null;
  const started = performance.now();
  const cpuBefore = cpuTime();
  try {
    const result = await testDag({
      bundle, dag, python, noAirflow: true, concurrency: SLOTS,
      env: { passEnv: [], extraPythonPaths: [] }, killGraceMs: 5_000, logCapBytes: 64 * 1024 * 1024, log: silentLogger,
      signal: AbortSignal.timeout(remainingMs()), forkServers,
    });
    const elapsed = performance.now() - started;
    const cpu = cpuSince(cpuBefore);
    if (result.run.state !== 'success') throw new Error(`dags test ended ${result.run.state}${result.interrupted ? ' (deadline)' : ''}`);
    const n = result.instances.length;
    report({
      name: `dagbridge dags test --concurrency ${SLOTS}, ${mode}`,
      tasksPerSecond: (n / elapsed) * 1000,
      cpuPerTask: { 'task processes': cpu.childrenMs === null ? null : cpu.childrenMs / n, 'dagbridge (node)': cpu.selfMs / n },
      ...(forkServers ? { taskStarts: forkServers.starts() } : {}),
    });
  } finally {
    await forkServers?.close();
  }
}

async function measureStandalone(cluster: BenchCluster, python: string, dagId: string, mode: Mode): Promise<void> {
  const store = cluster.store as PgStore;
  // A run queued here, which `standalone --until-idle` resumes (the DAG has no schedule of its own).
  let stored = (await store.getDag(dagId))?.spec;
  if (!stored) {
    await store.syncBundle(await exportDags({ dagsFolder: cluster.options.dagsFolder, python, noAirflow: true }), Date.now(), { pausedOnCreation: false });
    stored = (await store.getDag(dagId))?.spec;
  }
  if (!stored) throw new Error(`DAG ${dagId} is not stored`);
  const queued = await createRun(store, stored, `standalone_${mode === 'fork server' ? 'fork' : 'fresh'}`);
  const child = execa(process.execPath, [
    path.join(ROOT, 'bin', 'dagbridge.js'), 'standalone', '--until-idle', '--concurrency', String(SLOTS),
    '--database-url', cluster.databaseUrl, '--dags-folder', cluster.options.dagsFolder, '--python', python, '--no-airflow',
  ], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DAGBRIDGE_LOG_LEVEL: 'warn', ...modeEnv(mode) }, extendEnv: false, reject: false, all: true, timeout: remainingMs() });
  const result = await child;
  if (result.exitCode !== 0) throw new Error(`standalone exited ${String(result.exitCode)}:\n${String(result.all).slice(-4_000)}`);
  const done = await store.getDagRun(queued);
  if (!done || done.state !== 'success' || done.endDate === null) throw new Error(`standalone did not finish the run ${queued.runId} of ${dagId}: ${done?.state ?? 'missing'}`);
  const instances = await store.listTaskInstances(done);
  report({ name: `dagbridge standalone --concurrency ${SLOTS}, ${mode}`, tasksPerSecond: (instances.length / (done.endDate - (done.startDate ?? done.queuedAt))) * 1000 });
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Installs python3-celery and python3-redis with apt when Debian's interpreter cannot import them. */
async function ensureCelery(): Promise<void> {
  const probe = await execa(CELERY_PYTHON, ['-c', 'import celery, redis'], { reject: false });
  if (probe.exitCode === 0) return;
  say('   installing python3-celery and python3-redis with apt');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = ['install', '-y', '-q', '--no-install-recommends', 'python3-celery', 'python3-redis'];
  const first = await execa('apt-get', install, { env, reject: false });
  if (first.exitCode !== 0) {
    await execa('apt-get', ['update', '-q'], { env });
    await execa('apt-get', install, { env });
  }
}

const CELERY_APP = `import os
import subprocess
import sys

from celery import Celery

app = Celery("compare", broker=os.environ["COMPARE_BROKER"], backend=os.environ["COMPARE_BROKER"])
app.conf.worker_hijack_root_logger = False


@app.task
def noop():
    return None


@app.task
def spawn():
    subprocess.run([sys.executable, "-c", "pass"], check=True)
`;

const CELERY_CLIENT = `import json
import sys
import time

from compare_app import noop, spawn

task = {"noop": noop, "spawn": spawn}[sys.argv[1]]
count = int(sys.argv[2])
task.delay().get(timeout=120)  # the worker is up and warm
print(json.dumps({"ready": True}), flush=True)
sys.stdin.readline()  # the bench reads the worker's CPU, then says go
started = time.perf_counter()
results = [task.delay() for _ in range(count)]
for result in results:
    result.get(timeout=600)
print(json.dumps({"tasks": count, "seconds": time.perf_counter() - started}), flush=True)
`;

/** CPU milliseconds of `pid` and its live child processes (a prefork pool's processes are never reaped while it runs). */
function treeCpuMs(pid: number): number | null {
  const own = processCpuMs(pid);
  if (!own || own.childrenMs === null) return null;
  let total = own.selfMs + own.childrenMs;
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return null;
  }
  for (const child of children) {
    const cpu = treeCpuMs(child);
    if (cpu === null) return null;
    total += cpu;
  }
  return total;
}

async function stopByPid(child: ResultPromise): Promise<void> {
  if (child.exitCode !== undefined && child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await child;
  clearTimeout(timer);
}

async function measureCelery(scratch: string): Promise<void> {
  await ensureCelery();
  const version = (await execa(CELERY_PYTHON, ['-c', 'import celery; print(celery.__version__)'])).stdout.trim();
  const appDir = path.join(scratch, 'celery');
  await mkdir(appDir);
  await writeFile(path.join(appDir, 'compare_app.py'), CELERY_APP);
  await writeFile(path.join(appDir, 'compare_client.py'), CELERY_CLIENT);
  const port = await freePort();
  const redis = execa('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', appDir], { reject: false });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', PYTHONPATH: appDir, COMPARE_BROKER: `redis://127.0.0.1:${port}/0` };
  const worker = execa(CELERY_PYTHON, ['-m', 'celery', '-A', 'compare_app', 'worker', '-c', String(SLOTS), '-P', 'prefork', '-l', 'WARNING', '--without-gossip', '--without-mingle', '--without-heartbeat'], {
    cwd: appDir, env, extendEnv: false, reject: false, all: true,
  });
  try {
    for (const kind of ['spawn', 'noop'] as const) {
      const client = execa(CELERY_PYTHON, [path.join(appDir, 'compare_client.py'), kind, String(tasks)], { cwd: appDir, env, extendEnv: false, timeout: remainingMs(), stdin: 'pipe' });
      const lines: string[] = [];
      let waiting: (() => void) | null = null;
      client.stdout?.on('data', (chunk: Buffer) => {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        waiting?.();
      });
      const nextLine = async (): Promise<string> => {
        while (lines.length === 0) {
          if (client.exitCode !== undefined && client.exitCode !== null) throw new Error(`the Celery client exited ${client.exitCode}:\n${String(worker.all ?? '').slice(-2_000)}`);
          await new Promise<void>((resolve) => {
            waiting = resolve;
            setTimeout(resolve, 500);
          });
        }
        return lines.shift() as string;
      };
      await nextLine();
      const cpuBefore = treeCpuMs(worker.pid as number);
      client.stdin?.write('go\n');
      const outcome = JSON.parse(await nextLine()) as { tasks: number; seconds: number };
      const cpuAfter = treeCpuMs(worker.pid as number);
      await client;
      report({
        name: kind === 'spawn' ? `Celery ${version} prefork -c ${SLOTS}, a task that spawns python -c pass` : `Celery ${version} prefork -c ${SLOTS}, an inline no-op`,
        tasksPerSecond: outcome.tasks / outcome.seconds,
        cpuPerTask: { 'worker and pool': cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / outcome.tasks },
      });
    }
  } finally {
    await stopByPid(worker);
    await stopByPid(redis);
  }
}

const FLOORS = `import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

mode, count, slots = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
started = time.perf_counter()
if mode == "spawn":
    with ThreadPoolExecutor(slots) as pool:
        list(pool.map(lambda _: subprocess.run([sys.executable, "-c", "pass"], check=True), range(count)))
else:
    running = 0
    for _ in range(count):
        if running >= slots:
            os.wait()
            running -= 1
        if os.fork() == 0:
            os._exit(0)
        running += 1
    while running:
        os.wait()
        running -= 1
print(json.dumps({"seconds": time.perf_counter() - started}))
`;

async function measureFloors(scratch: string, python: string): Promise<void> {
  const script = path.join(scratch, 'floors.py');
  await writeFile(script, FLOORS);
  for (const mode of ['spawn', 'fork'] as const) {
    const { stdout } = await execa(python, [script, mode, String(tasks), String(SLOTS)], { timeout: remainingMs() });
    const { seconds } = JSON.parse(stdout) as { seconds: number };
    report({ name: mode === 'spawn' ? `floor: spawn python -c pass, ${SLOTS} at a time` : `floor: fork + exit + wait from a Python parent, ${SLOTS} at a time`, tasksPerSecond: tasks / seconds });
  }
}

function ratios(): void {
  const rate = (prefix: string, mode: Mode): number | undefined => figures.find((f) => f.name.startsWith(prefix) && f.name.endsWith(mode))?.tasksPerSecond;
  const celerySpawn = figures.find((f) => f.name.includes('spawns python'))?.tasksPerSecond;
  const lines: string[] = [];
  for (const [label, prefix] of [['cluster', 'dagbridge cluster'], ['dags test', 'dagbridge dags test'], ['standalone', 'dagbridge standalone']] as const) {
    for (const mode of MODES) {
      const value = rate(prefix, mode);
      if (value === undefined) continue;
      const fresh = mode === 'fork server' ? rate(prefix, 'fresh interpreter') : undefined;
      lines.push(`   ${label}, ${mode}: ${value.toFixed(1)} tasks/s` + (celerySpawn ? `, x${(value / celerySpawn).toFixed(2)} Celery's spawn-python task` : '') + (fresh ? `, x${(value / fresh).toFixed(2)} the fresh interpreter's` : ''));
    }
  }
  if (lines.length === 0) return;
  say('ratios (same run):');
  for (const line of lines) say(line);
  for (const mode of MODES) {
    const cluster = figures.find((f) => f.name.startsWith('dagbridge cluster') && f.name.endsWith(mode));
    const controlPlane = cluster?.cpuPerTask?.['control plane'];
    if (controlPlane !== undefined && controlPlane !== null) say(`   control-plane CPU per task, cluster, ${mode} (workers + scheduler + PostgreSQL + Redis): ${controlPlane.toFixed(2)} ms`);
  }
}

async function main(): Promise<void> {
  await ensureBuilt(say);
  const interpreter = await resolvePython(values.python);
  const python = interpreter.executable;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-bench-compare-'));
  const dagsFolder = path.join(scratch, 'dags');
  await mkdir(dagsFolder);
  const dagId = 'compare_noop';
  await writeFile(path.join(dagsFolder, 'compare_noop.py'), pythonNoopDag(dagId, tasks, { maxActiveTasks: Math.max(16, tasks) }));
  const cluster = new BenchCluster({ adminDatabaseUrl, redisUrl, dagsFolder, env: { DAGBRIDGE_NO_AIRFLOW: 'true', DAGBRIDGE_PYTHON: python }, deadlineAt });
  say(`machine: ${describeMachine()}`);
  say(`load: one DAG of ${tasks} independent no-op @task tasks (python ${interpreter.version}, ${python}, stand-ins); ${SLOTS} task slots on every side but the cluster's (${workerCount} workers x ${workerSlots})`);
  try {
    if (parts.has('cluster') || parts.has('standalone')) {
      await cluster.setUp();
      say(`servers: PostgreSQL ${redactUrl(adminDatabaseUrl)} (database ${cluster.databaseName}), Redis ${redactUrl(redisUrl)} (prefix ${cluster.prefix})`);
    }
    // The two modes alternate within each system, so that both see the same machine load.
    for (const mode of modes) if (parts.has('cluster')) await measureCluster(cluster, dagId, mode, scratch);
    for (const mode of modes) if (parts.has('dags-test')) await measureDagsTest(dagsFolder, python, dagId, mode);
    for (const mode of modes) if (parts.has('standalone')) await measureStandalone(cluster, python, dagId, mode);
    if (parts.has('celery')) await measureCelery(scratch);
    if (parts.has('floors')) await measureFloors(scratch, python);
    ratios();
  } finally {
    await cluster.tearDown();
    await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
