/**
 * Creating the PostgreSQL pool. Only the composition root (`src/app.ts`) calls `createPgPool`; everything
 * else receives the pool. The URL may carry a password and libpq's `sslmode`; no message this module
 * produces ever contains the password.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { redactUrl } from '../lib/redact.js';
import { ConfigError, DagbridgeError, errorMessage } from '../lib/errors.js';

/** Pool settings; every field has a default. */
export interface PgPoolOptions {
  /** Shown in `pg_stat_activity.application_name` (e.g. `dagbridge-scheduler`). Default `dagbridge`. */
  applicationName?: string;
  /** Most connections the pool opens. Default 10. */
  max?: number;
  /** Server-side cap on one statement (`statement_timeout`), ms; 0 = none. Default 30000. */
  statementTimeoutMs?: number;
  /** Server-side cap on a session idle inside a transaction, ms; 0 = none. Default 60000. */
  idleInTransactionTimeoutMs?: number;
  /** How long to wait for a new connection, ms. Default 10000. */
  connectionTimeoutMs?: number;
  /** Idle connections are closed after this many ms. Default 30000. */
  idleTimeoutMs?: number;
  /**
   * Called for errors of idle pooled connections (server restart, network loss). Without a listener such an
   * error would crash the process; the pool drops the broken connection and opens a new one when needed.
   * Default: one line on stderr, URL redacted.
   */
  onError?: (error: Error) => void;
}

const SSL_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey'] as const;

/**
 * The TLS settings of a URL, with libpq's `sslmode` meanings: `disable`, `allow` and `prefer` connect without
 * TLS (node-postgres cannot fall back from TLS to plain, so these take the plain side: use `require` to insist
 * on TLS); `require` encrypts without verifying the server; `verify-ca` verifies the certificate chain but not
 * the host name; `verify-full` verifies both. `sslrootcert`, `sslcert` and `sslkey` name PEM files.
 */
export function sslOptionsFromUrl(parsed: URL): false | ConnectionOptions {
  const mode = parsed.searchParams.get('sslmode') ?? (parsed.searchParams.has('sslrootcert') ? 'verify-full' : 'disable');
  const readPem = (param: string): string | undefined => {
    const file = parsed.searchParams.get(param);
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (cause) {
      throw new ConfigError(`database URL ${param}=${file}: ${errorMessage(cause)}`, { cause });
    }
  };
  const base: ConnectionOptions = {};
  const ca = readPem('sslrootcert');
  const cert = readPem('sslcert');
  const key = readPem('sslkey');
  if (ca) base.ca = ca;
  if (cert) base.cert = cert;
  if (key) base.key = key;
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { ...base, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...base, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...base, rejectUnauthorized: true };
    default:
      throw new ConfigError(`database URL: sslmode=${mode} is not one of disable, allow, prefer, require, verify-ca, verify-full`);
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * The warning a service logs once at start when its PostgreSQL URL sends credentials and data in plain text to
 * another machine: `sslmode` missing, `disable`, `allow` or `prefer` (all connect without TLS, see
 * {@link sslOptionsFromUrl}) and a host that is not loopback (`localhost`, 127.0.0.0/8, `::1`) or a unix socket
 * directory. `null` when nothing needs saying or the URL does not parse (`pgPoolConfig` reports that).
 */
export function plaintextDatabaseWarning(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Refused with its own message by pgPoolConfig.
    return null;
  }
  const mode = parsed.searchParams.get('sslmode') ?? (parsed.searchParams.has('sslrootcert') ? 'verify-full' : 'disable');
  if (!['disable', 'allow', 'prefer'].includes(mode)) return null;
  const host = (parsed.searchParams.get('host') ?? parsed.hostname).toLowerCase();
  if (host === '' || host.startsWith('/') || LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)) return null;
  const said = parsed.searchParams.has('sslmode') ? `sslmode=${mode}` : 'no sslmode';
  return (
    `the PostgreSQL URL ${redactUrl(url)} has ${said}: the password and all data travel in plain text to ${host}; ` +
    'add sslmode=verify-full&sslrootcert=/path/to/ca.pem to DAGBRIDGE_DATABASE_URL (or its file) to encrypt and verify the server'
  );
}

/** The pg pool configuration for a URL (exported for tests; use `createPgPool`). */
export function pgPoolConfig(url: string, options: PgPoolOptions = {}): pg.PoolConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    // The text is not printed: a URL that does not parse may not be redactable either.
    throw new ConfigError('the database URL is not a valid URL (expected postgres://user:password@host:5432/database; percent-encode special characters in the password)', {
      cause,
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`database URL ${redactUrl(url)}: the scheme must be postgres:// or postgresql://`);
  }
  const ssl = sslOptionsFromUrl(parsed);
  const stripped = new URL(parsed.toString());
  for (const param of SSL_PARAMS) stripped.searchParams.delete(param);
  return {
    connectionString: stripped.toString(),
    ssl,
    application_name: options.applicationName ?? 'dagbridge',
    max: options.max ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
  };
}

/**
 * Creates a pool for `url` with an `'error'` listener installed. Connections are opened lazily; call
 * `verifyConnection` to fail fast at start-up with a clear message.
 */
export function createPgPool(url: string, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool(pgPoolConfig(url, options));
  const where = redactUrl(url);
  const onError =
    options.onError ?? ((error: Error) => process.stderr.write(`dagbridge: idle PostgreSQL connection to ${where} failed: ${error.message}\n`));
  pool.on('error', (error) => onError(error));
  return pool;
}

/**
 * Runs `SELECT 1` and turns a failure into an error that names the (redacted) URL and the likely fix.
 * The pg error is kept as `cause` (it never holds the password).
 */
export async function verifyConnection(pool: pg.Pool, url: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (cause) {
    throw new DagbridgeError(
      'INTERNAL',
      `cannot use the PostgreSQL database at ${redactUrl(url)}: ${errorMessage(cause)} (check DAGBRIDGE_DATABASE_URL and that the server is reachable)`,
      { cause },
    );
  }
}
