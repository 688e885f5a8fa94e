/**
 * Options shared by command groups, and turning parsed options into configuration flags.
 */
import { CONF_LIMIT_SETTINGS, describeJsonLimitProblem, jsonLimitProblem } from '../lib/json-limits.js';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/config.js';
import { pythonIsoUtc } from '../dag/ids.js';
import { UsageError } from '../lib/errors.js';

/** Adds `--dags-folder`, `--plugins-folder`, `--python`, `--no-airflow`. */
export function withDagOptions(command: Command): Command {
  return command
    .option('--dags-folder <dir>', 'folder of DAG files (default ./dags, env DAGBRIDGE_DAGS_FOLDER)')
    .option('--plugins-folder <dir>', 'plugins folder put on sys.path (env DAGBRIDGE_PLUGINS_FOLDER)')
    .option('--python <path>', 'Python interpreter (default python3, env DAGBRIDGE_PYTHON)')
    .option('--no-airflow', 'use the stand-in airflow modules even when Airflow is installed');
}

/**
 * Adds `--database-url`, `--redis-url` and their `-file` forms. A URL given as a flag shows in the process's
 * command line (`ps`, `/proc/PID/cmdline`); the `-file` forms keep the password out of it.
 */
export function withConnectionOptions(command: Command): Command {
  return command
    .option('--database-url <url>', 'PostgreSQL URL (env DAGBRIDGE_DATABASE_URL; visible in ps: prefer --database-url-file)')
    .option('--database-url-file <file>', 'file whose first line is the PostgreSQL URL (env DAGBRIDGE_DATABASE_URL_FILE)')
    .option('--redis-url <url>', 'Redis URL, redis:// or rediss:// (env DAGBRIDGE_REDIS_URL; visible in ps: prefer --redis-url-file)')
    .option('--redis-url-file <file>', 'file whose first line is the Redis URL (env DAGBRIDGE_REDIS_URL_FILE)')
    .option('--redis-prefix <prefix>', 'prefix of every Redis key (default dagbridge:, env DAGBRIDGE_REDIS_PREFIX)');
}

/** Adds `--json`. */
export function withJson(command: Command): Command {
  return command.option('--json', 'print machine-readable JSON on stdout');
}

/** Parsed options of the shared groups (commander camel-cases them). */
export interface SharedOptions {
  dagsFolder?: string;
  pluginsFolder?: string;
  python?: string;
  /** commander's `--no-airflow` sets `airflow: false`. */
  airflow?: boolean;
  databaseUrl?: string;
  databaseUrlFile?: string;
  redisUrl?: string;
  redisUrlFile?: string;
  redisPrefix?: string;
  json?: boolean;
  [key: string]: unknown;
}

/** Loads the configuration with the command's flags on top. */
export function configFrom(options: SharedOptions, extra: Record<string, unknown> = {}): Config {
  return loadConfig({
    flags: {
      dagsFolder: options.dagsFolder,
      pluginsFolder: options.pluginsFolder,
      python: options.python,
      noAirflow: options.airflow === false ? true : undefined,
      databaseUrl: options.databaseUrl,
      databaseUrlFile: options.databaseUrlFile,
      redisUrl: options.redisUrl,
      redisUrlFile: options.redisUrlFile,
      redisPrefix: options.redisPrefix,
      ...extra,
    },
  });
}

/** Parses a JSON-object option (`--conf`, `--extra`): `{}` when absent, else the object or a usage error naming `option`. */
export function parseJsonObjectOption(text: string | undefined, option: string): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new UsageError(`${option} is not valid JSON: ${(cause as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${option} must be a JSON object, e.g. '{"key": "value"}'`);
  return value as Record<string, unknown>;
}

/**
 * Parses `--conf` JSON into an object, or a usage error naming the option; a conf deeper than `maxJsonDepth` or
 * larger than `maxConfBytes` is refused naming the setting (a deep one would fail every task reading it).
 */
export function parseConf(conf: string | undefined, limits: { maxConfBytes: number; maxJsonDepth: number }): Record<string, unknown> {
  const value = parseJsonObjectOption(conf, '--conf');
  const problem = jsonLimitProblem(value, { maxBytes: limits.maxConfBytes, maxDepth: limits.maxJsonDepth });
  if (problem) throw new UsageError(describeJsonLimitProblem('--conf', problem, CONF_LIMIT_SETTINGS));
  return value;
}

/** Normalises `--logical-date` to Python's isoformat in UTC. */
export function parseLogicalDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const withZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}${value.includes('T') ? '' : 'T00:00:00'}+00:00`;
  const ms = Date.parse(withZone);
  if (!Number.isFinite(ms)) throw new UsageError(`--logical-date ${JSON.stringify(value)} is not a date; use ISO 8601, e.g. 2024-01-01 or 2024-01-01T06:00:00+00:00`);
  return pythonIsoUtc(ms);
}

/** Whether `value` reads as a date (`2024-06-03`, `2024-06-03T06:00:00+00:00`) rather than a run id. */
export function looksLikeDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([zZ]|[+-]\d{2}:?\d{2})?$/.test(value) && Number.isFinite(Date.parse(value.replace(' ', 'T')));
}

/** The logical date given positionally or with --logical-date; both at once must agree. */
export function oneLogicalDate(positional: string | undefined, option: string | undefined): string | undefined {
  if (positional !== undefined && option !== undefined && parseLogicalDate(positional) !== parseLogicalDate(option)) {
    throw new UsageError(`the logical date was given twice (${positional} and --logical-date ${option}); give it once`);
  }
  return positional ?? option;
}
