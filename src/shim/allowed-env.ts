/**
 * The one allow-list of parent environment variables that Python code started by dagbridge may see: task
 * processes (`buildTaskEnv` in src/worker/task-env.ts) and every process that imports DAG files (the export
 * behind the scheduler, `worker check`, `manifest generate`, `dags list/errors`, `dags test`) and the facts
 * probe. The parent's environment holds secrets (DAGBRIDGE_DATABASE_URL, DAGBRIDGE_REDIS_URL, cloud keys):
 * nothing reaches Python unless it is on this list or named in `passEnv`.
 */

/** Parent variables passed when they are set: the basics a POSIX program expects. */
export const BASE_ENV_NAMES: readonly string[] = ['PATH', 'HOME', 'LANG', 'LANGUAGE', 'TZ', 'USER', 'LOGNAME'];

/** Parent PYTHON* variables that only change encoding behaviour and are passed through. */
export const SAFE_PYTHON_ENV_NAMES: readonly string[] = ['PYTHONIOENCODING', 'PYTHONUTF8'];

/** A valid environment variable name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Which parent variables pass besides the defaults (all optional). */
export interface EnvAllowList {
  /**
   * Extra parent variables to pass, by exact name or by prefix ending in `*` (`AWS_*`). The only way for a
   * DAGBRIDGE_* variable to reach Python code. Default: none.
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

/** Whether `name` is one of the parent variables passed without configuration. */
export function isAllowedByDefault(name: string): boolean {
  return BASE_ENV_NAMES.includes(name) || name.startsWith('LC_') || SAFE_PYTHON_ENV_NAMES.includes(name);
}

/**
 * The parent variables that `allow` lets through, and nothing else. Throws a RangeError naming a `passEnv`
 * entry that is neither a variable name nor a `NAME_*` prefix.
 */
export function allowedParentEnv(parentEnv: Readonly<Record<string, string | undefined>>, allow: EnvAllowList): Record<string, string> {
  const patterns = (allow.passEnv ?? []).map(parsePassPattern);
  const passed = (name: string): boolean =>
    isAllowedByDefault(name) ||
    (allow.passAirflowVariables === true && name.startsWith('AIRFLOW_VAR_')) ||
    (allow.passAirflowConnections === true && name.startsWith('AIRFLOW_CONN_')) ||
    (allow.passAirflowConfig === true && name.startsWith('AIRFLOW__')) ||
    patterns.some((pattern) => (pattern.prefix ? name.startsWith(pattern.text) : name === pattern.text));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parentEnv)) {
    if (value !== undefined && passed(name)) env[name] = value;
  }
  return env;
}

function parsePassPattern(entry: string): { text: string; prefix: boolean } {
  const prefix = entry.endsWith('*');
  const text = prefix ? entry.slice(0, -1) : entry;
  if (!ENV_NAME.test(text)) {
    throw new RangeError(`passEnv: "${entry}" is not an environment variable name or a NAME_* prefix`);
  }
  return { text, prefix };
}
