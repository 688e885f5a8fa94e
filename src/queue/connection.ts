/**
 * Creates the Redis client for the composition root (`src/app.ts` is the only caller): `redis://` or
 * `rediss://` (TLS) URLs with optional user name, password and database number; an `'error'` listener (an
 * unhandled one would kill the process); reconnection forever with capped exponential backoff; and commands
 * that wait for the connection to come back instead of failing after a few retries
 * (`maxRetriesPerRequest: null`), which long-lived workers and schedulers need. The password never appears in
 * a log line or error message.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError, toError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { redactSecrets, redactUrl } from '../lib/redact.js';

/** Options of `createRedisClient`. */
export interface RedisClientOptions {
  /** Connection name shown by `CLIENT LIST` (e.g. `dagbridge-worker-host3`). */
  name: string;
  /** Where connection errors and reconnects are logged. Default: nowhere. */
  logger?: Logger;
  /** Upper bound of the reconnect delay in ms. Default 5000. */
  maxReconnectDelayMs?: number;
  /** Time allowed to establish one connection in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Do not connect until the first command (or `connect()`). Default false. */
  lazyConnect?: boolean;
  /**
   * PEM file of the CA that signs the server's certificate (`rediss://` only), trusted in addition to Node's
   * default CAs (setting `redisCaFile`, env `DAGBRIDGE_REDIS_CA_FILE`). Default: the default CAs only.
   */
  caFile?: string | null;
  /**
   * A command that fails when Redis cannot serve it instead of waiting across reconnects
   * (`maxRetriesPerRequest: 1`): for CLI commands. Default false: wait (schedulers and workers).
   */
  failFast?: boolean;
}

/** First reconnect delay in ms; each further attempt doubles it up to the cap. */
export const FIRST_RECONNECT_DELAY_MS = 100;

/** The delay before reconnect attempt `attempt` (1-based): 100 ms doubling, capped at `capMs`. */
export function reconnectDelayMs(attempt: number, capMs: number): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  return Math.min(capMs, FIRST_RECONNECT_DELAY_MS * 2 ** exponent);
}

/** The ioredis options for a Redis URL. Throws ConfigError (with the URL redacted) for a URL it cannot use. */
export function redisOptionsFromUrl(url: string, options: RedisClientOptions): RedisOptions {
  const shown = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    // An unparseable value may be a secret pasted in the wrong place: do not print any of it.
    throw new ConfigError('setting redisUrl: the value is not a URL; expected redis://[user:password@]host[:port][/db] or rediss://...', {
      cause,
    });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError(`setting redisUrl: ${shown} must start with redis:// or rediss:// (TLS)`);
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new ConfigError(`setting redisUrl: ${shown} has no host`);
  const dbText = parsed.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) {
    throw new ConfigError(`setting redisUrl: ${shown}: the path must be a database number (e.g. /0), got /${dbText}`);
  }
  const capMs = options.maxReconnectDelayMs ?? 5_000;
  const result: RedisOptions = {
    host,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db: dbText === '' ? 0 : Number(dbText),
    connectionName: options.name,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    lazyConnect: options.lazyConnect ?? false,
    // Commands wait across reconnects rather than failing after N retries: the loops above decide when to give up.
    // A CLI command fails instead (a person is waiting for it).
    maxRetriesPerRequest: options.failFast === true ? 1 : null,
    enableReadyCheck: true,
    // Never give up reconnecting (a null return would close the client for good).
    retryStrategy: (attempt: number) => reconnectDelayMs(attempt, capMs),
    // After a failover the old primary answers READONLY: reconnect (DNS may now point at the new one) and resend.
    reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 2 : false),
  };
  if (parsed.username !== '') result.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') result.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') {
    // SNI needs a host name; an IP address must not be sent as servername.
    result.tls = /^[\d.]+$|:/.test(host) ? {} : { servername: host };
    if (options.caFile) result.tls.ca = [...rootCertificates, readCaFile(options.caFile)];
  } else if (options.caFile) {
    throw new ConfigError(`setting redisCaFile (${options.caFile}) is set but ${shown} is not TLS; use rediss:// or unset it`);
  }
  return result;
}

function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`setting redisCaFile: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? toError(cause).message}`, { cause });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`setting redisCaFile: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}

/** Creates a connected (or lazily connecting) Redis client with an error listener and reconnect policy. */
export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  const redisOptions = redisOptionsFromUrl(url, options);
  const logger = (options.logger ?? silentLogger).child({ redis: redactUrl(url), connection: options.name });
  const secrets = [redisOptions.password];
  const client = new Redis(redisOptions);
  let failures = 0;
  client.on('error', (thrown: unknown) => {
    failures += 1;
    // One line per failed attempt; the backoff bounds the rate to one per maxReconnectDelayMs.
    logger.warn('Redis connection error', { error: redactSecrets(toError(thrown).message, secrets), attempt: failures });
  });
  client.on('reconnecting', (delayMs: number) => {
    logger.debug('reconnecting to Redis', { delayMs });
  });
  client.on('ready', () => {
    if (failures > 0) logger.info('Redis connection restored', { afterFailures: failures });
    failures = 0;
  });
  return client;
}

/** The reply texts with which Redis refuses the credentials of a connection. */
function credentialProblem(message: string): string | null {
  if (/^WRONGPASS\b/.test(message) || /invalid username-password pair/i.test(message)) {
    return 'the server refused the user name or password (WRONGPASS)';
  }
  if (/^NOAUTH\b/.test(message)) return 'the server requires a password and the URL has none (NOAUTH)';
  if (/^NOPERM\b/.test(message)) return 'the user has no permission for the commands dagbridge runs (NOPERM)';
  return null;
}

/**
 * Waits until `client` answers PING, at most `timeoutMs` (null: as long as it takes). A refused password (WRONGPASS, NOAUTH, NOPERM) is a
 * ConfigError at once; no answer within the time is a ConfigError with the last connection error. Both name the
 * URL (redacted) and the setting to fix. The client is disconnected when it fails.
 */
export async function connectRedis(client: Redis, url: string, timeoutMs: number | null): Promise<void> {
  const shown = redactUrl(url);
  const secrets = [client.options.password];
  const fix = 'fix DAGBRIDGE_REDIS_URL (or the file DAGBRIDGE_REDIS_URL_FILE names, or --redis-url-file)';
  let lastError: string | null = null;
  const onError = (thrown: unknown): void => {
    lastError = redactSecrets(toError(thrown).message, secrets);
  };
  client.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (timeoutMs !== null) timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const ping = client.ping().then(
    () => null,
    (thrown: unknown) => toError(thrown),
  );
  try {
    const outcome = await Promise.race([ping, timedOut]);
    if (outcome === null) return;
    client.disconnect();
    // A fail-fast client gives up after its retry (MaxRetriesPerRequestError): the server is not reachable.
    if (outcome === 'timeout' || outcome.name === 'MaxRetriesPerRequestError') {
      const within = outcome === 'timeout' ? ` within ${Math.round((timeoutMs ?? 0) / 100) / 10} s` : '';
      throw new ConfigError(`cannot reach Redis at ${shown}${within}${lastError ? ` (${lastError})` : ''}: start Redis or ${fix}`);
    }
    const message = redactSecrets(outcome.message, secrets);
    const credentials = credentialProblem(message) ?? (lastError ? credentialProblem(lastError) : null);
    if (credentials) throw new ConfigError(`cannot use Redis at ${shown}: ${credentials}; ${fix}`, { cause: outcome });
    throw new ConfigError(`cannot use Redis at ${shown}: ${message}${lastError && lastError !== message ? ` (last error: ${lastError})` : ''}; ${fix}`, {
      cause: outcome,
    });
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}
