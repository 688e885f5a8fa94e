/**
 * Running `python -m dagbridge_shim export` and reading its DAG bundle. The shim is the only code that imports
 * DAG files; this side never executes Python itself.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseBundle, type DagBundle } from '../dag/bundle.js';
import { ShimError } from '../lib/errors.js';
import { PARSE_ALLOW, resolvePython, shimProcessEnv } from './python.js';

/** What to export. */
export interface ExportOptions {
  /** The DAGs folder (must exist). */
  dagsFolder: string;
  /** Interpreter to run the shim with (default `python3`). */
  python?: string;
  /** Plugins folder put on sys.path. */
  pluginsFolder?: string | null;
  /** Use stand-ins even when Airflow is importable. */
  noAirflow?: boolean;
  /** Only these files (relative to the DAGs folder); the rest of the bundle is left out. */
  files?: readonly string[];
  /** Per-file import timeout (shim default 30 s). */
  fileTimeoutSeconds?: number;
  /** A file where the shim keeps each DAG file's export by content hash: unchanged files are not imported again. */
  cachePath?: string;
  /**
   * The parent environment the shim's is taken from (default `process.env`). Only the task allow-list passes
   * (src/shim/allowed-env.ts, with AIRFLOW_VAR_* and AIRFLOW_CONN_*), plus `passEnv`: DAG files at parse time
   * never see the database or Redis URL.
   */
  env?: NodeJS.ProcessEnv;
  /** Extra parent variables DAG files may read at parse time (config `passEnv`: names or globs). */
  passEnv?: readonly string[];
  /** Directories on PYTHONPATH after the shim (config `pythonPath`), as tasks have them. */
  pythonPath?: readonly string[];
  /** Keep the parent's PYTHONPATH after `pythonPath` (config `inheritPythonPath`; default true), as tasks do. */
  inheritPythonPath?: boolean;
  /**
   * Total deadline of the export in ms (default 300 000): after it the shim's whole process group is killed and the
   * export fails with SHIM_TIMEOUT. Also ends the export when `signal` aborts.
   */
  totalTimeoutMs?: number;
  /** Aborts the export (its process group is killed). */
  signal?: AbortSignal;
  /**
   * The metadata database's Variables (key -> value), read before each export and given to the shim on stdin, so
   * `Variable.get` at the top of a DAG file sees them as Airflow's DAG processor reads the variables table.
   * Commands without a database leave it out (then only `AIRFLOW_VAR_*` variables are seen).
   */
  variables?: () => Promise<Readonly<Record<string, string>>>;
}

/** What the TS side keeps of the shim's stderr: its last 64 KiB (the error is its last line, cut to 500 chars). */
const STDERR_TAIL_BYTES = 64 * 1024;
/** How long the end of the shim's pipes is waited for once it has exited (a process it left may hold them). */
const PIPE_GRACE_MS = 2_000;

/** How one shim process ended, with its stdout and the tail of its stderr. */
export interface ShimRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
  timedOut: boolean;
  aborted: boolean;
  spawnError: Error | null;
}

/**
 * Runs the shim in a process group of its own (detached) and collects its output. Resolves when the shim has
 * exited and its pipes closed, or PIPE_GRACE_MS after it exited if something it started still holds them (the
 * pipes are then destroyed), so no descendant can keep the caller waiting. At the deadline or on abort the whole
 * group is killed with SIGKILL.
 */
export function runShim(executable: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, signal: AbortSignal | undefined, stdin: string | null): Promise<ShimRun> {
  return new Promise((resolve) => {
    const child = spawn(executable, args, { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    // A shim that exits before reading its stdin closes the pipe: its exit code tells what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
    const stdout: Buffer[] = [];
    let stderr = Buffer.alloc(0);
    const run: ShimRun = { exitCode: null, signal: null, stdout: '', stderrTail: '', timedOut: false, aborted: false, spawnError: null };
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(graceTimer);
      signal?.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      run.stdout = Buffer.concat(stdout).toString('utf8');
      run.stderrTail = stderr.toString('utf8');
      resolve(run);
    };
    const onAbort = (): void => {
      run.aborted = true;
      killGroup();
    };
    const deadline = setTimeout(() => {
      run.timedOut = true;
      killGroup();
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
    });
    child.on('error', (error) => {
      run.spawnError = error;
      finish();
    });
    child.on('exit', (code, exitSignal) => {
      run.exitCode = code;
      run.signal = exitSignal;
      // Whatever the shim left in its group goes with it; one that left the group only loses its pipes.
      killGroup();
      graceTimer = setTimeout(finish, PIPE_GRACE_MS);
    });
    child.on('close', finish);
  });
}

/** The last line of `text`, cut to 500 characters. */
export function lastLine(text: string): string {
  const line = text.trim().split('\n').pop() ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}... (${line.length} characters)` : line;
}

/** Checks that `folder` is a directory, with an error that says what to do. */
export function assertDagsFolder(folder: string): string {
  const absolute = path.resolve(folder);
  let isDirectory = false;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {
    // Missing or unreadable: reported below with the fix.
  }
  if (!isDirectory) {
    throw new ShimError(
      'DAGS_FOLDER_NOT_FOUND',
      `DAGs folder ${absolute} does not exist or is not a directory; pass --dags-folder DIR or set DAGBRIDGE_DAGS_FOLDER`,
    );
  }
  return absolute;
}

/** Exports a DAG folder to a validated bundle. */
export async function exportDags(options: ExportOptions): Promise<DagBundle> {
  const dagsFolder = assertDagsFolder(options.dagsFolder);
  const interpreter = await resolvePython(options.python);
  const args = ['-m', 'dagbridge_shim', 'export', '--dags-folder', dagsFolder];
  if (options.pluginsFolder) args.push('--plugins-folder', path.resolve(options.pluginsFolder));
  if (options.noAirflow) args.push('--no-airflow');
  if (options.fileTimeoutSeconds !== undefined) args.push('--file-timeout', String(options.fileTimeoutSeconds));
  if (options.files && options.files.length > 0) args.push('--files', ...options.files);
  if (options.cachePath) args.push('--cache', options.cachePath);
  const variables = options.variables ? await options.variables() : null;
  if (variables) args.push('--variables-stdin');

  const timeoutMs = options.totalTimeoutMs ?? 300_000;
  const env = shimProcessEnv(options.env ?? process.env, {
    passEnv: options.passEnv ?? [],
    pythonPath: options.pythonPath ?? [],
    inheritPythonPath: options.inheritPythonPath ?? true,
    ...PARSE_ALLOW,
  });
  const result = await runShim(interpreter.executable, args, env, timeoutMs, options.signal, variables ? JSON.stringify(variables) : null);
  if (result.timedOut) {
    throw new ShimError('SHIM_TIMEOUT', `exporting ${dagsFolder} did not finish within ${timeoutMs / 1000} s; its processes were killed (raise the deadline with DAGBRIDGE_PARSE_TIMEOUT_SECONDS, or find the slow file with "dagbridge dags errors")`);
  }
  if (result.aborted) throw new ShimError('SHIM_FAILED', `exporting ${dagsFolder} was stopped`);
  if (result.spawnError) {
    throw new ShimError('SHIM_FAILED', `could not start ${interpreter.executable} to export ${dagsFolder}: ${result.spawnError.message}`, { cause: result.spawnError });
  }
  if (result.exitCode !== 0) {
    throw new ShimError(
      'SHIM_FAILED',
      `exporting ${dagsFolder} with ${interpreter.executable} failed (exit ${result.exitCode ?? result.signal}): ${lastLine(result.stderrTail) || 'no output'}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch (cause) {
    throw new ShimError('SHIM_FAILED', `the shim's export of ${dagsFolder} is not JSON (${(cause as Error).message}); is dagbridge_shim from this dagbridge version?`, { cause });
  }
  return parseBundle(parsed, `DAG bundle of ${dagsFolder}`);
}

/**
 * Repeated exports of one folder (the scheduler's parse loop): files whose content did not change are taken from
 * the shim's cache, and every `fullEvery`-th export imports everything again, so changes a cache cannot see (a
 * helper module, an Airflow Variable read at parse time) are picked up within that many intervals.
 */
export function cachedExporter(options: Omit<ExportOptions, 'cachePath'> & { cacheDir: string; fullEvery?: number }): (signal?: AbortSignal) => Promise<DagBundle> {
  const folder = path.resolve(options.dagsFolder);
  const cachePath = path.join(options.cacheDir, `export-cache-${createHash('sha256').update(folder).digest('hex').slice(0, 12)}.json`);
  let exports = 0;
  return async (signal) => {
    mkdirSync(options.cacheDir, { recursive: true });
    if (exports % (options.fullEvery ?? 10) === 0) rmSync(cachePath, { force: true });
    exports += 1;
    return exportDags({ ...options, cachePath, ...(signal ? { signal } : {}) });
  };
}
