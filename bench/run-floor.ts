/**
 * What starting a task costs: the interpreter's own floor against a start through runTaskProcess.
 *
 *   npx tsx bench/run-floor.ts [--runs N] [--python PYTHON]
 *
 * The interpreter is resolved once (resolvePython) and started by its real executable everywhere. Measured
 * round-robin, N rounds after 3 warm-up rounds:
 *   1. floor:   `python -c pass` through execa
 *   2. fixture: the trivial `ok` task fixture through execa (same script, stdin input, a result file)
 *   3. runner:  the same fixture through runTaskProcess (attempt directory, allow-list env, process group,
 *               log capture, result validation, group reap, directory removal)
 *   4. shim:    `python -m dagbridge_shim run --no-airflow` of a one-line PythonOperator through
 *               runTaskProcess (DAG import, context, execution, result), for scale
 * and the runner's overhead per start is (3) - (2). Prints figures; asserts nothing.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { resolvePython } from '../src/shim/python.js';
import { runTaskProcess } from '../src/worker/task-process.js';
import type { TaskRunInput } from '../src/ports/task-run-contract.js';

const FIXTURE = fileURLToPath(new URL('../src/worker/fixtures/task_fixture.py', import.meta.url));
const WARM_UP = 3;

const input: TaskRunInput = {
  version: 1,
  dagId: 'bench',
  taskId: 'noop',
  runId: 'manual__2024-01-01T00:00:00+00:00',
  mapIndex: -1,
  tryNumber: 1,
  maxTries: 1,
  runType: 'manual',
  logicalDate: '2024-01-01T00:00:00+00:00',
  dataIntervalStart: null,
  dataIntervalEnd: null,
  runAfter: '2024-01-01T00:00:00+00:00',
  dagRunStartDate: null,
  conf: {},
  xcoms: [],
  variables: {},
  testMode: false,
  sensorFirstPokeAt: null,
  prevDataIntervalStartSuccess: null,
  prevDataIntervalEndSuccess: null,
  prevStartDateSuccess: null,
};

const SHIM_DAG = `
from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator

with DAG("bench", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    PythonOperator(task_id="noop", python_callable=lambda: None)
`;

interface Stats {
  p50: number;
  p95: number;
  mean: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  return { p50: at(0.5), p95: at(0.95), mean: samples.reduce((sum, value) => sum + value, 0) / samples.length };
}

/** Runs the cases round-robin (so drift in machine load spreads evenly over them), `runs` timed rounds. */
async function measure(runs: number, cases: Record<string, () => Promise<void>>): Promise<Record<string, Stats>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < WARM_UP + runs; round += 1) {
    for (const [name, once] of Object.entries(cases)) {
      const started = performance.now();
      await once();
      if (round >= WARM_UP) samples[name]?.push(performance.now() - started);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, stats(values)]));
}

function parseArgs(argv: string[]): { runs: number; python: string } {
  const value = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at === -1 ? undefined : argv[at + 1];
  };
  const runs = Number(value('--runs') ?? 50);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  return { runs, python: value('--python') ?? 'python3' };
}

async function main(): Promise<void> {
  const { runs, python: requested } = parseArgs(process.argv.slice(2));
  const interpreter = await resolvePython(requested);
  const python = interpreter.executable;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-run-floor-'));
  const stdin = JSON.stringify(input);
  try {
    const resultPath = path.join(scratch, 'result.json');
    const dagsFolder = path.join(scratch, 'dags');
    await mkdir(dagsFolder);
    await writeFile(path.join(dagsFolder, 'bench.py'), SHIM_DAG);
    const measured = await measure(runs, {
      floor: async () => {
        await execa(python, ['-c', 'pass']);
      },
      fixture: async () => {
        await execa(python, [FIXTURE, 'ok', '--result', resultPath], { input: stdin, env: { PYTHONDONTWRITEBYTECODE: '1' }, extendEnv: false });
        JSON.parse(await readFile(resultPath, 'utf8'));
      },
      runner: async () => {
        const outcome = await runTaskProcess(
          { input, command: { kind: 'argv', python, argv: [python, FIXTURE, 'ok'] }, executionTimeoutSeconds: null, workBaseDir: scratch },
          { onLogLine: () => undefined },
        );
        if (outcome.failure) throw new Error(`fixture failed: ${outcome.failure.message}`);
      },
      shim: async () => {
        const outcome = await runTaskProcess(
          {
            input,
            command: { kind: 'shim', python, dagsFolder, file: 'bench.py', noAirflow: true },
            executionTimeoutSeconds: null,
            workBaseDir: scratch,
          },
          { onLogLine: () => undefined },
        );
        if (outcome.result?.state !== 'success') throw new Error(`shim run failed: ${JSON.stringify(outcome.failure ?? outcome.result?.error)}`);
      },
    });
    const { floor, fixture, runner, shim } = measured as Record<'floor' | 'fixture' | 'runner' | 'shim', Stats>;

    const row = (name: string, value: Stats): string =>
      `${name.padEnd(34)} p50 ${value.p50.toFixed(1).padStart(7)} ms   p95 ${value.p95.toFixed(1).padStart(7)} ms   mean ${value.mean.toFixed(1).padStart(7)} ms`;
    console.log(`python ${interpreter.version} (${python}), ${runs} round-robin rounds after ${WARM_UP} warm-up rounds, ${os.cpus().length} CPUs, node ${process.version}`);
    console.log(row('floor: python -c pass', floor));
    console.log(row('fixture via execa', fixture));
    console.log(row('fixture via runTaskProcess', runner));
    console.log(row('shim run (stand-ins) via runner', shim));
    console.log(
      `runner overhead per start: p50 ${(runner.p50 - fixture.p50).toFixed(1)} ms, mean ${(runner.mean - fixture.mean).toFixed(1)} ms ` +
        `(fixture script over the floor: p50 ${(fixture.p50 - floor.p50).toFixed(1)} ms)`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
