/**
 * Where integration tests get their servers: the URLs in DAGBRIDGE_TEST_DATABASE_URL / DAGBRIDGE_TEST_REDIS_URL
 * when set (CI and these machines), otherwise containers started with testcontainers (needs a Docker engine).
 * With neither, the test fails loudly: a test that needs a server never passes without one.
 *
 * Isolation: each caller gets its own database (created from scratch, dropped at the end) and its own Redis key
 * prefix (its keys deleted at the end), so test files can run side by side.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

type Stop = () => Promise<void>;
const stops: Stop[] = [];

let baseDatabaseUrl: Promise<string> | undefined;
let baseRedisUrl: Promise<string> | undefined;

async function startContainer(kind: 'postgres' | 'redis'): Promise<string> {
  try {
    const tc = await import('testcontainers');
    if (kind === 'postgres') {
      const container = await new tc.GenericContainer('postgres:16-alpine')
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withExposedPorts(5432)
        .withWaitStrategy(tc.Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start();
      stops.push(async () => void (await container.stop()));
      return `postgres://postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
    }
    const container = await new tc.GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
    stops.push(async () => void (await container.stop()));
    return `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  } catch (cause) {
    const variable = kind === 'postgres' ? 'DAGBRIDGE_TEST_DATABASE_URL' : 'DAGBRIDGE_TEST_REDIS_URL';
    throw new Error(
      `integration tests need ${kind}: set ${variable} (e.g. ${
        kind === 'postgres' ? 'postgres://postgres@127.0.0.1:5432/postgres' : 'redis://127.0.0.1:6379'
      }) or provide a Docker engine for testcontainers (${String(cause)})`,
      { cause },
    );
  }
}

/** The admin URL of the test PostgreSQL server (its `postgres` database). */
export function databaseServerUrl(): Promise<string> {
  baseDatabaseUrl ??= process.env.DAGBRIDGE_TEST_DATABASE_URL
    ? Promise.resolve(process.env.DAGBRIDGE_TEST_DATABASE_URL)
    : startContainer('postgres');
  return baseDatabaseUrl;
}

/** The URL of the test Redis server. */
export function redisServerUrl(): Promise<string> {
  baseRedisUrl ??= process.env.DAGBRIDGE_TEST_REDIS_URL
    ? Promise.resolve(process.env.DAGBRIDGE_TEST_REDIS_URL)
    : startContainer('redis');
  return baseRedisUrl;
}

/** A short random suffix for database names and key prefixes. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Replaces the database name in a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh, empty database on the test server; dropped by the returned `drop`. */
export async function createTestDatabase(label: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const adminUrl = await databaseServerUrl();
  const name = `dagbridge_test_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${uniqueSuffix()}`.slice(0, 63);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const drop = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  return { url: withDatabase(adminUrl, name), name, drop };
}

/** A unique Redis key prefix; `cleanup` deletes every key under it. */
export async function createTestRedisPrefix(label: string): Promise<{ url: string; prefix: string; cleanup: () => Promise<void> }> {
  const url = await redisServerUrl();
  const prefix = `dagbridge-test:${label}:${uniqueSuffix()}:`;
  const cleanup = async (): Promise<void> => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    redis.on('error', () => {
      // Cleanup is best effort; the connection error surfaces through the commands below.
    });
    await redis.connect();
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  };
  return { url, prefix, cleanup };
}

/** Stops containers this process started (no-op when servers came from URLs). */
export async function stopServers(): Promise<void> {
  while (stops.length > 0) await stops.pop()?.();
}
