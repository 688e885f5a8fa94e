/**
 * What one DAG run costs on one machine (`dagbridge dags test`: in-memory store, the scheduler loop, the local
 * executor), against the floor of starting Python. Prints figures; asserts nothing.
 *
 *   npm run bench:run -- [--tasks 200] [--concurrency 2] [--floor-runs 100] [--rounds 3] [--python python3]
 *
 * Two generated DAGs (in a temporary folder, removed at the end), each of `--tasks` independent no-op tasks:
 *   bash:   BashOperator(bash_command="true")
 *   python: @task def noop(): return None
 * Each round, for each DAG, at the same concurrency: `--floor-runs` spawns of
 *   floor python -c pass:    the interpreter alone (the real executable, resolved once with resolvePython)
 *   floor DAG import:        python importing the same DAG file with the stand-ins, as the task runner does
 *                            (PYTHONPATH=python-shim, dagbridge_shim.loader.load_dag_file, the environment
 *                            flags a task gets: PYTHONDONTWRITEBYTECODE=1, PYTHONUNBUFFERED=1)
 * then one DAG run through testDag. Floors and runs alternate so that both see the same machine load; the
 * summary pools the rounds. Per-task wall time is a task instance's start_date -> end_date (startTry to
 * finishTry: the subprocess and dagbridge's work around it); tasks/s is tasks over the wall time of the run.
 * "time per task" (1 / throughput) over the DAG-import floor's is what the target (1.5x) is about.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import type { DagBundle, DagSpec } from '../src/dag/bundle.js';
import { silentLogger } from '../src/lib/logger.js';
import { testDag } from '../src/dag-test/dag-test.js';
import { exportDags } from '../src/shim/export.js';
import { resolvePython, SHIM_ROOT } from '../src/shim/python.js';
import { bashNoopDag, pythonNoopDag } from './support/dags.js';
import { cpuSince, cpuTime, type CpuTime } from './support/cpu.js';
import { describeMachine } from './support/machine.js';
import { formatRate, formatSummary, summarize, type Summary } from './support/stats.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '2' },
    'floor-runs': { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    python: { type: 'string', default: 'python3' },
  },
});
const tasks = positiveInt('--tasks', values.tasks);
const concurrency = positiveInt('--concurrency', values.concurrency);
const floorRuns = positiveInt('--floor-runs', values['floor-runs']);
const rounds = positiveInt('--rounds', values.rounds);

function positiveInt(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${flag} takes a positive integer, got ${String(value)}`);
  return parsed;
}

/** A timed batch: per-item wall times and the batch's own wall time. */
interface Batch {
  samples: number[];
  elapsedMs: number;
  count: number;
  cpu: CpuTime;
}

/** Runs `once` `count` times with `parallel` in flight, timing each and the whole. */
async function timedPool(count: number, parallel: number, once: () => Promise<void>): Promise<Batch> {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  const cpuBefore = cpuTime();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next += 1;
        const at = performance.now();
        await once();
        samples.push(performance.now() - at);
      }
    }),
  );
  return { samples, elapsedMs: performance.now() - started, count, cpu: cpuSince(cpuBefore) };
}

/** The environment of a floor process: what a task's environment holds that changes how Python starts. */
function floorEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPATH: SHIM_ROOT, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
}

/** The import the task runner does before it runs a task (dagbridge_shim/run.py load_task, stand-ins). */
function importScript(dagsFolder: string, file: string): string {
  return [
    'from dagbridge_shim.loader import load_dag_file',
    `dags = load_dag_file(${JSON.stringify(dagsFolder)}, ${JSON.stringify(file)}, False)`,
    'assert len(dags) == 1, dags',
  ].join('\n');
}

interface KindResult {
  floorPass: Batch[];
  floorImport: Batch[];
  run: Batch[];
}

/** One round of one DAG: the two floors, then the DAG run, back to back so they see the same machine load. */
async function measureRound(kind: string, dag: DagSpec, bundle: DagBundle, python: string, into: KindResult): Promise<void> {
  const env = floorEnv();
  const script = importScript(bundle.dagsFolder, dag.file);
  const spawn = (code: string) => async (): Promise<void> => void (await execa(python, ['-c', code], { env, extendEnv: false }));
  into.floorPass.push(await timedPool(floorRuns, concurrency, spawn('pass')));
  into.floorImport.push(await timedPool(floorRuns, concurrency, spawn(script)));

  const started = performance.now();
  const cpuBefore = cpuTime();
  const result = await testDag({
    bundle, dag, python, noAirflow: true, concurrency,
    env: { passEnv: [], extraPythonPaths: [] },
    killGraceMs: 5_000,
    logCapBytes: 64 * 1024 * 1024,
    log: silentLogger,
  });
  const elapsedMs = performance.now() - started;
  const cpu = cpuSince(cpuBefore);
  const notSucceeded = result.instances.filter((ti) => ti.state !== 'success');
  if (result.run.state !== 'success' || notSucceeded.length > 0) {
    const first = notSucceeded[0];
    const lines = first ? await result.store.readLogLines(first, first.tryNumber) : [];
    throw new Error(`${kind} run ${result.run.state}: ${notSucceeded.length} tasks did not succeed (first: ${first?.taskId} ${first?.state}):\n${lines.map((l) => l.line).join('\n')}`);
  }
  // start_date -> end_date of each task instance: startTry to finishTry, the subprocess and dagbridge's work around it.
  const walls = result.instances.map((ti) => (ti.endDate as number) - (ti.startDate as number));
  into.run.push({ samples: walls, elapsedMs, count: result.instances.length, cpu });
}

/** All rounds' batches as one: samples pooled, elapsed times added. */
function pooled(batches: Batch[]): Pooled {
  const children = batches.map((b) => b.cpu.childrenMs);
  return {
    summary: summarize(batches.flatMap((b) => b.samples)),
    elapsedMs: batches.reduce((sum, b) => sum + b.elapsedMs, 0),
    count: batches.reduce((sum, b) => sum + b.count, 0),
    cpu: {
      selfMs: batches.reduce((sum, b) => sum + b.cpu.selfMs, 0),
      childrenMs: children.some((c) => c === null) ? null : children.reduce((sum: number, c) => sum + (c as number), 0),
    },
  };
}

interface Pooled {
  summary: Summary;
  elapsedMs: number;
  count: number;
  cpu: CpuTime;
}

/** CPU milliseconds per item: this process's share and the child processes' (null without /proc). */
function cpuPerItem(batch: Pooled): { self: number; children: number | null } {
  return { self: batch.cpu.selfMs / batch.count, children: batch.cpu.childrenMs === null ? null : batch.cpu.childrenMs / batch.count };
}

/** How many times longer a task of `run` takes than one of `floor`, by throughput at the same concurrency. */
function timeRatio(run: { count: number; elapsedMs: number }, floor: { count: number; elapsedMs: number }): number {
  return (run.elapsedMs / run.count) / (floor.elapsedMs / floor.count);
}

async function main(): Promise<void> {
  const interpreter = await resolvePython(values.python);
  const python = interpreter.executable;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-bench-run-'));
  try {
    const dagsFolder = path.join(scratch, 'dags');
    await mkdir(dagsFolder);
    await writeFile(path.join(dagsFolder, 'bench_bash.py'), bashNoopDag('bench_bash', tasks));
    await writeFile(path.join(dagsFolder, 'bench_python.py'), pythonNoopDag('bench_python', tasks));
    const bundle = await exportDags({ dagsFolder, python, noAirflow: true });
    const dagOf = (dagId: string): DagSpec => {
      const dag = bundle.dags.find((d) => d.dagId === dagId);
      if (!dag) throw new Error(`the export has no DAG ${dagId}: ${JSON.stringify(bundle.importErrors)}`);
      return dag;
    };
    const kinds = [['bash', dagOf('bench_bash')], ['python', dagOf('bench_python')]] as const;

    console.log(`machine: ${describeMachine()}`);
    console.log(
      `python ${interpreter.version} (${python}), stand-ins; ${tasks} independent no-op tasks per DAG; concurrency ${concurrency}; ` +
        `${rounds} rounds of (${floorRuns} spawns per floor, then one DAG run) per DAG`,
    );
    // Warm the page cache and the pyc files before anything is timed.
    const env = floorEnv();
    for (const [, dag] of kinds) {
      await timedPool(Math.min(10, floorRuns), concurrency, async () => void (await execa(python, ['-c', importScript(bundle.dagsFolder, dag.file)], { env, extendEnv: false })));
    }
    const results = new Map<string, KindResult>(kinds.map(([kind]) => [kind, { floorPass: [], floorImport: [], run: [] }]));
    for (let round = 1; round <= rounds; round += 1) {
      for (const [kind, dag] of kinds) {
        const into = results.get(kind) as KindResult;
        await measureRound(kind, dag, bundle, python, into);
        const run = into.run[round - 1] as Batch;
        const floor = into.floorImport[round - 1] as Batch;
        console.log(`  round ${round} ${kind.padEnd(6)} dags test ${formatRate(run.count, run.elapsedMs)}, DAG-import floor ${formatRate(floor.count, floor.elapsedMs)}: time per task x${timeRatio(run, floor).toFixed(2)} of the floor`);
      }
    }
    for (const [kind, result] of results) {
      const floorPass = pooled(result.floorPass);
      const floorImport = pooled(result.floorImport);
      const run = pooled(result.run);
      const line = (name: string, batch: Pooled): string =>
        `  ${name.padEnd(28)} ${formatRate(batch.count, batch.elapsedMs).padStart(14)}   per item ${formatSummary(batch.summary)}`;
      console.log(`${kind} DAG, all rounds (${run.count} task runs, ${floorImport.count} spawns per floor):`);
      console.log(line('floor: python -c pass', floorPass));
      console.log(line('floor: import the DAG file', floorImport));
      console.log(line('dags test (testDag)', run));
      const overhead = run.summary.p50 - floorImport.summary.p50;
      console.log(
        `  per task over the DAG-import floor: p50 ${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)} ms; ` +
          `time per task (1 / throughput) x${timeRatio(run, floorImport).toFixed(2)} of the floor's; ` +
          `x${timeRatio(run, floorPass).toFixed(2)} of python -c pass`,
      );
      const runCpu = cpuPerItem(run);
      const floorCpu = cpuPerItem(floorImport);
      if (runCpu.children !== null && floorCpu.children !== null) {
        const total = runCpu.self + runCpu.children;
        console.log(
          `  CPU per task: dags test ${total.toFixed(1)} ms (task processes ${runCpu.children.toFixed(1)} ms + dagbridge in node ${runCpu.self.toFixed(1)} ms), ` +
            `DAG-import floor ${floorCpu.children.toFixed(1)} ms per spawn (+ ${floorCpu.self.toFixed(1)} ms in node to spawn it): ` +
            `x${(total / floorCpu.children).toFixed(2)}`,
        );
      }
    }
    const pythonResult = results.get('python') as KindResult;
    const ratio = timeRatio(pooled(pythonResult.run), pooled(pythonResult.floorImport));
    console.log(`target: python tasks within 1.5x of the DAG-import floor: x${ratio.toFixed(2)} (${ratio <= 1.5 ? 'met' : 'not met'})`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
