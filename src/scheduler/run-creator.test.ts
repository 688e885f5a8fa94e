import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_VERSION, type DagBundle, type DagSpec } from '../dag/bundle.js';
import { dagOf, task } from '../dag/spec-fixtures.js';
import { ParamValidationError, UsageError } from '../lib/errors.js';
import { silentLogger } from '../lib/logger.js';
import { MemoryStore } from '../ports/memory-store.js';
import { backfillDagRuns, createDueRuns, triggerDagRun } from './run-creator.js';

const bundleOf = (...dags: DagSpec[]): DagBundle => ({
  schemaVersion: BUNDLE_SCHEMA_VERSION,
  generator: { name: 'test', version: '0', python: '3.11.0', pythonExecutable: 'python3', mode: 'standin', airflowVersion: null },
  dagsFolder: '/dags', files: [], importErrors: [], dags,
});

const daily = (overrides: Partial<DagSpec> = {}): DagSpec =>
  dagOf([task('a')], [], {
    dagId: 'daily', schedule: { type: 'cron', expression: '0 0 * * *', preset: '@daily' }, startDate: '2024-01-01T00:00:00+00:00',
    catchup: true, maxActiveRuns: 16, ...overrides,
  });

describe('createDueRuns', () => {
  it('catches up one run per interval, bounded by max_active_runs, with data intervals', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(daily({ maxActiveRuns: 2 })), 0);
    const now = Date.parse('2024-01-05T12:00:00Z');
    const created = await createDueRuns(store, now, silentLogger);
    expect(created.map((r) => [r.runId, r.dataIntervalStart, r.dataIntervalEnd])).toEqual([
      ['scheduled__2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00', '2024-01-02T00:00:00+00:00'],
      ['scheduled__2024-01-02T00:00:00+00:00', '2024-01-02T00:00:00+00:00', '2024-01-03T00:00:00+00:00'],
    ]);
    // Two schedulers at once: nothing more is due while two runs are active.
    expect(await createDueRuns(store, now, silentLogger)).toEqual([]);
  });

  it('with catchup off creates only the latest complete interval', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(daily({ catchup: false })), 0);
    const created = await createDueRuns(store, Date.parse('2024-01-05T12:00:00Z'), silentLogger);
    expect(created.map((r) => r.runId)).toEqual(['scheduled__2024-01-04T00:00:00+00:00']);
  });

  it('creates nothing for paused DAGs or schedule None', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(daily(), dagOf([task('a')], [], { dagId: 'manual_only', schedule: { type: 'none' } })), 0);
    await store.setPaused('daily', true);
    expect(await createDueRuns(store, Date.parse('2024-01-05T12:00:00Z'), silentLogger)).toEqual([]);
  });
});

describe('triggerDagRun and backfillDagRuns', () => {
  it('triggers a manual run with conf and refuses a duplicate run id', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(daily()), 0);
    const dag = await store.getDag('daily');
    if (!dag) throw new Error('missing');
    const first = await triggerDagRun(store, dag, 0, { conf: { x: 1 }, logicalDate: '2024-03-01T00:00:00+00:00' });
    expect([first.created, first.run.runId, first.run.conf, first.run.runType]).toEqual([true, 'manual__2024-03-01T00:00:00+00:00', { x: 1 }, 'manual']);
    const again = await triggerDagRun(store, dag, 0, { logicalDate: '2024-03-01T00:00:00+00:00' });
    expect(again.created).toBe(false);
  });

  it('refuses a manual run whose params do not validate, naming the DAG and the param, and creates nothing (DAG.create_dagrun)', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(daily({ params: { name: { default: null, description: null, schema: { type: 'string' }, hasDefault: false } } })), 0);
    const dag = await store.getDag('daily');
    if (!dag) throw new Error('missing');
    const refused = triggerDagRun(store, dag, 0, { logicalDate: '2024-03-01T00:00:00+00:00' });
    await expect(refused).rejects.toThrow(ParamValidationError);
    await expect(refused).rejects.toThrow('cannot create a run of DAG daily: Invalid input for param name: No value passed and Param has no default value');
    await expect(triggerDagRun(store, dag, 0, { conf: { name: 7 } })).rejects.toThrow("Invalid input for param name: 7 is not of type 'string'");
    expect(await store.listDagRuns({ dagId: 'daily' })).toEqual([]);
    expect((await triggerDagRun(store, dag, 0, { conf: { name: 'x' } })).created).toBe(true);
  });

  it('backfills every interval of a range once', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(daily()), 0);
    const dag = await store.getDag('daily');
    if (!dag) throw new Error('missing');
    const runs = await backfillDagRuns(store, dag, '2024-02-01T00:00:00+00:00', '2024-02-03T00:00:00+00:00', 0);
    expect(runs.map((r) => [r.run.runId, r.created])).toEqual([
      ['backfill__2024-02-01T00:00:00+00:00', true], ['backfill__2024-02-02T00:00:00+00:00', true], ['backfill__2024-02-03T00:00:00+00:00', true],
    ]);
    const again = await backfillDagRuns(store, dag, '2024-02-01T00:00:00+00:00', '2024-02-03T00:00:00+00:00', 0);
    expect(again.map((r) => r.created)).toEqual([false, false, false]);
  });
});

describe('run ids', () => {
  it('triggerDagRun refuses a run id outside Airflow rule and stores nothing', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(daily()), 0);
    const dag = await store.getDag('daily');
    if (!dag) throw new Error('dag missing');
    await expect(triggerDagRun(store, dag, Date.parse('2024-01-05T12:00:00Z'), { runId: '$(id>pwned_runid)' })).rejects.toThrow(UsageError);
    expect(await store.listDagRuns({})).toEqual([]);
  });
});
