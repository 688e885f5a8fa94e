/**
 * The one allow-list of parent environment variables that Python code started by dagbridge may see: task
 * processes (`buildTaskEnv` in src/worker/task-env.ts) and every process that imports DAG files (the export
 * behind the scheduler, `worker check`, `manifest generate`, `dags list/errors`, `dags test`) and the facts
 * probe. The parent's environment holds secrets (DAGBRIDGE_DATABASE_URL, DAGBRIDGE_REDIS_URL, cloud keys):
 * nothing reaches Python unless it is on this list or named in `passEnv`.
 */
import path from 'node:path';

/** Parent variables passed when they are set: the basics a POSIX program expects. */
export const BASE_ENV_NAMES: readonly string[] = ['PATH', 'HOME', 'LANG', 'LANGUAGE', 'TZ', 'USER', 'LOGNAME'];

/** Parent PYTHON* variables that only change encoding behaviour and are passed through. */
export const SAFE_PYTHON_ENV_NAMES: readonly string[] = ['PYTHONIOENCODING', 'PYTHONUTF8'];

/**
 * Parent pip settings passed when they are set: where a PythonVirtualenvOperator's pip finds packages (the
 * worker's index, proxies of pip, certificates), as an Airflow worker's pip would. One whose value holds a URL
 * with credentials (`https://user:token@index/simple`) is a secret: it passes only when `passEnv` names it.
 */
export const PIP_INDEX_ENV_NAMES: readonly string[] = [
  'PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'PIP_TRUSTED_HOST', 'PIP_FIND_LINKS', 'PIP_NO_INDEX', 'PIP_CERT', 'PIP_CLIENT_CERT',
  'PIP_CONFIG_FILE', 'PIP_PROXY', 'PIP_DEFAULT_TIMEOUT', 'PIP_RETRIES',
];

/** A valid environment variable name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Which parent variables pass besides the defaults (all optional). */
export interface EnvAllowList {
  /**
   * Extra parent variables to pass, by exact name or by a glob whose `*` stands for any characters: a prefix
   * (`AWS_*`), a suffix (`*_CONFIG_FILE_PATH`) or both (`*_TOKEN_*`). The only way for a DAGBRIDGE_* variable to
   * reach Python code. Default: none.
   */
  readonly passEnv?: readonly string[];
  /** Pass the parent's `AIRFLOW_VAR_*` variables (Airflow Variables from the environment). Default: false. */
  readonly passAirflowVariables?: boolean;
  /** Pass the parent's `AIRFLOW_CONN_*` variables (Airflow Connections from the environment). Default: false. */
  readonly passAirflowConnections?: boolean;
  /**
   * Pass the parent's `AIRFLOW__*` variables (Airflow configuration: the shim and Airflow read them while
   * importing DAG files, e.g. AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT). Default: false.
   */
  readonly passAirflowConfig?: boolean;
}

/**
 * Where DAG code imports from besides the shim: the same for every process that imports DAG files (the export,
 * `worker check`, tasks), so a package a DAG file imports is found in all of them or in none.
 */
export interface PythonPathSettings {
  /** Directories on PYTHONPATH after the shim (config `pythonPath`), absolute. Default none. */
  readonly pythonPath?: readonly string[];
  /** Keep the parent's own PYTHONPATH after them (config `inheritPythonPath`). Default true. */
  readonly inheritPythonPath?: boolean;
}

/**
 * The PYTHONPATH entries of a process that imports DAG code: `first` (the shim root), the configured `pythonPath`,
 * the parent's PYTHONPATH unless `inheritPythonPath` is false, then `extra` (a plugins folder); empty entries and
 * repeats are dropped.
 */
export function pythonPathEntries(
  first: string,
  parentEnv: Readonly<Record<string, string | undefined>>,
  settings: PythonPathSettings,
  extra: readonly string[] = [],
): string[] {
  const inherited = settings.inheritPythonPath === false ? [] : (parentEnv.PYTHONPATH ?? '').split(path.delimiter);
  return [...new Set([first, ...(settings.pythonPath ?? []), ...inherited, ...extra].filter((entry) => entry !== ''))];
}

/** Whether `name` is one of the parent variables passed without configuration. */
export function isAllowedByDefault(name: string, value = ''): boolean {
  return BASE_ENV_NAMES.includes(name) || name.startsWith('LC_') || SAFE_PYTHON_ENV_NAMES.includes(name) || (PIP_INDEX_ENV_NAMES.includes(name) && !hasUrlCredentials(value));
}

/** Whether any whitespace-separated URL of `value` carries a user or password (`scheme://user[:password]@host`). */
export function hasUrlCredentials(value: string): boolean {
  return value.split(/\s+/).some((part) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/.test(part));
}

/**
 * The parent variables that `allow` lets through, and nothing else. Throws a RangeError naming a `passEnv`
 * entry that is neither a variable name nor a glob of one.
 */
export function allowedParentEnv(parentEnv: Readonly<Record<string, string | undefined>>, allow: EnvAllowList): Record<string, string> {
  const passed = allowPredicate(allow);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parentEnv)) {
    if (value !== undefined && passed(name, value)) env[name] = value;
  }
  return env;
}

/**
 * The names of the parent variables that `allow` withholds (sorted; never their values): what a task that fails
 * looking one up is told it could pass with `passEnv`.
 */
export function withheldParentEnvNames(parentEnv: Readonly<Record<string, string | undefined>>, allow: EnvAllowList): string[] {
  const passed = allowPredicate(allow);
  return Object.entries(parentEnv)
    .filter(([name, value]) => value !== undefined && !passed(name, value))
    .map(([name]) => name)
    .sort();
}

function allowPredicate(allow: EnvAllowList): (name: string, value: string) => boolean {
  const patterns = (allow.passEnv ?? []).map(parsePassPattern);
  return (name, value) =>
    isAllowedByDefault(name, value) ||
    (allow.passAirflowVariables === true && name.startsWith('AIRFLOW_VAR_')) ||
    (allow.passAirflowConnections === true && name.startsWith('AIRFLOW_CONN_')) ||
    (allow.passAirflowConfig === true && name.startsWith('AIRFLOW__')) ||
    patterns.some((pattern) => pattern.test(name));
}

/** A `passEnv` entry as a matcher: a name, or a glob whose `*` matches any run of name characters. */
export function parsePassPattern(entry: string): RegExp {
  const parts = entry.split('*');
  if (parts.join('') === '' || !parts.every((part) => part === '' || /^[A-Za-z0-9_]+$/.test(part)) || (parts.length === 1 && !ENV_NAME.test(entry))) {
    throw new RangeError(
      `passEnv: "${entry}" is not an environment variable name or a glob of one (NAME, PREFIX_*, *_SUFFIX, *_PART_*); a bare * would pass every secret of the worker`,
    );
  }
  return new RegExp(`^${parts.join('[A-Za-z0-9_]*')}$`);
}
