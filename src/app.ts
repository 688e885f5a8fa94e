/**
 * The composition root: the only module that creates the PostgreSQL pool and the Redis clients. Commands ask
 * for what they need (`database`, `redis`) and close the app in `finally`; closing releases in reverse order.
 */
import { customTimetablesOf } from './shim/timetable.js';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Config } from './config/config.js';
import { ConfigError, errorMessage } from './lib/errors.js';
import { createLogger, type Logger } from './lib/logger.js';
import { redactUrl } from './lib/redact.js';
import { queueKeys } from './queue/keys.js';
import type { TaskQueue } from './ports/task-queue.js';
import { createPgPool, plaintextDatabaseWarning, verifyConnection } from './store/connection.js';
import { assertSchemaCurrent } from './store/migrate.js';
import { PgStore } from './store/pg-store.js';
import { listenForChanges } from './store/change-listener.js';
import { METADATA_CHANGES_CHANNEL } from './store/db.js';
import { Authenticator } from './web/auth.js';
import type { WebContext } from './web/routes.js';
import { waitForStore } from './lib/retry.js';

/** How long a command (not a scheduler or worker) waits for Redis to answer before it fails. */
export const REDIS_COMMAND_CONNECT_MS = 10_000;

/** What a command asks the app for. */
export interface AppNeeds {
  /** Open the metadata database (and check its schema unless `migrating`). */
  database?: boolean;
  /** Skip the schema check (db migrate/check/reset). */
  migrating?: boolean;
  /** Open Redis (queue). */
  redis?: boolean;
  /** Role name for connection names and logs (`scheduler`, `worker`, `cli`). */
  role: string;
}

/** The store with the worker and manifest registries (and the CLI's listings), as cluster services use it. */
export type ClusterStore = PgStore;

/** Everything a command may use. Absent parts were not asked for. */
export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly pool: pg.Pool | null;
  readonly store: ClusterStore | null;
  readonly redis: Redis | null;
  readonly queue: TaskQueue | null;
  /** Publishes "work enqueued" to idle workers. */
  signalWork(queues: string[]): Promise<void>;
  /** Subscribes to "work enqueued"; returns an unsubscribe function. */
  subscribeToWork(onWork: () => void): Promise<() => Promise<void>>;
  /** Subscribes to metadata changes (a task finished, a run was triggered); returns an unsubscribe function. */
  subscribeToChanges(onChange: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Wakes schedulers listening on the changes channel (after a trigger, a clear, a finished task). */
export async function notifyChanges(pool: pg.Pool | null, what: string): Promise<void> {
  if (pool) await pool.query('SELECT pg_notify($1, $2)', [METADATA_CHANGES_CHANNEL, what]);
}

/** Returns the store of an app that was created with `database`, or throws. */
export function requireStore(app: App): ClusterStore {
  if (!app.store) throw new ConfigError('this command needs the metadata database: set DAGBRIDGE_DATABASE_URL_FILE or DAGBRIDGE_DATABASE_URL (or pass --database-url-file)');
  return app.store;
}

/** Returns the queue of an app that was created with `redis`, or throws. */
export function requireQueue(app: App): TaskQueue {
  if (!app.queue) throw new ConfigError('this command needs Redis: set DAGBRIDGE_REDIS_URL_FILE or DAGBRIDGE_REDIS_URL (or pass --redis-url-file)');
  return app.queue;
}

/** Creates the app's connections. On failure, closes what was opened. */
export async function createApp(config: Config, needs: AppNeeds, log: Logger = createLogger({ name: needs.role })): Promise<App> {
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    while (closers.length > 0) {
      const closer = closers.pop();
      await closer?.().catch((error: unknown) => log.warn('error while closing', { error: errorMessage(error) }));
    }
  };
  try {
    let pool: pg.Pool | null = null;
    let store: ClusterStore | null = null;
    if (needs.database) {
      if (!config.databaseUrl) throw new ConfigError('no database: set DAGBRIDGE_DATABASE_URL_FILE (a file holding the URL) or DAGBRIDGE_DATABASE_URL (postgres://user:password@host:5432/db), or pass --database-url-file');
      pool = createPgPool(config.databaseUrl, {
        applicationName: `dagbridge-${needs.role}`,
        onError: (error) => log.warn('PostgreSQL connection error; reconnecting on next use', { error: errorMessage(error) }),
      });
      // Services say it once at start; commands run by people stay quiet.
      const plaintext = needs.role === 'cli' ? null : plaintextDatabaseWarning(config.databaseUrl);
      if (plaintext) log.warn(plaintext);
      const opened = pool;
      closers.push(() => opened.end());
      const url = config.databaseUrl;
      const check = async (): Promise<void> => {
        await verifyConnection(opened, url);
        if (!needs.migrating) await assertSchemaCurrent(opened);
      };
      // A worker started while PostgreSQL restarts waits for it (logging each try); commands fail at once.
      if (needs.role === 'worker') await waitForStore('connect to PostgreSQL', check, log);
      else await check();
      store = new PgStore(pool);
    }
    let redis: Redis | null = null;
    let queue: TaskQueue | null = null;
    const keys = queueKeys(config.redisPrefix);
    // The Redis client library is loaded only by commands that use Redis: every other command starts faster.
    if (needs.redis) {
      const { connectRedis, createRedisClient } = await import('./queue/connection.js');
      const { RedisTaskQueue } = await import('./queue/redis-queue.js');
      const { checkRedisServer } = await import('./queue/server-check.js');
      if (!config.redisUrl) throw new ConfigError('no Redis: set DAGBRIDGE_REDIS_URL_FILE (a file holding the URL) or DAGBRIDGE_REDIS_URL (redis://host:6379 or rediss:// for TLS), or pass --redis-url-file');
      // Services wait for Redis (logging each attempt); a command gives up after one connect timeout.
      const service = needs.role === 'scheduler' || needs.role === 'worker';
      const client = createRedisClient(config.redisUrl, {
        name: `dagbridge-${needs.role}-${hostname()}`,
        logger: log,
        caFile: config.redisCaFile,
        failFast: !service,
      });
      redis = client;
      closers.push(async () => void (await client.quit().catch(() => client.disconnect())));
      await connectRedis(client, config.redisUrl, service ? null : REDIS_COMMAND_CONNECT_MS);
      if (service) {
        const report = await checkRedisServer(client).catch(() => null);
        for (const warning of report?.warnings ?? []) log.warn(warning);
      }
      queue = new RedisTaskQueue(client, { prefix: config.redisPrefix });
    }
    const url = config.redisUrl;
    return {
      config, log, pool, store, redis, queue,
      async signalWork(queues) {
        if (redis) await redis.publish(keys.workChannel, queues.join(','));
      },
      async subscribeToWork(onWork) {
        if (!url) return async () => undefined;
        // A subscribed connection can run nothing else: it gets its own client.
        const { createRedisClient } = await import('./queue/connection.js');
        const subscriber = createRedisClient(url, { name: `dagbridge-${needs.role}-sub-${hostname()}`, logger: log, caFile: config.redisCaFile });
        await subscriber.subscribe(keys.workChannel);
        subscriber.on('message', () => onWork());
        // After a reconnect ioredis re-subscribes by itself; a missed signal costs one poll interval.
        return async () => void (await subscriber.quit().catch(() => subscriber.disconnect()));
      },
      async subscribeToChanges(onChange) {
        if (!pool) return async () => undefined;
        return listenForChanges(pool, onChange, log);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What the webserver's routes use, from an app created with `database` (and `redis` for the queue pages). */
export function createWebContext(app: App): WebContext {
  const store = requireStore(app);
  return {
    store,
    pool: store.pool,
    queue: app.queue,
    auth: new Authenticator(store.pool),
    log: app.log,
    leaseMs: app.config.leaseMs,
    now: Date.now,
    notify: (what) => notifyChanges(app.pool, what),
    signalWork: (queues) => app.signalWork(queues),
    fernetKey: app.config.fernetKey,
    scheduleSemantics: app.config.scheduleSemantics,
    timetables: customTimetablesOf(app.config, app.log),
    confLimits: { maxConfBytes: app.config.maxConfBytes, maxJsonDepth: app.config.maxJsonDepth },
  };
}

/** A connection URL safe to print. */
export function describeUrl(url: string | null): string {
  return url ? redactUrl(url) : '(not set)';
}
