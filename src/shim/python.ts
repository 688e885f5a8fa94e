/**
 * Finding the Python interpreter and the python-shim package. An interpreter is resolved once to its real
 * executable (`sys.executable`): `python3` on PATH may be a version-manager shim that costs ~100 ms per start.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShimError } from '../lib/errors.js';
import { allowedParentEnv, pythonPathEntries, type EnvAllowList, type PythonPathSettings } from './allowed-env.js';

/** The directory that holds the `dagbridge_shim` package (put on PYTHONPATH of every shim process). */
export const SHIM_ROOT = findShimRoot();

function findShimRoot(): string {
  // src/shim/python.ts and dist/shim/python.js both sit two levels below the checkout root.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const candidate = path.join(root, 'python-shim');
  return existsSync(path.join(candidate, 'dagbridge_shim')) ? candidate : path.join(process.cwd(), 'python-shim');
}

/** A resolved interpreter. */
export interface PythonInterpreter {
  /** What the user asked for (`python3`, a path). */
  readonly requested: string;
  /** `sys.executable`: the real binary, used for every later start. */
  readonly executable: string;
  /** `major.minor.micro`. */
  readonly version: string;
}

const cache = new Map<string, Promise<PythonInterpreter>>();

/** Resolves `requested` (default `python3`) to its real executable; memoised per process. */
export function resolvePython(requested = 'python3'): Promise<PythonInterpreter> {
  let pending = cache.get(requested);
  if (!pending) {
    pending = probe(requested);
    cache.set(requested, pending);
    pending.catch(() => cache.delete(requested));
  }
  return pending;
}

async function probe(requested: string): Promise<PythonInterpreter> {
  const script = 'import sys, json; print(json.dumps({"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3]}))';
  let stdout: string;
  try {
    // Loaded when a Python is run: commands that only read the metadata database start without it.
    const { execa } = await import('execa');
    ({ stdout } = await execa(requested, ['-c', script], { timeout: 30_000, env: { PYTHONDONTWRITEBYTECODE: '1' } }));
  } catch (cause) {
    throw new ShimError(
      'INTERPRETER_NOT_FOUND',
      `Python interpreter "${requested}" could not be run; install Python 3.9+ or pass --python PATH (or set DAGBRIDGE_PYTHON)`,
      { cause },
    );
  }
  const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { executable?: string; version?: string };
  if (!parsed.executable || !parsed.version) {
    throw new ShimError('INTERPRETER_NOT_FOUND', `Python interpreter "${requested}" did not report sys.executable`);
  }
  const [major = 0, minor = 0] = parsed.version.split('.').map(Number);
  if (major < 3 || (major === 3 && minor < 9)) {
    throw new ShimError('INTERPRETER_NOT_FOUND', `Python interpreter "${requested}" is ${parsed.version}; dagbridge needs Python 3.9 or newer`);
  }
  return { requested, executable: parsed.executable, version: parsed.version };
}

/** Environment entries every shim process needs: the shim on PYTHONPATH, no bytecode litter in DAG folders. */
export function shimEnvironment(): Record<string, string> {
  return { PYTHONPATH: SHIM_ROOT, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
}

/**
 * What DAG code sees besides the defaults, at parse time and in tasks alike: Airflow Variables, Connections and
 * configuration (`AIRFLOW_VAR_*`, `AIRFLOW_CONN_*`, `AIRFLOW__*`), as Airflow's DAG processor and its tasks see
 * the worker's environment.
 */
export const PARSE_ALLOW = { passAirflowVariables: true, passAirflowConnections: true, passAirflowConfig: true } as const;

/** The settings of a configuration that shape DAG code's environment: `passEnv`, `pythonPath`, `inheritPythonPath`. */
export interface DagCodeSettings extends PythonPathSettings {
  readonly passEnv: readonly string[];
}

/** {@link DagCodeSettings} of a configuration: what every export and every task of a deployment passes alike. */
export function dagCodeSettingsOf(config: { readonly passEnv: readonly string[]; readonly pythonPath: readonly string[]; readonly inheritPythonPath: boolean }): DagCodeSettings {
  return { passEnv: [...config.passEnv], pythonPath: [...config.pythonPath], inheritPythonPath: config.inheritPythonPath };
}

/**
 * The whole environment of a shim process that imports DAG files or probes the interpreter: the parent
 * variables the task allow-list lets through (never DAGBRIDGE_DATABASE_URL, DAGBRIDGE_REDIS_URL or other
 * secrets unless `passEnv` names them), the parent's TMPDIR, {@link shimEnvironment}, and PYTHONPATH as a task
 * has it (the shim, `pythonPath`, the parent's PYTHONPATH unless `inheritPythonPath` is false). Started with
 * `extendEnv: false`, so DAG code at parse time sees what a task would see and no more.
 */
export function shimProcessEnv(parentEnv: Readonly<Record<string, string | undefined>>, allow: EnvAllowList & PythonPathSettings): Record<string, string> {
  const env = allowedParentEnv(parentEnv, allow);
  if (parentEnv.TMPDIR) env.TMPDIR = parentEnv.TMPDIR;
  return { ...env, ...shimEnvironment(), PYTHONPATH: pythonPathEntries(SHIM_ROOT, parentEnv, allow).join(path.delimiter) };
}
