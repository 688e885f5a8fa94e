/**
 * How Airflow's own example DAGs fare in dagbridge: exports each example folder and runs `dags test` (the
 * in-memory store, the scheduler loop, the local executor: `testDag`) on every example DAG that needs no network,
 * then prints per folder the files, how many loaded, the import errors with their reasons, the DAGs run and each
 * DAG's final task states. Prints figures; asserts nothing unless `--strict`.
 *
 *   npm run compat -- [--airflow2 DIR] [--airflow3 DIR] [--only airflow-2|airflow-3] [--dag ID ...]
 *                     [--python python3] [--logical-date ISO] [--timeout-seconds 120] [--concurrency 2]
 *                     [--expectations bench/compat-expectations.json] [--strict] [--json]
 *
 * Folders: Airflow 2.10.5's `airflow/example_dags` and Airflow 3's (`/work/airflow-2.10.5`, `/work/airflow-main`
 * by default), plus Airflow 3's standard provider's example_dags when the tree has them.
 * A DAG is not run when one of its tasks needs a provider package (providers talk to external systems) or when
 * the expectations file says why to skip it. Each run gets `--timeout-seconds`; one that does not finish is
 * reported as timed out with the states it reached.
 * Expectations: what real Airflow gives for a DAG (`run` state and each task's state, or `refused`: the text of
 * the error with which Airflow refuses to create the run), written only from reading Airflow's code for that DAG
 * or from a recorded run of real Airflow (each entry names its source). Every difference is listed; `--strict` exits 1 when
 * there is one.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DagBundle, DagSpec } from '../src/dag/bundle.js';
import { testDag } from '../src/dag-test/dag-test.js';
import { silentLogger } from '../src/lib/logger.js';
import { exportDags } from '../src/shim/export.js';
import { cachedCustomTimetables, shimTimetableEvaluator } from '../src/shim/timetable.js';
import { resolvePython } from '../src/shim/python.js';
import { describeMachine } from './support/machine.js';

const { values } = parseArgs({
  options: {
    airflow2: { type: 'string', default: '/work/airflow-2.10.5' },
    airflow3: { type: 'string', default: '/work/airflow-main' },
    only: { type: 'string' },
    dag: { type: 'string', multiple: true },
    python: { type: 'string', default: 'python3' },
    'logical-date': { type: 'string', default: '2024-06-03T00:00:00+00:00' },
    'timeout-seconds': { type: 'string', default: '120' },
    concurrency: { type: 'string', default: '2' },
    expectations: { type: 'string', default: path.join(import.meta.dirname, 'compat-expectations.json') },
    strict: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

/** One example folder of one Airflow line. */
interface Folder {
  key: 'airflow-2' | 'airflow-3';
  label: string;
  dirs: string[];
}

/** What the expectations file says about one DAG. */
interface Expectation {
  source: string;
  skip?: string;
  /** This DAG's own `--timeout-seconds` (a sensor whose own timeout is longer than the default). */
  timeoutSeconds?: number;
  /** Airflow refuses to create the run (`DAG.create_dagrun` raises); the text its error contains. */
  refused?: string;
  run?: string;
  tasks?: Record<string, string>;
}

interface ExpectationsFile {
  folders: Record<string, Record<string, Expectation>>;
}

/** The outcome of one DAG. */
interface DagOutcome {
  dagId: string;
  file: string;
  /** `ran`, `timed out`, or why it was not run. */
  status: string;
  runState: string | null;
  /** task id (with `[i]` for a map index) -> final state. */
  tasks: Record<string, string>;
  seconds: number;
  differences: string[];
}

interface FolderReport {
  key: string;
  label: string;
  dir: string;
  files: number;
  loaded: number;
  importErrors: { file: string; type: string; message: string }[];
  dags: DagOutcome[];
}

function positiveInt(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${flag} takes a positive integer, got ${String(value)}`);
  return parsed;
}

function folders(): Folder[] {
  const list: Folder[] = [
    { key: 'airflow-2', label: 'Airflow 2.10.5', dirs: [path.join(values.airflow2, 'airflow', 'example_dags')] },
    {
      key: 'airflow-3',
      label: 'Airflow 3 (development snapshot)',
      dirs: [
        path.join(values.airflow3, 'airflow', 'example_dags'),
        path.join(values.airflow3, 'providers', 'standard', 'src', 'airflow', 'providers', 'standard', 'example_dags'),
      ],
    },
  ];
  return list
    .filter((folder) => !values.only || folder.key === values.only)
    .map((folder) => ({ ...folder, dirs: folder.dirs.filter((dir) => existsSync(dir)) }))
    .filter((folder) => folder.dirs.length > 0);
}

async function readExpectations(file: string): Promise<ExpectationsFile> {
  if (!existsSync(file)) return { folders: {} };
  const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<ExpectationsFile>;
  return { folders: parsed.folders ?? {} };
}

/** Why a DAG is not run, or null when it is. */
function reasonNotToRun(dag: DagSpec, expectation: Expectation | undefined): string | null {
  if (expectation?.skip) return `skipped: ${expectation.skip}`;
  const providerTasks = dag.tasks.filter((task) => task.requiresProvider).map((task) => `${task.taskId} (${task.operator})`);
  if (providerTasks.length > 0) return `not run: needs a provider package: ${providerTasks.join(', ')}`;
  return null;
}

function taskKey(taskId: string, mapIndex: number): string {
  return mapIndex >= 0 ? `${taskId}[${mapIndex}]` : taskId;
}

/** Each difference between what dagbridge gave and what the expectation says Airflow gives. */
function compare(outcome: DagOutcome, expectation: Expectation | undefined): string[] {
  if (!expectation || expectation.skip) return [];
  if (expectation.refused !== undefined) {
    return outcome.status.startsWith('error: ') && outcome.status.includes(expectation.refused)
      ? []
      : [`${outcome.status === 'ran' ? `ran (${String(outcome.runState)})` : outcome.status}; Airflow refuses the run: ${expectation.refused}`];
  }
  if (outcome.status !== 'ran') return [`${outcome.status}; Airflow runs it`];
  const differences: string[] = [];
  if (expectation.run && expectation.run !== outcome.runState) {
    differences.push(`run: ${String(outcome.runState)}, Airflow: ${expectation.run}`);
  }
  for (const [task, state] of Object.entries(expectation.tasks ?? {})) {
    const got = outcome.tasks[task];
    if (got !== state) differences.push(`${task}: ${got ?? 'absent'}, Airflow: ${state}`);
  }
  for (const task of Object.keys(outcome.tasks)) {
    if (expectation.tasks && !(task in expectation.tasks)) differences.push(`${task}: not in Airflow's run`);
  }
  return differences;
}

async function runDag(bundle: DagBundle, dag: DagSpec, python: string, timeoutSeconds?: number): Promise<Omit<DagOutcome, 'differences' | 'file'>> {
  const started = performance.now();
  const signal = AbortSignal.timeout((timeoutSeconds ?? positiveInt('--timeout-seconds', values['timeout-seconds'])) * 1000);
  try {
    const result = await testDag({
      bundle, dag, python, noAirflow: true,
      concurrency: positiveInt('--concurrency', values.concurrency),
      logicalDate: values['logical-date'],
      env: { passEnv: [], passAirflowVariables: true, passAirflowConnections: true, extraPythonPaths: [] },
      killGraceMs: 5_000,
      logCapBytes: 16 * 1024 * 1024,
      log: silentLogger,
      signal,
      // Custom timetables (example_workday_timetable) answer from the example folder's own plugins.
      timetables: cachedCustomTimetables({
        evaluate: shimTimetableEvaluator({ dagsFolder: bundle.dagsFolder, python, noAirflow: true, timeoutMs: 30_000, passEnv: [], pythonPath: [], inheritPythonPath: true }),
        log: silentLogger,
      }),
    });
    const tasks: Record<string, string> = {};
    for (const ti of result.instances) tasks[taskKey(ti.taskId, ti.mapIndex)] = ti.state ?? 'none';
    return {
      dagId: dag.dagId,
      status: result.interrupted ? 'timed out' : 'ran',
      runState: result.run.state,
      tasks,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { dagId: dag.dagId, status: `error: ${message}`, runState: null, tasks: {}, seconds: (performance.now() - started) / 1000 };
  }
}

async function reportFolder(folder: Folder, dir: string, python: string, expectations: ExpectationsFile): Promise<FolderReport> {
  const bundle = await exportDags({ dagsFolder: dir, python, noAirflow: true });
  const expected = expectations.folders[folder.key] ?? {};
  const wanted = values.dag && values.dag.length > 0 ? new Set(values.dag) : null;
  const dags: DagOutcome[] = [];
  for (const dag of bundle.dags) {
    if (wanted && !wanted.has(dag.dagId)) continue;
    const expectation = expected[dag.dagId];
    const reason = reasonNotToRun(dag, expectation);
    const outcome = reason === null
      ? { ...(await runDag(bundle, dag, python, expectation?.timeoutSeconds)), file: dag.file, differences: [] as string[] }
      : { dagId: dag.dagId, file: dag.file, status: reason, runState: null, tasks: {}, seconds: 0, differences: [] };
    outcome.differences = compare(outcome, expectation);
    dags.push(outcome);
  }
  return {
    key: folder.key,
    label: folder.label,
    dir,
    files: bundle.files.length,
    loaded: bundle.files.length - bundle.importErrors.length,
    importErrors: bundle.importErrors.map((e) => ({ file: e.file, type: e.type, message: e.message })),
    dags,
  };
}

function printFolder(report: FolderReport): void {
  const ran = report.dags.filter((d) => d.status === 'ran');
  const expectedCount = report.dags.filter((d) => d.differences.length > 0).length;
  console.log(`\n${report.label}: ${report.dir}`);
  console.log(`  files ${report.files}, loaded ${report.loaded}, import errors ${report.importErrors.length}`);
  for (const error of report.importErrors) console.log(`    ${error.file}: ${error.type}: ${error.message.split('\n')[0] ?? ''}`);
  console.log(`  DAGs ${report.dags.length}, ran ${ran.length}, with differences from Airflow ${expectedCount}`);
  for (const dag of report.dags) {
    const states = Object.entries(dag.tasks).map(([task, state]) => `${task}=${state}`).join(' ');
    const head = dag.status === 'ran' ? `${dag.runState ?? '?'} in ${dag.seconds.toFixed(1)} s` : dag.status;
    console.log(`    ${dag.dagId}: ${head}${states ? `\n      ${states}` : ''}`);
    for (const difference of dag.differences) console.log(`      DIFFERS ${difference}`);
  }
}

async function main(): Promise<void> {
  const interpreter = await resolvePython(values.python);
  const expectations = await readExpectations(values.expectations);
  const reports: FolderReport[] = [];
  for (const folder of folders()) {
    for (const dir of folder.dirs) reports.push(await reportFolder(folder, dir, interpreter.executable, expectations));
  }
  const differences = reports.reduce((sum, r) => sum + r.dags.reduce((n, d) => n + d.differences.length, 0), 0);
  if (values.json) {
    console.log(JSON.stringify({
      python: { requested: interpreter.requested, executable: interpreter.executable, version: interpreter.version },
      logicalDate: values['logical-date'],
      expectations: values.expectations,
      folders: reports,
      differences,
    }, null, 2));
  } else {
    console.log(`compat: ${describeMachine()}`);
    console.log(`python ${interpreter.executable} (${interpreter.version}), logical date ${values['logical-date']}, `
      + `expectations ${values.expectations}`);
    for (const report of reports) printFolder(report);
    console.log(`\n${differences} difference(s) from the expectations`);
  }
  if (values.strict && differences > 0) process.exitCode = 1;
}

await main();
