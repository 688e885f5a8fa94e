import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteVariable, listPools, setPool, setVariable } from '../src/store/pool-variable-queries.js';
import { getManifest, getSetting, pruneWorkers, putManifest, setSetting } from '../src/store/worker-queries.js';
import { PgStore } from '../src/store/pg-store.js';
import type { WorkerRecord } from '../src/ports/worker-registry.js';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);
let db: TestDatabase;

beforeAll(async () => {
  db = await createMigratedDatabase('workers');
});

afterAll(async () => {
  await db.drop();
});

const worker = (workerId: string, overrides: Partial<WorkerRecord> = {}): WorkerRecord => ({
  workerId,
  hostname: 'node-4',
  pid: 77,
  queues: ['default', 'aws'],
  refused: [{ queue: 'gpu', reasons: ['torch>=2 is not installed'] }],
  concurrency: 8,
  slotsBusy: 0,
  version: '0.1.0',
  state: 'running',
  startedAt: T0,
  lastHeartbeatAt: T0,
  lastPollAt: null,
  manifestHash: 'abc',
  manifestReport: { ok: true },
  requestedAction: null,
  ...overrides,
});

describe('worker registry', () => {
  it('registers, beats, receives requested actions, re-registers and is pruned', async () => {
    const store = new PgStore(db.pool);
    await store.registerWorker(worker('w1'));
    await store.registerWorker(worker('w2', { state: 'unhealthy', queues: [] }));
    expect(await store.listWorkers()).toEqual([worker('w1'), worker('w2', { state: 'unhealthy', queues: [] })]);

    const beat = { slotsBusy: 3, lastPollAt: T0 + 900, state: 'running' as const, queues: ['default'], refused: [], manifestHash: 'def', manifestReport: null };
    expect(await store.heartbeatWorker('w1', beat, T0 + 1000)).toEqual({ requestedAction: null, known: true });
    expect(await store.requestWorkerAction('w1', 'drain')).toBe(true);
    expect(await store.requestWorkerAction('nope', 'drain')).toBe(false);
    expect(await store.heartbeatWorker('w1', { ...beat, state: 'draining', slotsBusy: 2 }, T0 + 2000)).toEqual({ requestedAction: 'drain', known: true });
    expect(await store.heartbeatWorker('nope', beat, T0)).toEqual({ requestedAction: null, known: false });
    expect((await store.listWorkers())[0]).toEqual(
      worker('w1', { slotsBusy: 2, lastPollAt: T0 + 900, state: 'draining', queues: ['default'], refused: [], manifestHash: 'def', manifestReport: null, lastHeartbeatAt: T0 + 2000, requestedAction: 'drain' }),
    );
    // A restart with the same id replaces the registration, request included.
    await store.registerWorker(worker('w1', { startedAt: T0 + 5000, lastHeartbeatAt: T0 + 5000, pid: 78 }));
    expect((await store.listWorkers())[0]).toMatchObject({ pid: 78, requestedAction: null, state: 'running', startedAt: T0 + 5000 });
    expect(await store.requestWorkerAction('w1', 'cold_shutdown')).toBe(true);
    expect(await store.requestWorkerAction('w1', null)).toBe(true);

    expect(await pruneWorkers(db.pool, T0 + 3000)).toBe(1);
    expect((await store.listWorkers()).map((w) => w.workerId)).toEqual(['w1']);
  });
});

describe('manifests and settings', () => {
  it('stores manifests by hash (first content wins) and settings as JSON', async () => {
    await putManifest(db.pool, 'h1', { version: 1, queues: { default: { requirements: ['boto3>=1.26'] } } });
    await putManifest(db.pool, 'h1', { other: true });
    expect(await getManifest(db.pool, 'h1')).toEqual({ version: 1, queues: { default: { requirements: ['boto3>=1.26'] } } });
    expect(await getManifest(db.pool, 'missing')).toBeNull();
    expect(await getSetting(db.pool, 'current_manifest_hash')).toBeNull();
    await setSetting(db.pool, 'current_manifest_hash', 'h1', T0);
    await setSetting(db.pool, 'current_manifest_hash', 'h2', T0 + 1);
    expect(await getSetting(db.pool, 'current_manifest_hash')).toBe('h2');
  });
});

describe('pools and variables', () => {
  it('creates and resizes pools, keeping the description when none is given', async () => {
    const store = new PgStore(db.pool);
    await store.setPool('db', 4, 'the warehouse');
    await store.setPool('db', 6);
    await setPool(db.pool, 'default_pool', 32);
    expect(await listPools(db.pool)).toEqual([
      { name: 'db', slots: 6, description: 'the warehouse' },
      { name: 'default_pool', slots: 32, description: 'Default pool' },
    ]);
  });

  it('sets, lists and deletes variables', async () => {
    const store = new PgStore(db.pool);
    expect(await store.listVariables()).toEqual({});
    await setVariable(db.pool, 'env', 'prod', 'where we run');
    await setVariable(db.pool, 'env', 'staging');
    await setVariable(db.pool, 'json', '{"a": 1}');
    expect(await store.listVariables()).toEqual({ env: 'staging', json: '{"a": 1}' });
    expect(await deleteVariable(db.pool, 'json')).toBe(true);
    expect(await deleteVariable(db.pool, 'json')).toBe(false);
    const description = await db.pool.query('SELECT description FROM variables WHERE key = $1', ['env']);
    expect(description.rows).toEqual([{ description: 'where we run' }]);
  });
});
