/**
 * Configuration: one zod schema and `loadConfig()`. Precedence: defaults < config file < environment
 * (`DAGBRIDGE_*`) < command-line flags. The result is frozen; secrets are redacted by `describeConfig`.
 */
import { closeSync, fstatSync, openSync, readSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../lib/errors.js';
import { formatIssuePath } from '../dag/bundle.js';
import { hasUnencodedAt, redactUrl } from '../lib/redact.js';

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const splitCsv = (value: unknown): unknown => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value);
const csv = z.preprocess(splitCsv, z.array(z.string().min(1)));
const userList = z.preprocess(
  splitCsv,
  z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'must be user names: letters, digits, _ . - (up to 32, not starting with - or .)')),
);
const bool = z.preprocess((value) => (typeof value === 'string' ? !['0', 'false', 'no', 'off', ''].includes(value.toLowerCase()) : value), z.boolean());

/** Every setting, with its default. TSDoc on each field is the reference (docs/cli.md quotes it). */
export const configSchema = z.object({
  /** Folder of DAG files. Default `./dags`. Env `DAGBRIDGE_DAGS_FOLDER`. */
  dagsFolder: z.string().min(1).default('dags'),
  /** Plugins folder put on sys.path. Default none. Env `DAGBRIDGE_PLUGINS_FOLDER`. */
  pluginsFolder: z.string().min(1).nullable().default(null),
  /** Python interpreter for the shim and tasks. Default `python3`. Env `DAGBRIDGE_PYTHON`. */
  python: z.string().min(1).default('python3'),
  /** Load DAGs with stand-ins even when Airflow is importable. Default false. Env `DAGBRIDGE_NO_AIRFLOW`. */
  noAirflow: bool.default(false),
  /** PostgreSQL URL (`postgres://user:pass@host/db?sslmode=require`). Env `DAGBRIDGE_DATABASE_URL`. */
  databaseUrl: z.string().min(1).nullable().default(null),
  /**
   * A file holding the PostgreSQL URL (its first line), read at start-up, so the process environment and
   * command line hold no password. Exclusive with `databaseUrl` at the same level. Env `DAGBRIDGE_DATABASE_URL_FILE`.
   */
  databaseUrlFile: z.string().min(1).nullable().default(null),
  /** Redis URL (`redis://` or `rediss://` for TLS, password allowed). Env `DAGBRIDGE_REDIS_URL`. */
  redisUrl: z.string().min(1).nullable().default(null),
  /** A file holding the Redis URL, as `databaseUrlFile`. Env `DAGBRIDGE_REDIS_URL_FILE`. */
  redisUrlFile: z.string().min(1).nullable().default(null),
  /**
   * PEM file of the CA (or CAs) that signs the Redis server's certificate, for `rediss://` URLs; added to
   * Node's default CAs. Default none. Env `DAGBRIDGE_REDIS_CA_FILE`.
   */
  redisCaFile: z.string().min(1).nullable().default(null),
  /**
   * Fernet keys that encrypt Connections' passwords and extras in the metadata table (Airflow's `[core]
   * fernet_key`): comma-separated, the first encrypts, any decrypts (put a new key first to rotate). Required to
   * add, import or read a stored connection; `dagbridge connections generate-fernet-key` makes one. Default none.
   * Env `DAGBRIDGE_FERNET_KEY`.
   */
  fernetKey: z.string().min(1).nullable().default(null),
  /**
   * A file whose first line is the Fernet key list, read at start-up, so the environment and the command line hold
   * no key (as `databaseUrlFile`). Exclusive with `fernetKey` at the same level. Env `DAGBRIDGE_FERNET_KEY_FILE`.
   */
  fernetKeyFile: z.string().min(1).nullable().default(null),
  /**
   * A local secrets file of Connections (`.json`, `.yaml`/`.yml` or `.env`, as Airflow's LocalFilesystemBackend),
   * looked up after `AIRFLOW_CONN_*` and before the table. Default none. Env `DAGBRIDGE_CONNECTIONS_FILE`.
   */
  connectionsFile: z.string().min(1).nullable().default(null),
  /** Prefix of every Redis key. Default `dagbridge:`. Env `DAGBRIDGE_REDIS_PREFIX`. */
  redisPrefix: z.string().min(1).default('dagbridge:'),
  /** Queues a worker serves. Default `default`. Env `DAGBRIDGE_QUEUES` (comma-separated). */
  queues: csv.default(['default']),
  /** Task slots of a worker / the local executor. Default 4. Env `DAGBRIDGE_CONCURRENCY`. */
  concurrency: positiveInt.default(4),
  /** Lease of a claimed task, renewed by the worker heartbeat. Default 30000. Env `DAGBRIDGE_LEASE_MS`. */
  leaseMs: positiveInt.default(30_000),
  /** Worker heartbeat interval (must be well below leaseMs). Default 5000. Env `DAGBRIDGE_HEARTBEAT_MS`. */
  heartbeatMs: positiveInt.default(5_000),
  /** Scheduler loop interval when idle. Default 1000. Env `DAGBRIDGE_SCHEDULER_INTERVAL_MS`. */
  schedulerIntervalMs: positiveInt.default(1_000),
  /** How often the scheduler re-exports the DAG folder. Default 30. Env `DAGBRIDGE_PARSE_INTERVAL_SECONDS`. */
  parseIntervalSeconds: positiveInt.default(30),
  /**
   * Total deadline of one parse of the DAG folder: after it the parse's whole process group is killed and the parse
   * counts as failed (the stored DAGs stay). Default 300. Env `DAGBRIDGE_PARSE_TIMEOUT_SECONDS`.
   */
  parseTimeoutSeconds: positiveInt.default(300),
  /**
   * `/health` of the scheduler and the DAG processor fails when no parse has succeeded for this long (or one has run
   * longer than its deadline). Default 600. Env `DAGBRIDGE_PARSE_STALE_AFTER_SECONDS`.
   */
  parseStaleAfterSeconds: positiveInt.default(600),
  /**
   * Deadline of one evaluation of a custom timetable's Python (`next_dagrun_info`, `infer_manual_data_interval`):
   * after it the process is killed and the DAG gets the error (docs/scheduling.md). Default 5. Env
   * `DAGBRIDGE_TIMETABLE_TIMEOUT_SECONDS`.
   */
  timetableTimeoutSeconds: positiveInt.default(5),
  /** Largest conf of a DAG run, in bytes of JSON. Default 1048576. Env `DAGBRIDGE_MAX_CONF_BYTES`. */
  maxConfBytes: positiveInt.default(1024 * 1024),
  /**
   * Largest XCom value (a return value or `xcom_push`), in bytes of JSON: a larger one fails the task naming the
   * setting. Default 16777216. Env `DAGBRIDGE_MAX_XCOM_BYTES`.
   */
  maxXcomBytes: positiveInt.default(16 * 1024 * 1024),
  /**
   * Requests one task attempt may send over its supervisor channel; later ones are refused (a task in a loop
   * cannot load the worker and its store without end). Default 100000 (a poke-mode sensor poking every 5 s for a
   * day sends about 17000). Env `DAGBRIDGE_CHANNEL_MAX_REQUESTS`.
   */
  channelMaxRequests: positiveInt.default(100_000),
  /** Deepest nesting of a conf or an XCom value (arrays and objects). Default 64. Env `DAGBRIDGE_MAX_JSON_DEPTH`. */
  maxJsonDepth: positiveInt.default(64),
  /** Deliveries of one message before it is dead-lettered. Default 5. Env `DAGBRIDGE_MAX_DELIVERIES`. */
  maxDeliveries: positiveInt.default(5),
  /** Grace before a stopping worker kills its tasks. Default 60000. Env `DAGBRIDGE_SHUTDOWN_GRACE_MS`. */
  shutdownGraceMs: nonNegativeInt.default(60_000),
  /** Grace between SIGTERM and SIGKILL of a task's process group. Default 5000. Env `DAGBRIDGE_KILL_GRACE_MS`. */
  killGraceMs: nonNegativeInt.default(5_000),
  /**
   * Start every task in a fresh interpreter (Airflow's `[core] execute_tasks_new_python_interpreter`) instead of
   * forking it from the warm fork server, which keeps the shim, the stand-ins or Airflow imported and the DAG
   * files parsed. Tasks the server cannot serve start fresh anyway. Default false (Airflow's default too).
   * Env `DAGBRIDGE_EXECUTE_TASKS_NEW_PYTHON_INTERPRETER`.
   */
  executeTasksNewPythonInterpreter: bool.default(false),
  /**
   * Most task instances one mapped task may expand into (Airflow's `[core] max_map_length`): a longer expansion
   * fails the task, as in Airflow. Default 1024, Airflow's default. Env `DAGBRIDGE_MAX_MAP_LENGTH`.
   */
  maxMapLength: positiveInt.default(1024),
  /** DAG files the fork server keeps parsed, least recently used out. Default 64. Env `DAGBRIDGE_FORK_SERVER_CACHE_FILES`. */
  forkServerCacheFiles: positiveInt.default(64),
  /** Cap of one task attempt's log. Default 64 MiB. Env `DAGBRIDGE_LOG_CAP_BYTES`. */
  logCapBytes: positiveInt.default(64 * 1024 * 1024),
  /**
   * Extra worker environment variables DAG code sees, at parse time and in tasks: names or globs (`AWS_*`,
   * `*_CONFIG_FILE_PATH`, `*_TOKEN_*`); nothing else of the worker's environment passes (secrets stay out). Env
   * `DAGBRIDGE_PASS_ENV` (comma-separated).
   */
  passEnv: csv.default([]),
  /**
   * Directories DAG code imports from (a package at the repo root, `src/`), on PYTHONPATH after the shim, at parse
   * time, in `worker check` and in tasks alike; relative paths are taken from the working directory. Default none.
   * Env `DAGBRIDGE_PYTHONPATH` (separated by the platform's path separator, `:`, as PYTHONPATH).
   */
  pythonPath: z.preprocess((value) => (typeof value === 'string' ? value.split(path.delimiter).map((s) => s.trim()).filter(Boolean) : value), z.array(z.string().min(1))).default([]),
  /**
   * Keep the PYTHONPATH of the process that starts DAG code (the worker's, the scheduler's) after `pythonPath`, as
   * Airflow's processes keep theirs. Default true. Env `DAGBRIDGE_INHERIT_PYTHONPATH`.
   */
  inheritPythonPath: bool.default(true),
  /**
   * Users tasks may run as (the worker must be root): the first is every task's user unless the task names
   * another listed one in its `run_as_user`. Default none: tasks run as the worker's user, and a task that asks
   * for `run_as_user` fails. Env `DAGBRIDGE_RUN_AS_USER` (comma-separated).
   */
  runAsUser: userList.default([]),
  /**
   * How cron and timedelta schedules are read: `data_interval` (Airflow 2) or `trigger` (Airflow 3). Default null:
   * by each DAG file's style (files importing `airflow.sdk` get Airflow 3's). Env `DAGBRIDGE_SCHEDULE_SEMANTICS`.
   */
  scheduleSemantics: z.enum(['data_interval', 'trigger']).nullable().default(null),
  /** Where standalone keeps its embedded PostgreSQL data and work dirs. Default `.dagbridge`. Env `DAGBRIDGE_HOME`. */
  home: z.string().min(1).default('.dagbridge'),
  /** Port of `/health` and `/metrics`; null = not served. Env `DAGBRIDGE_HTTP_PORT`. */
  httpPort: z.coerce.number().int().min(0).max(65535).nullable().default(null),
  /**
   * Interface `/health` and `/metrics` listen on. Default `127.0.0.1` (this machine only); `0.0.0.0` or `::`
   * for a Prometheus on another machine. Env `DAGBRIDGE_HTTP_HOST`.
   */
  httpHost: z.string().min(1).regex(/^[A-Za-z0-9.:_-]+$/, 'expected an IP address or host name').default('127.0.0.1'),
  /** Path of the dependency manifest a worker verifies. Env `DAGBRIDGE_MANIFEST`. */
  manifest: z.string().min(1).nullable().default(null),
  /**
   * Whether a DAG the scheduler sees for the first time starts paused, unless the DAG sets
   * `is_paused_upon_creation` (Airflow's `dags_are_paused_at_creation`). Default true, as in Airflow.
   * Env `DAGBRIDGE_PAUSED_ON_CREATION`.
   */
  pausedOnCreation: bool.default(true),
});

/** The validated, frozen configuration. */
export type Config = Readonly<z.infer<typeof configSchema>>;
type Key = keyof z.infer<typeof configSchema>;

/** Environment variable of each setting. */
export const ENV_NAMES: Readonly<Record<Key, string>> = {
  dagsFolder: 'DAGBRIDGE_DAGS_FOLDER',
  pluginsFolder: 'DAGBRIDGE_PLUGINS_FOLDER',
  python: 'DAGBRIDGE_PYTHON',
  noAirflow: 'DAGBRIDGE_NO_AIRFLOW',
  pausedOnCreation: 'DAGBRIDGE_PAUSED_ON_CREATION',
  databaseUrl: 'DAGBRIDGE_DATABASE_URL',
  databaseUrlFile: 'DAGBRIDGE_DATABASE_URL_FILE',
  redisUrl: 'DAGBRIDGE_REDIS_URL',
  redisUrlFile: 'DAGBRIDGE_REDIS_URL_FILE',
  redisCaFile: 'DAGBRIDGE_REDIS_CA_FILE',
  redisPrefix: 'DAGBRIDGE_REDIS_PREFIX',
  fernetKey: 'DAGBRIDGE_FERNET_KEY',
  fernetKeyFile: 'DAGBRIDGE_FERNET_KEY_FILE',
  connectionsFile: 'DAGBRIDGE_CONNECTIONS_FILE',
  queues: 'DAGBRIDGE_QUEUES',
  concurrency: 'DAGBRIDGE_CONCURRENCY',
  leaseMs: 'DAGBRIDGE_LEASE_MS',
  heartbeatMs: 'DAGBRIDGE_HEARTBEAT_MS',
  schedulerIntervalMs: 'DAGBRIDGE_SCHEDULER_INTERVAL_MS',
  maxMapLength: 'DAGBRIDGE_MAX_MAP_LENGTH',
  parseIntervalSeconds: 'DAGBRIDGE_PARSE_INTERVAL_SECONDS',
  timetableTimeoutSeconds: 'DAGBRIDGE_TIMETABLE_TIMEOUT_SECONDS',
  parseTimeoutSeconds: 'DAGBRIDGE_PARSE_TIMEOUT_SECONDS',
  parseStaleAfterSeconds: 'DAGBRIDGE_PARSE_STALE_AFTER_SECONDS',
  maxConfBytes: 'DAGBRIDGE_MAX_CONF_BYTES',
  maxJsonDepth: 'DAGBRIDGE_MAX_JSON_DEPTH',
  maxXcomBytes: 'DAGBRIDGE_MAX_XCOM_BYTES',
  channelMaxRequests: 'DAGBRIDGE_CHANNEL_MAX_REQUESTS',
  maxDeliveries: 'DAGBRIDGE_MAX_DELIVERIES',
  shutdownGraceMs: 'DAGBRIDGE_SHUTDOWN_GRACE_MS',
  killGraceMs: 'DAGBRIDGE_KILL_GRACE_MS',
  executeTasksNewPythonInterpreter: 'DAGBRIDGE_EXECUTE_TASKS_NEW_PYTHON_INTERPRETER',
  forkServerCacheFiles: 'DAGBRIDGE_FORK_SERVER_CACHE_FILES',
  logCapBytes: 'DAGBRIDGE_LOG_CAP_BYTES',
  passEnv: 'DAGBRIDGE_PASS_ENV',
  pythonPath: 'DAGBRIDGE_PYTHONPATH',
  inheritPythonPath: 'DAGBRIDGE_INHERIT_PYTHONPATH',
  runAsUser: 'DAGBRIDGE_RUN_AS_USER',
  scheduleSemantics: 'DAGBRIDGE_SCHEDULE_SEMANTICS',
  home: 'DAGBRIDGE_HOME',
  httpPort: 'DAGBRIDGE_HTTP_PORT',
  httpHost: 'DAGBRIDGE_HTTP_HOST',
  manifest: 'DAGBRIDGE_MANIFEST',
};

/** Settings whose values are secrets (redacted when printed). */
const SECRET_KEYS: ReadonlySet<'databaseUrl' | 'redisUrl'> = new Set(['databaseUrl', 'redisUrl']);

/** Each secret setting and the setting naming a file that holds it. */
const SECRET_FILES = [['databaseUrl', 'databaseUrlFile'], ['redisUrl', 'redisUrlFile'], ['fernetKey', 'fernetKeyFile']] as const;

/** Largest secret file read (a URL or a key list is a line; anything bigger is the wrong file). */
export const SECRET_FILE_MAX_BYTES = 64 * 1024;

/**
 * The first line of a secret file, without its line ending. Refuses (naming the file and the setting, never
 * the content) a path that is not a regular file, is unreadable, is larger than 64 KiB, or holds nothing.
 */
export function readSecretFile(file: string, setting: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (cause) {
    throw new ConfigError(`cannot read ${file} (${setting}): ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}; check the path and that this user may read it`, { cause });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ConfigError(`${file} (${setting}) is not a regular file`);
    if (stat.size > SECRET_FILE_MAX_BYTES) throw new ConfigError(`${file} (${setting}) is ${stat.size} bytes; a secret file holds one line (at most ${SECRET_FILE_MAX_BYTES} bytes)`);
    const buffer = Buffer.alloc(SECRET_FILE_MAX_BYTES + 1);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const value = (buffer.subarray(0, length).toString('utf8').split(/\r?\n/)[0] ?? '').trim();
    if (value === '') throw new ConfigError(`${file} (${setting}) is empty; write the value on its first line`);
    return value;
  } finally {
    closeSync(fd);
  }
}

/** Where the values come from, lowest precedence first. */
export interface ConfigSources {
  /** Values from command-line flags (undefined = not given). */
  flags?: Partial<Record<Key, unknown>>;
  /** The environment (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** A JSON config file; default `DAGBRIDGE_CONFIG` or `./dagbridge.config.json` when present. */
  configFile?: string | null;
}

/** Loads and validates the configuration; a bad value throws ConfigError naming the setting and its source. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  // Precedence level of each value's source (file 1, environment 2, flag 3): a URL and its _FILE given at the
  // same level are a contradiction; at different levels the higher one wins as for every setting.
  const level: Record<string, number> = {};

  const file = sources.configFile === undefined ? (env.DAGBRIDGE_CONFIG ?? (existsSync('dagbridge.config.json') ? 'dagbridge.config.json' : null)) : sources.configFile;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new ConfigError(`config file ${file} could not be read as JSON: ${(cause as Error).message}`, { cause });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${file} must hold a JSON object of settings`);
    }
    for (const [key, value] of Object.entries(parsed)) {
      if (!(key in ENV_NAMES)) throw new ConfigError(`config file ${file}: unknown setting "${key}"`);
      merged[key] = value;
      origin[key] = `config file ${file}`;
      level[key] = 1;
    }
  }
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      merged[key] = value;
      origin[key] = `environment variable ${name}`;
      level[key] = 2;
    }
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) {
      merged[key] = value;
      origin[key] = `option --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      level[key] = 3;
    }
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    throw new ConfigError(`setting ${formatIssuePath(issue?.path ?? [])} (${origin[key] ?? 'default'}): ${issue?.message ?? 'invalid'}`);
  }
  const config: z.infer<typeof configSchema> = result.data;
  if (config.heartbeatMs * 2 > config.leaseMs) {
    throw new ConfigError(`setting heartbeatMs (${config.heartbeatMs}) must be at most half of leaseMs (${config.leaseMs}) so a lease is renewed before it expires`);
  }
  for (const [key, fileKey] of SECRET_FILES) {
    const file = config[fileKey];
    if (file === null) continue;
    const urlLevel = level[key] ?? 0;
    const fileLevel = level[fileKey] ?? 0;
    if (urlLevel === fileLevel) {
      throw new ConfigError(`both ${origin[key] ?? key} and ${origin[fileKey] ?? fileKey} are set; set only one (the _FILE form keeps the secret out of the environment)`);
    }
    if (fileLevel > urlLevel) {
      config[key] = readSecretFile(file, origin[fileKey] ?? fileKey);
      origin[key] = `file ${file} (${origin[fileKey] ?? fileKey})`;
    }
  }
  for (const key of SECRET_KEYS) {
    const url = config[key];
    if (typeof url === 'string' && hasUnencodedAt(url)) {
      // The URL is not echoed: which part is the password is exactly what cannot be told.
      throw new ConfigError(`setting ${key} (${origin[key] ?? 'default'}): the URL holds more than one @ before its host; percent-encode @ in the password as %40`);
    }
  }
  return Object.freeze({ ...config, dagsFolder: path.resolve(config.dagsFolder), home: path.resolve(config.home), pluginsFolder: config.pluginsFolder ? path.resolve(config.pluginsFolder) : null, connectionsFile: config.connectionsFile ? path.resolve(config.connectionsFile) : null, pythonPath: config.pythonPath.map((entry) => path.resolve(entry)) });
}

/** The configuration as printable key/values, secrets redacted. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] = (SECRET_KEYS as ReadonlySet<string>).has(key) && typeof value === 'string' ? redactUrl(value) : key === 'fernetKey' && value !== null ? '***' : value;
  }
  return out;
}
