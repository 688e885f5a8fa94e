/**
 * The environment of a task process, built from an allow-list. The worker's own environment holds secrets
 * (DAGBRIDGE_DATABASE_URL, DAGBRIDGE_REDIS_URL, cloud credentials): none of it reaches a task unless it is on
 * the allow-list below or named in `passEnv`. Tasks are started with execa's `extendEnv: false`, so this
 * record is the whole environment.
 *
 * Precedence, lowest first: allow-listed parent variables < `passEnv` < the task's own `taskEnv` < the
 * variables the runner owns (PYTHONPATH, PYTHONUNBUFFERED, PYTHONDONTWRITEBYTECODE, TMPDIR, AIRFLOW_CTX_*),
 * which nothing overrides because the shim and Airflow code rely on them. PYTHONPATH is the shim root, the
 * configured `pythonPath`, the worker's own PYTHONPATH (unless `inheritPythonPath` is false) and the plugins
 * folder, as the export has it (src/shim/python.ts `shimProcessEnv`).
 */
import path from 'node:path';
import { allowedParentEnv, ENV_NAME, pythonPathEntries, withheldParentEnvNames, type EnvAllowList, type PythonPathSettings } from '../shim/allowed-env.js';
import { dagCodeSettingsOf, PARSE_ALLOW } from '../shim/python.js';

/**
 * What a deployment configures about task environments (all optional). Which parent variables pass is the
 * allow-list DAG parsing uses too (src/shim/allowed-env.ts).
 */
export interface TaskEnvSettings extends EnvAllowList, PythonPathSettings {
  /** Directories appended to PYTHONPATH after the shim root (e.g. the repo's `plugins/`, `include/`). */
  readonly extraPythonPaths?: readonly string[];
  /** Variables set for this task, whatever the parent holds. */
  readonly taskEnv?: Readonly<Record<string, string>>;
}

/**
 * The task settings of a deployment's configuration, the same for workers, standalone and `dags test`, and the same
 * environment the export gives DAG files at parse time: `passEnv`, the `AIRFLOW_VAR_*` / `AIRFLOW_CONN_*` /
 * `AIRFLOW__*` variables, `pythonPath` (and the worker's PYTHONPATH unless `inheritPythonPath` is false), and a
 * plugins folder on PYTHONPATH and named by Airflow's own setting (`AIRFLOW__CORE__PLUGINS_FOLDER`), from which the
 * shim loads the folder's plugins (macros, listeners).
 */
export function taskEnvSettingsOf(config: Parameters<typeof dagCodeSettingsOf>[0] & { readonly pluginsFolder: string | null }): TaskEnvSettings {
  const folder = config.pluginsFolder;
  return {
    ...dagCodeSettingsOf(config),
    ...PARSE_ALLOW,
    extraPythonPaths: folder ? [folder] : [],
    taskEnv: folder ? { AIRFLOW__CORE__PLUGINS_FOLDER: folder } : {},
  };
}

/** The task instance facts Airflow exposes to a task as `AIRFLOW_CTX_*` variables. */
export interface AirflowContextFacts {
  readonly dagId: string;
  readonly taskId: string;
  readonly runId: string;
  /** ISO 8601; null for runs without a logical date (Airflow 3 asset-triggered and manual runs). */
  readonly logicalDate: string | null;
  readonly tryNumber: number;
  /** The task's `owner` (Airflow names the variable DAG_OWNER but fills it from the task). */
  readonly owner: string | null;
}

/** Everything {@link buildTaskEnv} combines. */
export interface TaskEnvInput {
  readonly parentEnv: Readonly<Record<string, string | undefined>>;
  readonly settings: TaskEnvSettings;
  /** First PYTHONPATH entry: the directory that holds `dagbridge_shim`. */
  readonly shimRoot: string;
  /** The attempt's private temporary directory (TMPDIR). */
  readonly tmpDir: string;
  readonly context: AirflowContextFacts;
}

/**
 * The `AIRFLOW_CTX_*` variables, as Airflow's `context_to_airflow_vars(..., in_env_var_format=True)` sets
 * them in a task's environment: a variable is left out when its value is empty. The logical date is set under
 * both its Airflow 3 name (LOGICAL_DATE) and its Airflow 2 name (EXECUTION_DATE), in Python's isoformat.
 */
export function airflowContextEnv(facts: AirflowContextFacts): Record<string, string> {
  const env: Record<string, string> = {};
  const set = (name: string, value: string | null): void => {
    if (value) env[`AIRFLOW_CTX_${name}`] = value;
  };
  set('DAG_OWNER', facts.owner);
  set('DAG_ID', facts.dagId);
  set('TASK_ID', facts.taskId);
  const logicalDate = facts.logicalDate === null ? null : pythonIsoformat(facts.logicalDate);
  set('LOGICAL_DATE', logicalDate);
  set('EXECUTION_DATE', logicalDate);
  set('TRY_NUMBER', String(facts.tryNumber));
  set('DAG_RUN_ID', facts.runId);
  return env;
}

/** `Z` becomes `+00:00`, as Python's `datetime.isoformat()` writes UTC; anything else is kept as given. */
function pythonIsoformat(instant: string): string {
  return instant.endsWith('Z') ? `${instant.slice(0, -1)}+00:00` : instant;
}

/** Builds a task's whole environment. Throws a RangeError for a malformed name or a value with a NUL byte. */
export function buildTaskEnv(input: TaskEnvInput): Record<string, string> {
  return taskEnvFromBase(buildBaseTaskEnv(input), input);
}

/**
 * {@link buildTaskEnv} from a {@link buildBaseTaskEnv} already built for the same input: a new object (the base
 * is not changed), so an attempt that has the base for its fork server does not build it twice.
 */
export function taskEnvFromBase(
  base: Readonly<Record<string, string>>,
  input: Pick<TaskEnvInput, 'tmpDir' | 'context'>,
): Record<string, string> {
  return withoutNul({ ...base, TMPDIR: input.tmpDir, ...airflowContextEnv(input.context) });
}

/**
 * The part of every task's environment that no attempt changes: {@link buildTaskEnv} without TMPDIR and the
 * `AIRFLOW_CTX_*` variables. The fork server runs with it (a fork then sets the attempt's whole environment).
 */
export function buildBaseTaskEnv(input: Pick<TaskEnvInput, 'parentEnv' | 'settings' | 'shimRoot'>): Record<string, string> {
  const { settings } = input;
  const env = allowedParentEnv(input.parentEnv, settings);
  for (const [name, value] of Object.entries(settings.taskEnv ?? {})) {
    if (!ENV_NAME.test(name)) throw new RangeError(`taskEnv: "${name}" is not a valid environment variable name`);
    env[name] = value;
  }
  Object.assign(env, {
    PYTHONPATH: pythonPathEntries(input.shimRoot, input.parentEnv, settings, settings.extraPythonPaths).join(path.delimiter),
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  });
  return withoutNul(env);
}

function withoutNul(env: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(env)) {
    if (value.includes('\0')) throw new RangeError(`environment variable ${name} contains a NUL byte`);
  }
  return env;
}

/**
 * The log line for a task that failed looking up a worker variable the allow-list withholds: a `KeyError` whose
 * key is one (`os.environ["DBT_PROFILES_DIR"]`), or a failure whose message names one (quoted) and whose traceback
 * goes through `os.environ` / `getenv`. Names only, never values; null when the failure names none.
 */
export function withheldVariableHint(
  error: { readonly type: string; readonly message: string; readonly traceback?: string },
  parentEnv: Readonly<Record<string, string | undefined>>,
  settings: TaskEnvSettings,
): string | null {
  const withheld = new Set(withheldParentEnvNames(parentEnv, settings));
  const named = new Set<string>();
  const keyError = error.type === 'KeyError' ? /^'([A-Za-z_][A-Za-z0-9_]*)'$/.exec(error.message.trim()) : null;
  if (keyError?.[1] && withheld.has(keyError[1])) named.add(keyError[1]);
  if (/environ|getenv/.test(`${error.message}\n${error.traceback ?? ''}`)) {
    for (const match of error.message.matchAll(/['"]([A-Za-z_][A-Za-z0-9_]*)['"]/g)) {
      if (match[1] && withheld.has(match[1])) named.add(match[1]);
    }
  }
  if (named.size === 0) return null;
  const names = [...named].sort();
  const passEnv = settings.passEnv?.length ? `passEnv is ${JSON.stringify(settings.passEnv)}` : 'passEnv is empty';
  return (
    `the worker has ${names.join(', ')} in its environment but withholds ${names.length === 1 ? 'it' : 'them'} from tasks (${passEnv}); ` +
    `to pass ${names.length === 1 ? 'it' : 'them'}, add ${names.length === 1 ? 'its name' : 'their names'} or a glob to passEnv (DAGBRIDGE_PASS_ENV=${names.join(',')})`
  );
}
