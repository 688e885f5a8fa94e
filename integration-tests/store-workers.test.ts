import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPools, setPool, listVariables, setVariable, deleteVariable } from '../src/store/pool-variable-queries.js';
import {
  getManifest,
  getSetting,
  heartbeatWorker,
  listWorkers,
  markLostWorkers,
  pruneWorkers,
  putManifest,
  registerWorker,
  requestWorkerAction,
  setSetting,
  setWorkerState,
  type WorkerRegistration,
} from '../src/store/worker-queries.js';
import { PgStore } from '../src/store/pg-store.js';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);
let db: TestDatabase;

beforeAll(async () => {
  db = await createMigratedDatabase('workers');
});

afterAll(async () => {
  await db.drop();
});

const registration = (workerId: string): WorkerRegistration => ({
  workerId,
  hostname: 'node-4',
  pid: 77,
  queues: ['default', 'aws'],
  refused: { gpu: 'torch>=2 is not installed' },
  concurrency: 8,
  version: '0.1.0',
  manifestHash: 'abc',
  manifestReport: { ok: true },
});

describe('workers', () => {
  it('registers, beats, receives requested actions, is marked lost and pruned', async () => {
    const first = await registerWorker(db.pool, registration('w1'), T0);
    expect(first).toEqual({
      ...registration('w1'),
      state: 'running',
      slotsBusy: 0,
      startedAt: T0,
      lastHeartbeatAt: T0,
      lastPollAt: null,
      requestedAction: null,
    });
    await registerWorker(db.pool, registration('w2'), T0);
    expect(await heartbeatWorker(db.pool, 'w1', { slotsBusy: 3, polled: true }, T0 + 1000)).toBeNull();
    expect(await requestWorkerAction(db.pool, 'w1', 'drain')).toBe(true);
    expect(await requestWorkerAction(db.pool, 'nope', 'drain')).toBe(false);
    expect(await heartbeatWorker(db.pool, 'w1', { slotsBusy: 2, state: 'draining' }, T0 + 2000)).toBe('drain');
    expect(await heartbeatWorker(db.pool, 'nope', { slotsBusy: 0 }, T0)).toBeUndefined();

    expect(await markLostWorkers(db.pool, T0 + 1500)).toEqual(['w2']);
    expect(await markLostWorkers(db.pool, T0 + 1500)).toEqual([]);
    const workers = await listWorkers(db.pool);
    expect(workers.map((w) => [w.workerId, w.state, w.slotsBusy, w.lastHeartbeatAt, w.lastPollAt, w.requestedAction])).toEqual([
      ['w1', 'draining', 2, T0 + 2000, T0 + 1000, 'drain'],
      ['w2', 'lost', 0, T0, null, null],
    ]);
    // A lost worker that beats again is running again; re-registration clears a requested action.
    expect(await heartbeatWorker(db.pool, 'w2', { slotsBusy: 1 }, T0 + 3000)).toBeNull();
    expect((await listWorkers(db.pool))[1]?.state).toBe('running');
    expect((await registerWorker(db.pool, registration('w1'), T0 + 4000)).requestedAction).toBeNull();

    expect(await setWorkerState(db.pool, 'w2', 'stopped', T0 + 5000)).toBe(true);
    expect(await pruneWorkers(db.pool, T0 + 6000)).toBe(1);
    expect((await listWorkers(db.pool)).map((w) => w.workerId)).toEqual(['w1']);
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
