/**
 * A cluster of real `dagbridge scheduler` and `dagbridge worker` processes (the built CLI) for benchmarks, on a
 * database and a Redis key prefix of its own: the database is created and migrated at the start and dropped at
 * the end, the prefix's keys are deleted. Every process started here is stopped by its pid.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { createRedisClient } from '../../src/queue/connection.js';
import { createPgPool } from '../../src/store/connection.js';
import { migrate } from '../../src/store/migrate.js';
import { PgStore } from '../../src/store/pg-store.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'bin', 'dagbridge.js');

/** The newest modification time under `dir` of files whose name ends with one of `suffixes`. */
function newestMtime(dir: string, suffixes: readonly string[]): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, suffixes));
    else if (suffixes.some((s) => entry.name.endsWith(s))) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than a source file, so the processes run the code being measured. */
export async function ensureBuilt(say: (line: string) => void): Promise<void> {
  let builtAt = 0;
  try {
    builtAt = statSync(path.join(ROOT, 'dist', 'cli', 'main.js')).mtimeMs;
  } catch {
    // Missing: built below.
  }
  if (builtAt >= newestMtime(path.join(ROOT, 'src'), ['.ts', '.lua', '.sql'])) return;
  say('dist/ is older than src/: running npm run build');
  await execa('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A started dagbridge process. */
export interface BenchProcess {
  name: string;
  pid: number;
  process: ResultPromise;
  output(): string;
}

/** Servers and settings of a bench cluster. */
export interface BenchClusterOptions {
  /** Admin URL of the PostgreSQL server (a database of the bench's own is created on it). */
  adminDatabaseUrl: string;
  redisUrl: string;
  dagsFolder: string;
  /** Extra DAGBRIDGE_* settings of every process. */
  env?: Record<string, string>;
  /** Options of the node processes themselves (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Waits on the cluster give up at this time (epoch ms); default 30 minutes from creation. */
  deadlineAt?: number;
}

/** A database, a Redis prefix and the processes started on them. */
export class BenchCluster {
  readonly processes: BenchProcess[] = [];
  readonly databaseName = `dagbridge_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  readonly prefix = `dagbridge-bench:${randomBytes(4).toString('hex')}:`;
  databaseUrl = '';
  pool: pg.Pool | null = null;
  store: PgStore | null = null;
  redis: Redis | null = null;
  private created = false;

  readonly deadlineAt: number;

  constructor(readonly options: BenchClusterOptions) {
    this.deadlineAt = options.deadlineAt ?? Date.now() + 30 * 60_000;
  }

  private async admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.adminDatabaseUrl });
    client.on('error', () => {
      // A lost admin connection surfaces through the query in progress.
    });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  /** Creates and migrates the database, connects to Redis. */
  async setUp(): Promise<this> {
    await this.admin(`CREATE DATABASE "${this.databaseName}"`);
    this.created = true;
    const url = new URL(this.options.adminDatabaseUrl);
    url.pathname = `/${this.databaseName}`;
    this.databaseUrl = url.toString();
    this.pool = createPgPool(this.databaseUrl, { applicationName: 'dagbridge-bench', max: 6 });
    await migrate(this.pool);
    this.store = new PgStore(this.pool);
    this.redis = createRedisClient(this.options.redisUrl, { name: 'dagbridge-bench' });
    await this.redis.ping();
    return this;
  }

  /** The environment of every process: the servers, the prefix, the DAG folder; nothing else inherited but PATH/HOME. */
  env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      DAGBRIDGE_DATABASE_URL: this.databaseUrl,
      DAGBRIDGE_REDIS_URL: this.options.redisUrl,
      DAGBRIDGE_REDIS_PREFIX: this.prefix,
      DAGBRIDGE_DAGS_FOLDER: this.options.dagsFolder,
      // The runs these clusters drive are of DAGs they have just parsed: start them unpaused.
      DAGBRIDGE_PAUSED_ON_CREATION: 'false',
      DAGBRIDGE_LOG_LEVEL: 'warn',
      ...this.options.env,
    };
  }

  /** Starts `dagbridge <args>`, with `env` added to {@link env}'s and `nodeArgs` to the cluster's node options. */
  start(name: string, args: string[], env: Record<string, string> = {}, nodeArgs: readonly string[] = []): BenchProcess {
    let output = '';
    const child = execa(process.execPath, [...(this.options.nodeArgs ?? []), ...nodeArgs, CLI, ...args], { env: { ...this.env(), ...env }, extendEnv: false, reject: false, all: true, cwd: ROOT });
    child.all?.on('data', (chunk: Buffer) => {
      // Keep the tail only: enough to explain a failure.
      output = (output + chunk.toString()).slice(-20_000);
    });
    const entry = { name, pid: child.pid ?? -1, process: child, output: () => output };
    this.processes.push(entry);
    return entry;
  }

  /**
   * Stops one process by its pid: SIGTERM, then SIGKILL after `graceMs`. A stopped process leaves
   * {@link processes}, so a later phase on the same cluster does not take it for one that failed.
   */
  async stop(proc: BenchProcess, graceMs = 10_000): Promise<void> {
    if (proc.process.exitCode === undefined || proc.process.exitCode === null) {
      proc.process.kill('SIGTERM');
      const timer = setTimeout(() => proc.process.kill('SIGKILL'), graceMs);
      await proc.process;
      clearTimeout(timer);
    }
    const at = this.processes.indexOf(proc);
    if (at >= 0) this.processes.splice(at, 1);
  }

  /** A process that has exited, if any (a cluster process only exits when it is stopped or fails). */
  exited(): BenchProcess | undefined {
    return this.processes.find((p) => p.process.exitCode !== undefined && p.process.exitCode !== null);
  }

  /** The last lines of every process's output (for an error message). */
  outputs(): string {
    return this.processes.map((p) => `--- ${p.name} (pid ${p.pid}) ---\n${p.output().split('\n').slice(-20).join('\n')}`).join('\n');
  }

  /** Stops every process, deletes the prefix's keys, drops the database. Safe to call after a failed setUp. */
  async tearDown(): Promise<void> {
    await Promise.all(this.processes.map((p) => this.stop(p, 5_000)));
    if (this.redis) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await this.redis.del(...keys);
      } while (cursor !== '0');
      await this.redis.quit();
    }
    await this.pool?.end();
    if (this.created) await this.admin(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`);
  }
}
