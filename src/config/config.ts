/**
 * Configuration: one zod schema and `loadConfig()`. Precedence: defaults < config file < environment
 * (`DAGBRIDGE_*`) < command-line flags. The result is frozen; secrets are redacted by `describeConfig`.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../lib/errors.js';
import { formatIssuePath } from '../dag/bundle.js';
import { redactUrl } from '../lib/redact.js';

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const csv = z.preprocess((value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value), z.array(z.string().min(1)));
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
  /** Redis URL (`redis://` or `rediss://` for TLS, password allowed). Env `DAGBRIDGE_REDIS_URL`. */
  redisUrl: z.string().min(1).nullable().default(null),
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
  /** Deliveries of one message before it is dead-lettered. Default 5. Env `DAGBRIDGE_MAX_DELIVERIES`. */
  maxDeliveries: positiveInt.default(5),
  /** Grace before a stopping worker kills its tasks. Default 60000. Env `DAGBRIDGE_SHUTDOWN_GRACE_MS`. */
  shutdownGraceMs: nonNegativeInt.default(60_000),
  /** Grace between SIGTERM and SIGKILL of a task's process group. Default 5000. Env `DAGBRIDGE_KILL_GRACE_MS`. */
  killGraceMs: nonNegativeInt.default(5_000),
  /** Cap of one task attempt's log. Default 64 MiB. Env `DAGBRIDGE_LOG_CAP_BYTES`. */
  logCapBytes: positiveInt.default(64 * 1024 * 1024),
  /** Extra environment variable names passed to tasks (secrets are not passed otherwise). Env `DAGBRIDGE_PASS_ENV`. */
  passEnv: csv.default([]),
  /**
   * How cron and timedelta schedules are read: `data_interval` (Airflow 2) or `trigger` (Airflow 3). Default null:
   * by each DAG file's style (files importing `airflow.sdk` get Airflow 3's). Env `DAGBRIDGE_SCHEDULE_SEMANTICS`.
   */
  scheduleSemantics: z.enum(['data_interval', 'trigger']).nullable().default(null),
  /** Where standalone keeps its embedded PostgreSQL data and work dirs. Default `.dagbridge`. Env `DAGBRIDGE_HOME`. */
  home: z.string().min(1).default('.dagbridge'),
  /** Port of `/health` and `/metrics`; null = not served. Env `DAGBRIDGE_HTTP_PORT`. */
  httpPort: z.coerce.number().int().min(0).max(65535).nullable().default(null),
  /** Path of the dependency manifest a worker verifies. Env `DAGBRIDGE_MANIFEST`. */
  manifest: z.string().min(1).nullable().default(null),
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
  databaseUrl: 'DAGBRIDGE_DATABASE_URL',
  redisUrl: 'DAGBRIDGE_REDIS_URL',
  redisPrefix: 'DAGBRIDGE_REDIS_PREFIX',
  queues: 'DAGBRIDGE_QUEUES',
  concurrency: 'DAGBRIDGE_CONCURRENCY',
  leaseMs: 'DAGBRIDGE_LEASE_MS',
  heartbeatMs: 'DAGBRIDGE_HEARTBEAT_MS',
  schedulerIntervalMs: 'DAGBRIDGE_SCHEDULER_INTERVAL_MS',
  parseIntervalSeconds: 'DAGBRIDGE_PARSE_INTERVAL_SECONDS',
  maxDeliveries: 'DAGBRIDGE_MAX_DELIVERIES',
  shutdownGraceMs: 'DAGBRIDGE_SHUTDOWN_GRACE_MS',
  killGraceMs: 'DAGBRIDGE_KILL_GRACE_MS',
  logCapBytes: 'DAGBRIDGE_LOG_CAP_BYTES',
  passEnv: 'DAGBRIDGE_PASS_ENV',
  scheduleSemantics: 'DAGBRIDGE_SCHEDULE_SEMANTICS',
  home: 'DAGBRIDGE_HOME',
  httpPort: 'DAGBRIDGE_HTTP_PORT',
  manifest: 'DAGBRIDGE_MANIFEST',
};

/** Settings whose values are secrets (redacted when printed). */
const SECRET_KEYS: ReadonlySet<Key> = new Set(['databaseUrl', 'redisUrl']);

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
    }
  }
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      merged[key] = value;
      origin[key] = `environment variable ${name}`;
    }
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) {
      merged[key] = value;
      origin[key] = `option --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    }
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    throw new ConfigError(`setting ${formatIssuePath(issue?.path ?? [])} (${origin[key] ?? 'default'}): ${issue?.message ?? 'invalid'}`);
  }
  const config = result.data;
  if (config.heartbeatMs * 2 > config.leaseMs) {
    throw new ConfigError(`setting heartbeatMs (${config.heartbeatMs}) must be at most half of leaseMs (${config.leaseMs}) so a lease is renewed before it expires`);
  }
  return Object.freeze({ ...config, dagsFolder: path.resolve(config.dagsFolder), home: path.resolve(config.home), pluginsFolder: config.pluginsFolder ? path.resolve(config.pluginsFolder) : null });
}

/** The configuration as printable key/values, secrets redacted. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] = SECRET_KEYS.has(key as Key) && typeof value === 'string' ? redactUrl(value) : value;
  }
  return out;
}
