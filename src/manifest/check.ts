/**
 * `dagbridge worker check`: does this interpreter satisfy the manifest, and do the DAG files import in it?
 * The CLI wiring lives in src/cli; this function does the work and returns the exit code and the rendered
 * output, so CI and the worker's start-up share it.
 *
 * Exit codes: 0 everything satisfied; 1 a requirement, executable, variable, Python version or DAG import
 * fails (the report says which); 2 the check could not be made (bad manifest with its line or field, missing
 * interpreter or DAGs folder, the shim failing in that interpreter, neither a manifest nor a DAGs folder given).
 *
 * Cost: one facts probe (~50-100 ms) and, with a DAGs folder, one shim export, run side by side.
 */
import { performance } from 'node:perf_hooks';
import type { DagBundle } from '../dag/bundle.js';
import { DagbridgeError, errorMessage, ManifestError, ShimError, UsageError } from '../lib/errors.js';
import { exportDags } from '../shim/export.js';
import { resolvePython, SHIM_ROOT } from '../shim/python.js';
import { pythonPathEntries } from '../shim/allowed-env.js';
import { formatCheckReport, xml, type CheckFormat, type DagFileOutcome, type DagImportReport, type WorkerCheckReport } from './check-report.js';
import { collectFacts } from './facts.js';
import { loadManifest, type Manifest } from './manifest.js';
import { verifyManifest } from './verify.js';

/** Options of `runWorkerCheck`. */
export interface WorkerCheckOptions {
  /** `dagbridge.manifest.json` or a requirements.txt. Optional when `dagsFolder` is given. */
  readonly manifestPath?: string;
  /** Also import every DAG file of this folder in the interpreter. */
  readonly dagsFolder?: string;
  readonly pluginsFolder?: string;
  /** The interpreter to check (`python3`, a path). */
  readonly python: string;
  /** Queues to check (a worker's queues). Default: every queue the manifest has a section for. */
  readonly queues?: readonly string[];
  readonly format: CheckFormat;
  /** Environment the checked processes see (default: this process's); env checks look here. */
  readonly processEnv?: NodeJS.ProcessEnv;
  /** Extra variables DAG files may read at import (config `passEnv`); the rest of the environment is not passed. */
  readonly passEnv?: readonly string[];
  /** Config `pythonPath`: directories on PYTHONPATH after the shim, as tasks have them. */
  readonly pythonPath?: readonly string[];
  /** Config `inheritPythonPath` (default true): the parent's PYTHONPATH after `pythonPath`, as tasks have it. */
  readonly inheritPythonPath?: boolean;
}

/** What `runWorkerCheck` returns: the exit code, the rendered output (stdout) and the report when there is one. */
export interface WorkerCheckResult {
  readonly exitCode: 0 | 1 | 2;
  readonly output: string;
  readonly report: WorkerCheckReport | null;
}

/** Runs the check. Never throws for user errors: they become exit code 2 with the message in `output`. */
export async function runWorkerCheck(options: WorkerCheckOptions): Promise<WorkerCheckResult> {
  const started = performance.now();
  try {
    if (!options.manifestPath && !options.dagsFolder) {
      throw new UsageError('worker check needs a manifest (--manifest FILE) or a DAGs folder (--dags-folder DIR), or both');
    }
    const manifest: Manifest | null = options.manifestPath ? loadManifest(options.manifestPath) : null;
    const interpreter = await resolvePython(options.python);

    const executables = manifest ? [...new Set([manifest.common, ...Object.values(manifest.queues)].flatMap((part) => part.executables))] : [];
    const env = manifest ? [...new Set([manifest.common, ...Object.values(manifest.queues)].flatMap((part) => part.env))] : [];
    const [facts, dagImports] = await Promise.all([
      manifest
        ? collectFacts({ python: options.python, executables, env, ...(options.processEnv ? { processEnv: options.processEnv } : {}) })
        : Promise.resolve(null),
      options.dagsFolder ? importDags(options) : Promise.resolve(null),
    ]);

    const verify = manifest && facts ? verifyManifest(manifest, facts, options.queues ? { queues: options.queues } : {}) : null;
    const reasons = [
      ...(verify?.reasons ?? []),
      ...(dagImports?.files ?? [])
        .filter((file) => file.status === 'failed')
        .map((file) => `DAG import: ${file.file}: ${file.error?.type ?? 'Error'}: ${(file.error?.message ?? '').split('\n')[0]}`),
    ];
    const report: WorkerCheckReport = {
      satisfied: reasons.length === 0,
      python: { executable: interpreter.executable, version: interpreter.version },
      manifest: verify,
      dagImports,
      reasons,
      seconds: round((performance.now() - started) / 1000),
      environment: {
        cwd: process.cwd(),
        pythonPath: pythonPathEntries(SHIM_ROOT, options.processEnv ?? process.env, options, options.pluginsFolder ? [options.pluginsFolder] : []),
        passEnv: [...(options.passEnv ?? [])],
      },
    };
    return { exitCode: report.satisfied ? 0 : 1, output: formatCheckReport(report, options.format), report };
  } catch (thrown) {
    if (isInputError(thrown)) return { exitCode: 2, output: formatInputError(thrown, options.format), report: null };
    throw thrown;
  }
}

/** Errors that mean "the input cannot be checked" (exit 2), as opposed to "the check ran and failed" (exit 1). */
function isInputError(thrown: unknown): thrown is DagbridgeError {
  return (
    thrown instanceof UsageError ||
    (thrown instanceof ManifestError && thrown.code === 'MANIFEST_INVALID') ||
    // The interpreter could not be run, the DAGs folder is missing, or the shim failed in that interpreter:
    // the check could not be made at all, which is not the same as "this interpreter lacks something".
    thrown instanceof ShimError
  );
}

function formatInputError(error: DagbridgeError, format: CheckFormat): string {
  if (format === 'json') return `${JSON.stringify({ satisfied: false, error: { code: error.code, message: error.message } }, null, 2)}\n`;
  if (format === 'junit') {
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<testsuites name="dagbridge worker check" tests="1" failures="0" errors="1" skipped="0" time="0.000">',
      '  <testsuite name="worker check input" tests="1" failures="0" errors="1" skipped="0" time="0.000">',
      '    <testcase classname="dagbridge.worker_check_input" name="input">',
      `      <error type="${error.code}" message="${xml(error.message)}"/>`,
      '    </testcase>',
      '  </testsuite>',
      '</testsuites>',
      '',
    ].join('\n');
  }
  return `worker check: cannot run: ${error.message}\n`;
}

async function importDags(options: WorkerCheckOptions): Promise<DagImportReport> {
  const started = performance.now();
  let bundle: DagBundle;
  try {
    bundle = await exportDags({
      dagsFolder: options.dagsFolder ?? '.',
      python: options.python,
      ...(options.pluginsFolder ? { pluginsFolder: options.pluginsFolder } : {}),
      ...(options.processEnv ? { env: options.processEnv } : {}),
      ...(options.passEnv ? { passEnv: options.passEnv } : {}),
      pythonPath: options.pythonPath ?? [],
      inheritPythonPath: options.inheritPythonPath ?? true,
    });
  } catch (thrown) {
    if (thrown instanceof DagbridgeError) throw thrown;
    throw new ShimError('SHIM_FAILED', `importing the DAG files of ${options.dagsFolder ?? '.'} failed: ${errorMessage(thrown)}`, { cause: thrown });
  }
  return dagImportReport(bundle, round((performance.now() - started) / 1000));
}

/** One outcome per DAG file of a bundle: failed when the file has an import error, sorted by path. */
export function dagImportReport(bundle: DagBundle, seconds: number): DagImportReport {
  const outcomes = new Map<string, DagFileOutcome>();
  for (const file of bundle.files) outcomes.set(file.path, { file: file.path, status: 'ok', dagIds: file.dagIds, error: null });
  for (const importError of bundle.importErrors) {
    const previous = outcomes.get(importError.file);
    if (previous?.status === 'failed') continue; // the first error of a file is the one to fix first
    outcomes.set(importError.file, {
      file: importError.file,
      status: 'failed',
      dagIds: previous?.dagIds ?? [],
      error: { type: importError.type, message: importError.message, traceback: importError.traceback },
    });
  }
  const files = [...outcomes.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { dagsFolder: bundle.dagsFolder, files, satisfied: files.every((file) => file.status === 'ok'), seconds };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
