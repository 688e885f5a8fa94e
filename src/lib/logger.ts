/**
 * Service logs: one line per event on stderr (`--json` output owns stdout). `DAGBRIDGE_LOG_LEVEL` sets the
 * level (debug, info, warn, error; default info); `DAGBRIDGE_LOG_FORMAT=json` prints JSON lines.
 */

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A structured logger. Fields must not hold secrets (URLs are redacted by their owners before logging). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry `fields` too. */
  child(fields: Record<string, unknown>): Logger;
}

/** Where lines go (tests capture them). */
export type LogSink = (line: string) => void;

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** Creates a logger. */
export function createLogger(options: { name: string; level?: LogLevel; json?: boolean; sink?: LogSink; fields?: Record<string, unknown> }): Logger {
  const level = options.level ?? ((process.env.DAGBRIDGE_LOG_LEVEL as LogLevel | undefined) ?? 'info');
  const threshold = ORDER[level] ?? ORDER.info;
  const json = options.json ?? process.env.DAGBRIDGE_LOG_FORMAT === 'json';
  const sink = options.sink ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const base = options.fields ?? {};
  const write = (lvl: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    if (ORDER[lvl] < threshold) return;
    const all = { ...base, ...fields };
    const at = new Date().toISOString();
    if (json) {
      const normalised = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v instanceof Error ? v.message : v]));
      sink(JSON.stringify({ at, level: lvl, logger: options.name, message, ...normalised }));
    } else {
      const extras = Object.entries(all).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ');
      sink(`${at} ${lvl.toUpperCase().padEnd(5)} ${options.name}: ${message}${extras ? ` ${extras}` : ''}`);
    }
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...options, level, json, sink, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (tests, `--json` commands that must keep stderr quiet). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
