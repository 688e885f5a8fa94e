/**
 * A worker during a PostgreSQL outage, on real PostgreSQL and Redis: the worker's pool reaches the server
 * through a loopback TCP proxy that the test cuts and restores (the shared server itself is never stopped).
 * While the store is unreachable a worker with free slots must not drain the ready queue: each message whose
 * `startTry` failed goes back to its queue at once, without a counted delivery, and claiming pauses until the
 * store answers. Start-up (registering, reading the published manifest) waits for the store the same way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagBundle } from '../src/dag/bundle.js';
import { createLogger, type Logger } from '../src/lib/logger.js';
import { taskMessageId } from '../src/ports/message-id.js';
import { TASK_MESSAGE_VERSION, type TaskMessage } from '../src/ports/task-message.js';
import type { TaskInstanceRecord } from '../src/ports/metadata-store.js';
import { RedisTaskQueue } from '../src/queue/redis-queue.js';
import { exportDags } from '../src/shim/export.js';
import { resolvePython } from '../src/shim/python.js';
import { PgStore } from '../src/store/pg-store.js';
import { planWorkerManifest } from '../src/worker/manifest-gate.js';
import { waitForStore } from '../src/lib/retry.js';
import { WorkerService } from '../src/worker/worker-service.js';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';
import { createTestRedisPrefix } from './support/servers.js';

/** A loopback TCP proxy to PostgreSQL that can be cut (every connection reset, new ones refused) and restored. */
class CuttableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private open = true;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (!this.open) {
        client.destroy();
        return;
      }
      const upstream = connect(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          // A reset is what the test wants to cause; the pool reports it.
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server?.address() as { port: number }).port;
  }

  cut(): void {
    this.open = false;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.open = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A logger that keeps every message, so the test can wait for what the worker says it does. */
function recordingLogger(lines: string[]): Logger {
  const base = createLogger({ name: 'outage-test', level: 'error' });
  const wrap = (logger: Logger): Logger =>
    new Proxy(logger, {
      get(target, prop, receiver) {
        if (prop === 'child') return (fields: Record<string, unknown>) => wrap(target.child(fields));
        if (prop === 'debug' || prop === 'info' || prop === 'warn' || prop === 'error') {
          return (message: string, fields?: Record<string, unknown>) => {
            lines.push(`${String(prop)} ${message}`);
            (target[prop] as (m: string, f?: Record<string, unknown>) => void)(message, fields);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
  return wrap(base);
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const DAG = `
from datetime import datetime
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("outage", start_date=datetime(2024, 1, 1), schedule=None):
    for i in range(6):
        BashOperator(task_id=f"t{i}", bash_command="true")
`;

let db: TestDatabase;
let redis: Redis;
let queue: RedisTaskQueue;
let cleanupRedis: () => Promise<void>;
let dagsFolder: string;
let bundle: DagBundle;
let python: string;

beforeAll(async () => {
  db = await createMigratedDatabase('outage');
  const prefix = await createTestRedisPrefix('outage');
  cleanupRedis = prefix.cleanup;
  redis = new Redis(prefix.url, { maxRetriesPerRequest: 2 });
  redis.on('error', () => {
    // Surfaces through the queue calls of the test.
  });
  queue = new RedisTaskQueue(redis, { prefix: prefix.prefix });
  dagsFolder = mkdtempSync(path.join(tmpdir(), 'dagbridge-outage-'));
  writeFileSync(path.join(dagsFolder, 'outage.py'), DAG);
  python = (await resolvePython('python3')).executable;
  bundle = await exportDags({ dagsFolder, python, noAirflow: true });
  await new PgStore(db.pool).syncBundle(bundle, Date.now());
});

afterAll(async () => {
  redis?.disconnect();
  await cleanupRedis?.();
  await db?.drop();
  rmSync(dagsFolder, { recursive: true, force: true });
});

/** A pool whose connections go through `proxy`. */
function proxiedPool(proxy: CuttableProxy): pg.Pool {
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => {
    // Idle connections reset by the cut: the pool replaces them.
  });
  return pool;
}

/** A run of `outage` with every task queued on try 1 and its message on the ready queue. */
async function queuedRun(store: PgStore, runId: string): Promise<TaskInstanceRecord[]> {
  const spec = bundle.dags[0];
  if (!spec) throw new Error('no DAG exported');
  const now = Date.now();
  const created = await store.createDagRun({
    dagId: 'outage', runId, versionHash: (await store.getDag('outage'))?.versionHash ?? '', runType: 'manual', state: 'running',
    logicalDate: new Date(now).toISOString(), dataIntervalStart: null, dataIntervalEnd: null, runAfter: new Date(now).toISOString(), conf: {}, queuedAt: now,
  }, now);
  const run = created.run;
  if (!run) throw new Error('run not created');
  const taskIds = spec.tasks.map((t) => t.taskId);
  await store.applyChanges(run, spec, taskIds.map((taskId) => ({ kind: 'create' as const, taskId, mapIndex: -1, priorityWeight: 1 })), now);
  await store.applyChanges(run, spec, taskIds.map((taskId) => ({ kind: 'transition' as const, taskId, mapIndex: -1, from: 'none' as const, to: 'scheduled' as const, newTry: true })), now);
  const queued = await store.markQueued(taskIds.map((taskId) => ({ dagId: 'outage', runId, taskId, mapIndex: -1, tryNumber: 1 })), now);
  const file = bundle.files.find((f) => f.dagIds.includes('outage'));
  for (const ti of queued) {
    const message: TaskMessage = {
      v: TASK_MESSAGE_VERSION, dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex, tryNumber: ti.tryNumber,
      queue: 'default', priority: 1, dagFile: { path: file?.path ?? 'outage.py', hash: file?.hash ?? '' }, manifestHash: null, enqueuedAt: now,
    };
    expect(await queue.enqueue(message)).toBe(true);
  }
  return queued;
}

function worker(store: PgStore, log: Logger, workerId: string): WorkerService {
  return new WorkerService({
    workerId, store, queue, verdict: { served: ['default'], refused: [], manifestHash: null, report: null, verifiedAt: Date.now(), manifestEnv: [] },
    concurrency: 4, leaseMs: 60_000, heartbeatMs: 1_000, shutdownGraceMs: 30_000, idlePollMs: 100,
    attempt: { python, dagsFolder, noAirflow: true, env: {}, killGraceMs: 1_000, logCapBytes: 1 << 20 },
    log,
  });
}

describe('a worker during a PostgreSQL outage', () => {
  it('hands back what it claimed, counts no delivery, claims nothing more until the store answers, then runs everything', async () => {
    const proxy = new CuttableProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port || 5432) });
    await proxy.start();
    const pool = proxiedPool(proxy);
    const lines: string[] = [];
    const service = worker(new PgStore(pool), recordingLogger(lines), 'outage-w1');
    const direct = new PgStore(db.pool);
    try {
      await service.start();
      proxy.cut();
      const queued = await queuedRun(direct, 'outage_1');
      const ids = queued.map((ti) => taskMessageId(ti));
      await until('the worker to pause claiming with nothing in hand', () => lines.some((line) => line.includes('pausing claims')) && service.runningTasks().length === 0);
      // Nothing is held: every claimed message went straight back (none waits for its lease to run out).
      expect(await queue.inFlight()).toEqual([]);
      const ready = await queue.peek('default', 100);
      expect(ready.map((m) => m.id).sort()).toEqual([...ids].sort());
      expect(ready.map((m) => m.deliveries)).toEqual(ready.map(() => 0));
      expect((await queue.stats(['default']))[0]).toMatchObject({ ready: ids.length, inFlight: 0, deadLettered: 0 });
      expect(await direct.listTaskInstances({ dagId: 'outage', runId: 'outage_1' })).toSatisfy((tis: TaskInstanceRecord[]) => tis.every((t) => t.state === 'queued'));

      proxy.restore();
      await until('every task to succeed', async () => (await direct.listTaskInstances({ dagId: 'outage', runId: 'outage_1' })).every((t) => t.state === 'success'), 90_000);
      expect(lines.some((line) => line.includes('claiming again'))).toBe(true);
      expect((await queue.stats(['default']))[0]).toMatchObject({ ready: 0, inFlight: 0, deadLettered: 0 });
      const tries = await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM task_instance_tries WHERE dag_id = 'outage' AND run_id = 'outage_1'");
      expect(Number(tries.rows[0]?.n)).toBe(ids.length);
    } finally {
      proxy.restore();
      await service.stop();
      await pool.end();
      await proxy.stop();
    }
  });

  it('rides out an outage at start-up: the manifest lookup and registration wait for the store', async () => {
    const proxy = new CuttableProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port || 5432) });
    await proxy.start();
    const pool = proxiedPool(proxy);
    const lines: string[] = [];
    const log = recordingLogger(lines);
    const store = new PgStore(pool);
    const service = worker(store, log, 'outage-w2');
    try {
      proxy.cut();
      const planned = planWorkerManifest({ localManifest: null, registry: store, python, queues: ['default'], startupRead: (what, read) => waitForStore(what, read, log) });
      await until('the worker to say it waits for the store', () => lines.some((line) => line.includes('waiting for PostgreSQL')));
      proxy.restore();
      await planned;
      proxy.cut();
      const started = service.start();
      await until('the worker to say it waits to register', () => lines.some((line) => line.includes('register')));
      proxy.restore();
      await started;
      expect(service.state).toBe('running');
      expect((await new PgStore(db.pool).listWorkers()).map((w) => w.workerId)).toContain('outage-w2');
    } finally {
      proxy.restore();
      await service.stop();
      await pool.end();
      await proxy.stop();
    }
  });
});
