/**
 * A real cluster for integration tests: `dagbridge scheduler` and `dagbridge worker` processes (the built CLI)
 * against a database and a Redis key prefix of the test's own. Every process started here is stopped by its pid.
 */
import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { PgStore } from '../../src/store/pg-store.js';
import { createRedisClient } from '../../src/queue/connection.js';
import { RedisTaskQueue } from '../../src/queue/redis-queue.js';
import type { DagRunRecord } from '../../src/ports/metadata-store.js';
import { createMigratedDatabase, type TestDatabase } from './database.js';
import { createTestRedisPrefix } from './servers.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'bin', 'dagbridge.js');

/** A started dagbridge process with its output kept for assertions. */
export interface ClusterProcess {
  name: string;
  process: ResultPromise;
  pid: number;
  output(): string;
}

/** Options shared by every process of the cluster. */
export interface ClusterOptions {
  label: string;
  dagsFolder: string;
  /** Extra environment for every process (DAGBRIDGE_* settings). */
  env?: Record<string, string>;
  /** Use these servers instead of the shared test servers. */
  databaseUrl?: string;
  redisUrl?: string;
}

/** The cluster under test. */
export class TestCluster {
  readonly processes: ClusterProcess[] = [];
  db!: TestDatabase | null;
  store!: PgStore;
  queue!: RedisTaskQueue;
  redis!: Redis;
  prefix!: string;
  databaseUrl!: string;
  redisUrl!: string;
  private cleanupRedis: () => Promise<void> = async () => undefined;

  constructor(readonly options: ClusterOptions) {}

  async setUp(): Promise<this> {
    if (this.options.databaseUrl) {
      this.db = null;
      this.databaseUrl = this.options.databaseUrl;
    } else {
      this.db = await createMigratedDatabase(this.options.label);
      this.databaseUrl = this.db.url;
    }
    const redis = await createTestRedisPrefix(this.options.label);
    this.redisUrl = this.options.redisUrl ?? redis.url;
    this.prefix = redis.prefix;
    this.cleanupRedis = redis.cleanup;
    this.redis = createRedisClient(this.redisUrl, { name: `test-${this.options.label}` });
    this.queue = new RedisTaskQueue(this.redis, { prefix: this.prefix });
    const { createPgPool } = await import('../../src/store/connection.js');
    const pool = this.db ? this.db.pool : createPgPool(this.databaseUrl, { applicationName: 'dagbridge-test' });
    this.store = new PgStore(pool, { closePool: this.db === null });
    return this;
  }

  env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      DAGBRIDGE_DATABASE_URL: this.databaseUrl,
      DAGBRIDGE_REDIS_URL: this.redisUrl,
      DAGBRIDGE_REDIS_PREFIX: this.prefix,
      DAGBRIDGE_DAGS_FOLDER: this.options.dagsFolder,
      DAGBRIDGE_PARSE_INTERVAL_SECONDS: '2',
      // The runs these clusters drive are of DAGs they have just parsed: start them unpaused.
      DAGBRIDGE_PAUSED_ON_CREATION: 'false',
      DAGBRIDGE_SCHEDULER_INTERVAL_MS: '200',
      DAGBRIDGE_HEARTBEAT_MS: '300',
      DAGBRIDGE_LEASE_MS: '2000',
      DAGBRIDGE_KILL_GRACE_MS: '1000',
      DAGBRIDGE_SHUTDOWN_GRACE_MS: '5000',
      DAGBRIDGE_LOG_LEVEL: 'info',
      ...this.options.env,
    };
  }

  /** Starts `dagbridge <args>` with the cluster's environment. */
  start(name: string, args: string[], env: Record<string, string> = {}): ClusterProcess {
    let output = '';
    // forceKillAfterDelay false: tests SIGTERM a worker to watch its graceful stop (up to its shutdown grace),
    // which execa would otherwise cut short with a SIGKILL 5 s after the signal.
    const child = execa(process.execPath, [CLI, ...args], { env: { ...this.env(), ...env }, extendEnv: false, reject: false, all: true, cwd: ROOT, forceKillAfterDelay: false });
    child.all?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const entry = { name, process: child, pid: child.pid ?? -1, output: () => output };
    this.processes.push(entry);
    return entry;
  }

  scheduler(name = 'scheduler', env: Record<string, string> = {}): ClusterProcess {
    return this.start(name, ['scheduler'], env);
  }

  worker(name: string, args: string[] = [], env: Record<string, string> = {}): ClusterProcess {
    return this.start(name, ['worker', '--worker-id', name, ...args], env);
  }

  /** Runs a one-shot CLI command and returns its result. */
  async cli(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const result = await execa(process.execPath, [CLI, ...args], { env: this.env(), extendEnv: false, reject: false, cwd: ROOT });
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  /** Runs `dagbridge <args> --json` and parses its output; throws with stderr when it fails. */
  async cliJson<T>(args: string[]): Promise<T> {
    const result = await this.cli([...args, '--json']);
    if (result.exitCode !== 0) throw new Error(`${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** Waits until `check` returns a value (polling), or fails with what was seen. The deadline only ends a hung test. */
  async until<T>(what: string, check: () => Promise<T | null | undefined | false>, deadlineMs = 60_000): Promise<T> {
    const started = Date.now();
    let last: unknown;
    while (Date.now() - started < deadlineMs) {
      try {
        const value = await check();
        if (value) return value;
        last = value;
      } catch (error) {
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const logs = this.processes.map((p) => `--- ${p.name} ---\n${p.output().split('\n').slice(-25).join('\n')}`).join('\n');
    throw new Error(`timed out waiting for ${what} (last: ${String(last)})\n${logs}`);
  }

  /** Waits until the DAG has stored DAGs (the scheduler parsed the folder). */
  async waitForDags(dagIds: string[]): Promise<void> {
    await this.until(`DAGs ${dagIds.join(', ')} to be parsed`, async () => {
      const stored = new Set((await this.store.listDags()).map((d) => d.dagId));
      return dagIds.every((id) => stored.has(id));
    });
  }

  /** Triggers a run through the CLI and returns its run id. */
  async trigger(dagId: string, extra: string[] = []): Promise<string> {
    const result = await this.cli(['dags', 'trigger', dagId, '--json', ...extra]);
    if (result.exitCode !== 0) throw new Error(`trigger ${dagId} failed: ${result.stderr}`);
    return (JSON.parse(result.stdout) as DagRunRecord).runId;
  }

  /** Waits until a run is finished and returns it. */
  async waitForRun(dagId: string, runId: string, deadlineMs = 90_000): Promise<DagRunRecord> {
    return this.until(`run ${dagId} ${runId} to finish`, async () => {
      const run = await this.store.getDagRun({ dagId, runId });
      return run && (run.state === 'success' || run.state === 'failed') ? run : null;
    }, deadlineMs);
  }

  /** Stops one process: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(proc: ClusterProcess, graceMs = 10_000): Promise<void> {
    if (proc.process.exitCode !== undefined && proc.process.exitCode !== null) return;
    proc.process.kill('SIGTERM');
    const timer = setTimeout(() => proc.process.kill('SIGKILL'), graceMs);
    await proc.process;
    clearTimeout(timer);
  }

  async tearDown(): Promise<void> {
    await Promise.all(this.processes.map((p) => this.stop(p, 5_000)));
    this.redis?.disconnect();
    await this.cleanupRedis();
    if (this.db) await this.db.drop();
    else await this.store?.close();
  }
}
