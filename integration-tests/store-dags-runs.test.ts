import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../src/lib/errors.js';
import type { DagRunRecord } from '../src/ports/metadata-store.js';
import { listImportErrors } from '../src/store/dag-queries.js';
import { METADATA_CHANGES_CHANNEL } from '../src/store/db.js';
import { PgStore } from '../src/store/pg-store.js';
import type { NewDagRun } from '../src/store/run-queries.js';
import { dagVersionHash } from '../src/store/version-hash.js';
import { bundleOf, createMigratedDatabase, dagSpec, taskSpec, type TestDatabase } from './support/database.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 123);

let db: TestDatabase;
let store: PgStore;

beforeAll(async () => {
  db = await createMigratedDatabase('dags_runs');
  store = new PgStore(db.pool);
});

afterAll(async () => {
  await store.close();
  await db.drop();
});

describe('syncBundle', () => {
  it('adds, updates (new version by content), deactivates and reactivates DAGs; replaces import errors', async () => {
    const a1 = dagSpec('sync_a');
    const b1 = dagSpec('sync_b', { isPausedUponCreation: false });
    const first = await store.syncBundle(bundleOf([a1, b1], [{ file: 'broken.py', type: 'SyntaxError', message: 'bad', traceback: 'tb' }]), T0, {
      pausedOnCreation: true,
    });
    expect(first).toEqual({ added: ['sync_a', 'sync_b'], updated: [], deactivated: [], importErrors: 1 });
    expect(await store.getDag('sync_a')).toEqual({
      dagId: 'sync_a',
      versionHash: dagVersionHash(a1),
      spec: a1,
      isPaused: true,
      isActive: true,
      lastParsedAt: T0,
    });
    // is_paused_upon_creation on the DAG wins over the default.
    expect((await store.getDag('sync_b'))?.isPaused).toBe(false);

    // Same content in another key order: no new version.
    const reordered = Object.fromEntries(Object.entries(a1).reverse()) as typeof a1;
    const a2 = dagSpec('sync_a', { tasks: [taskSpec('t1'), taskSpec('t2')] });
    const second = await store.syncBundle(bundleOf([reordered, dagSpec('sync_c')]), T0 + 1000);
    expect(second).toEqual({ added: ['sync_c'], updated: [], deactivated: ['sync_b'], importErrors: 0 });
    expect(await listImportErrors(db.pool)).toEqual([]);

    const third = await store.syncBundle(bundleOf([a2, b1, dagSpec('sync_c')], [{ file: 'x.py', type: 'ImportError', message: 'm', traceback: 't' }]), T0 + 2000);
    expect(third).toEqual({ added: ['sync_b'], updated: ['sync_a'], deactivated: [], importErrors: 1 });
    expect(await listImportErrors(db.pool)).toEqual([{ file: 'x.py', type: 'ImportError', message: 'm', traceback: 't', updatedAt: T0 + 2000 }]);

    const dagA = await store.getDag('sync_a');
    expect(dagA?.versionHash).toBe(dagVersionHash(a2));
    expect(dagA?.spec).toEqual(a2);
    expect(dagA?.lastParsedAt).toBe(T0 + 2000);
    // The old version stays addressable: runs keep it.
    expect(await store.getDagVersion('sync_a', dagVersionHash(a1))).toEqual(a1);
    expect(await store.getDagVersion('sync_a', 'nope')).toBeNull();
    // A paused DAG stays paused across syncs; deactivation is visible in listDags.
    expect(await store.setPaused('sync_a', true)).toBe(true);
    expect(await store.setPaused('missing', true)).toBe(false);
    await store.syncBundle(bundleOf([a2]), T0 + 3000);
    const listed = (await store.listDags()).filter((d) => d.dagId.startsWith('sync_'));
    expect(listed.map((d) => [d.dagId, d.isPaused, d.isActive])).toEqual([
      ['sync_a', true, true],
      ['sync_b', false, false],
      ['sync_c', false, false],
    ]);
    expect((await store.listPausedDagIds()).filter((id) => id.startsWith('sync_'))).toEqual(['sync_a']);
  });
});

describe('syncBundle concurrency', () => {
  it('two schedulers syncing the same folder at once: one adds, the other finds it done', async () => {
    const other = new PgStore(db.newPool());
    const bundle = bundleOf([dagSpec('race_a'), dagSpec('race_b')]);
    const reports = await Promise.all([store.syncBundle(bundle, T0), other.syncBundle(bundle, T0)]);
    const added = reports.map((r) => r.added.filter((id) => id.startsWith('race_')));
    expect(added.sort((a, b) => b.length - a.length)).toEqual([['race_a', 'race_b'], []]);
    expect((await store.listImportErrors()).length).toBe(0);
    await other.close();
  });
});

function newRun(dagId: string, versionHash: string, overrides: Partial<NewDagRun> = {}): NewDagRun {
  return {
    dagId,
    runId: 'scheduled__2024-01-01T00:00:00+00:00',
    versionHash,
    runType: 'scheduled',
    logicalDate: '2024-01-01T00:00:00+00:00',
    dataIntervalStart: '2024-01-01T00:00:00+00:00',
    dataIntervalEnd: '2024-01-02T00:00:00+00:00',
    runAfter: '2024-01-02T00:00:00+00:00',
    conf: {},
    queuedAt: T0,
    ...overrides,
  };
}

describe('dag runs', () => {
  let hash: string;
  beforeAll(async () => {
    const spec = dagSpec('runs');
    hash = dagVersionHash(spec);
    await store.syncBundle(bundleOf([spec, dagSpec('sync_a', { tasks: [taskSpec('t1'), taskSpec('t2')] })]), T0);
  });

  it('round-trips every field, with Airflow instants in UTC +00:00 form', async () => {
    const { created, run } = await store.createDagRun(
      newRun('runs', hash, {
        runId: 'manual__x',
        runType: 'manual',
        logicalDate: '2024-03-01T01:30:00.250000+01:00',
        dataIntervalStart: '2024-02-29T00:00:00Z',
        dataIntervalEnd: '2024-03-01T00:00:00.000001+00:00',
        runAfter: '2024-03-01T00:30:00+00:00',
        conf: { a: [1, { b: null }], s: 'é' },
        state: 'running',
      }),
      T0 + 5,
    );
    const expected: DagRunRecord = {
      dagId: 'runs',
      runId: 'manual__x',
      versionHash: hash,
      runType: 'manual',
      state: 'running',
      logicalDate: '2024-03-01T00:30:00.250000+00:00',
      dataIntervalStart: '2024-02-29T00:00:00+00:00',
      dataIntervalEnd: '2024-03-01T00:00:00.000001+00:00',
      runAfter: '2024-03-01T00:30:00+00:00',
      conf: { a: [1, { b: null }], s: 'é' },
      queuedAt: T0,
      startDate: T0 + 5,
      endDate: null,
    };
    expect(created).toBe(true);
    expect(run).toEqual(expected);
    expect(await store.getDagRun({ dagId: 'runs', runId: 'manual__x' })).toEqual(expected);
    expect(await store.getDagRun({ dagId: 'runs', runId: 'nope' })).toBeNull();
  });

  it('creates a run once: same run id, or a non-manual run on the same logical date, is not created again', async () => {
    const first = await store.createDagRun(newRun('runs', hash), T0);
    expect(first.created).toBe(true);
    expect(first.run?.state).toBe('queued');
    expect(first.run?.startDate).toBeNull();
    const sameId = await store.createDagRun(newRun('runs', hash, { conf: { other: true } }), T0);
    expect(sameId).toEqual({ created: false, run: first.run });
    const sameDate = await store.createDagRun(newRun('runs', hash, { runId: 'backfill__2024-01-01T00:00:00+00:00', runType: 'backfill' }), T0);
    expect(sameDate).toEqual({ created: false, run: first.run });
    // Manual runs may share a logical date with a scheduled run and with each other.
    const manual1 = await store.createDagRun(newRun('runs', hash, { runId: 'manual__1', runType: 'manual' }), T0);
    const manual2 = await store.createDagRun(newRun('runs', hash, { runId: 'manual__2', runType: 'manual' }), T0);
    expect([manual1.created, manual2.created]).toEqual([true, true]);
  });

  it('two schedulers creating the same scheduled run concurrently: exactly one creates it', async () => {
    const other = new PgStore(db.newPool());
    for (let day = 10; day < 20; day += 1) {
      const logicalDate = `2024-01-${day}T00:00:00+00:00`;
      const results = await Promise.all([
        store.createDagRun(newRun('runs', hash, { runId: `scheduled__${logicalDate}`, logicalDate }), T0),
        other.createDagRun(newRun('runs', hash, { runId: `scheduled__${logicalDate}`, logicalDate }), T0),
      ]);
      expect(results.map((r) => r.created).sort()).toEqual([false, true]);
      expect(results[0]?.run).toEqual(results[1]?.run);
    }
  });

  it('refuses a run of an unknown DAG version with NotFoundError', async () => {
    await expect(store.createDagRun(newRun('runs', 'deadbeef', { runId: 'x', logicalDate: '2030-01-01T00:00:00+00:00' }), T0)).rejects.toThrow(NotFoundError);
  });

  it('lists active runs, runs newest first with a limit, the last automated run and the previous run', async () => {
    const dagId = 'sync_a';
    const version = (await store.getDag(dagId))?.versionHash as string;
    const mk = (runId: string, runType: NewDagRun['runType'], logicalDate: string | null, runAfter: string): Promise<unknown> =>
      store.createDagRun(newRun(dagId, version, { runId, runType, logicalDate, runAfter, dataIntervalStart: logicalDate, dataIntervalEnd: logicalDate }), T0);
    await mk('s1', 'scheduled', '2024-01-01T00:00:00+00:00', '2024-01-02T00:00:00+00:00');
    await mk('s2', 'scheduled', '2024-01-02T00:00:00+00:00', '2024-01-03T00:00:00+00:00');
    await mk('m1', 'manual', '2024-01-02T00:00:00+00:00', '2024-01-02T06:00:00+00:00');
    await mk('m2', 'manual', null, '2024-01-05T00:00:00+00:00');
    await mk('b0', 'backfill', '2023-12-01T00:00:00+00:00', '2024-01-04T00:00:00+00:00');

    const all = await store.listDagRuns({ dagId });
    expect(all.map((r) => r.runId)).toEqual(['m2', 's2', 'm1', 's1', 'b0']);
    expect((await store.listDagRuns({ dagId, limit: 2 })).map((r) => r.runId)).toEqual(['m2', 's2']);
    expect((await store.lastAutomatedRun(dagId))?.runId).toBe('s2');
    expect(await store.lastAutomatedRun('nope')).toBeNull();

    const byId = new Map(all.map((r) => [r.runId, r]));
    const prev = async (runId: string): Promise<string | null> => (await store.previousRun(byId.get(runId) as DagRunRecord))?.runId ?? null;
    expect(await prev('m2')).toBe('s2');
    expect(await prev('s2')).toBe('m1');
    expect(await prev('m1')).toBe('s1');
    expect(await prev('s1')).toBe('b0');
    expect(await prev('b0')).toBeNull();

    expect(await store.setDagRunState({ dagId, runId: 's1' }, 'queued', 'running', T0 + 10)).toBe(true);
    const active = (await store.listActiveRuns()).filter((r) => r.dagId === dagId);
    expect(active.map((r) => r.runId)).toEqual(['s1', 'm1', 's2', 'b0', 'm2']);
  });

  it('changes a run state by compare-and-set with Airflow date rules', async () => {
    const key = { dagId: 'runs', runId: 'cas' };
    await store.createDagRun(newRun('runs', hash, { runId: 'cas', runType: 'manual' }), T0);
    expect(await store.setDagRunState(key, 'running', 'success', T0 + 1)).toBe(false);
    expect(await store.setDagRunState(key, 'queued', 'running', T0 + 2)).toBe(true);
    expect(await store.setDagRunState(key, 'queued', 'running', T0 + 3)).toBe(false);
    expect(await store.getDagRun(key)).toMatchObject({ state: 'running', startDate: T0 + 2, endDate: null, queuedAt: T0 });
    expect(await store.setDagRunState(key, 'running', 'failed', T0 + 4)).toBe(true);
    expect(await store.getDagRun(key)).toMatchObject({ state: 'failed', startDate: T0 + 2, endDate: T0 + 4 });
    expect(await store.setDagRunState(key, 'failed', 'queued', T0 + 5)).toBe(true);
    expect(await store.getDagRun(key)).toMatchObject({ state: 'queued', startDate: null, endDate: null, queuedAt: T0 + 5 });
  });

  it('refuses an illegal run-state change before writing it', async () => {
    const key = { dagId: 'runs', runId: 'illegal' };
    await store.createDagRun(newRun('runs', hash, { runId: 'illegal', runType: 'manual' }), T0);
    await expect(store.setDagRunState(key, 'queued', 'queued', T0 + 1)).rejects.toThrow('illegal state transition queued -> queued');
    await expect(store.setDagRunState(key, 'success', 'running', T0 + 1)).rejects.toThrow('runs/illegal: illegal state transition success -> running');
    expect(await store.getDagRun(key)).toMatchObject({ state: 'queued' });
  });
});

describe('change notifications', () => {
  it('announces a created run on the changes channel, and nothing for a run that already existed', async () => {
    const listener = await db.pool.connect();
    const hints: string[] = [];
    listener.on('notification', (message) => hints.push(`${message.channel}:${message.payload ?? ''}`));
    await listener.query(`LISTEN ${METADATA_CHANGES_CHANNEL}`);
    try {
      const version = (await store.getDag('runs'))?.versionHash as string;
      await store.createDagRun(newRun('runs', version, { runId: 'notify', runType: 'manual' }), T0);
      await store.createDagRun(newRun('runs', version, { runId: 'notify', runType: 'manual' }), T0);
      // A round trip on the listening connection delivers what the server has sent before it.
      await listener.query('SELECT 1');
      expect(hints).toEqual(['dagbridge_changes:run_created']);
    } finally {
      await listener.query(`UNLISTEN ${METADATA_CHANGES_CHANNEL}`);
      listener.release();
    }
  });
});

describe('run ids', () => {
  it('createDagRun refuses a run id outside Airflow rule with a UsageError and writes nothing', async () => {
    const hash = dagVersionHash(dagSpec('runs'));
    for (const runId of ['$(id>pwned_runid)', 'line1\nline2 FAKE', 'R'.repeat(100_000)]) {
      await expect(store.createDagRun(newRun('runs', hash, { runId, runType: 'manual' }), T0)).rejects.toThrow(UsageError);
    }
    const stored = await db.pool.query(`SELECT run_id FROM dag_runs WHERE run_id LIKE '$%' OR run_id LIKE 'line1%' OR length(run_id) > 250`);
    expect(stored.rowCount).toBe(0);
  });
});
