import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_VERSION, type DagBundle, type DagSpec } from '../dag/bundle.js';
import { dagOf, task } from '../dag/spec-fixtures.js';
import { ParamValidationError, UsageError } from '../lib/errors.js';
import { silentLogger } from '../lib/logger.js';
import { MemoryStore } from '../ports/memory-store.js';
import type { CustomTimetables } from '../ports/custom-timetable.js';
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

describe('custom timetables', () => {
  const custom = (): DagSpec =>
    daily({
      dagId: 'custom_tt',
      schedule: {
        type: 'custom', className: 'plugins.EveryNDays', summary: 'every 3 days', description: null, canBeScheduled: true,
        periodic: true, activeRunsLimit: null, serialized: { __type: 'plugins.EveryNDays', __var: { days: 3 } },
      },
    });
  const DAY = 86_400_000;
  const JAN1 = Date.parse('2024-01-01T00:00:00Z');
  /** Answers like the timetable would, or `pending` for the DAGs in `pendingFor`; records the questions. */
  const fake = (pendingFor: string[] = []) => {
    const asked: { dagId: string; last: unknown; restriction: unknown }[] = [];
    const timetables: CustomTimetables = {
      peekNextDagRunInfo(dag, last, restriction) {
        asked.push({ dagId: dag.dagId, last, restriction });
        if (pendingFor.includes(dag.dagId)) return { status: 'pending' };
        const start = last === null ? JAN1 : last.end;
        return { status: 'ready', value: { runAfter: start + 3 * DAY, dataInterval: { start, end: start + 3 * DAY } } };
      },
      inferManualDataInterval: (_dag, runAfter) => Promise.resolve({ start: runAfter - 3 * DAY, end: runAfter }),
      backfillRunInfos(dag, earliest, latest) {
        asked.push({ dagId: dag.dagId, last: null, restriction: { earliest, latest, catchup: true } });
        const infos = [earliest, earliest + 3 * DAY].map((start) => ({ runAfter: start + 3 * DAY, dataInterval: { start, end: start + 3 * DAY } }));
        return Promise.resolve({ infos, error: dag.dagId === 'custom_tt' ? 'DAG custom_tt: custom timetable plugins.EveryNDays failed in next_dagrun_info: RuntimeError: no' : null });
      },
    };
    return { asked, timetables };
  };

  it("backfills the runs the timetable answers for the range, and reports the error that ended them", async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(custom()), 0);
    const dag = await store.getDag('custom_tt');
    if (!dag) throw new Error('missing');
    const { asked, timetables } = fake();
    const errors: string[] = [];
    const runs = await backfillDagRuns(store, dag, '2024-02-01T00:00:00+00:00', '2024-02-09T00:00:00+00:00', 0, undefined, {
      timetables, onTimetableError: (error) => errors.push(error),
    });
    expect(asked).toEqual([{ dagId: 'custom_tt', last: null, restriction: { earliest: Date.parse('2024-02-01T00:00:00Z'), latest: Date.parse('2024-02-09T00:00:00Z'), catchup: true } }]);
    expect(runs.map((r) => [r.run.runId, r.run.runType, r.run.dataIntervalEnd])).toEqual([
      ['backfill__2024-02-01T00:00:00+00:00', 'backfill', '2024-02-04T00:00:00+00:00'],
      ['backfill__2024-02-04T00:00:00+00:00', 'backfill', '2024-02-07T00:00:00+00:00'],
    ]);
    expect(errors).toEqual(['DAG custom_tt: custom timetable plugins.EveryNDays failed in next_dagrun_info: RuntimeError: no']);
    await expect(backfillDagRuns(store, dag, '2024-02-01T00:00:00+00:00', '2024-02-09T00:00:00+00:00', 0))
      .rejects.toThrow('cannot backfill DAG custom_tt: its custom timetable plugins.EveryNDays needs Python');
  });

  it("creates the runs the timetable answers, with its data intervals, asking with the DAG's restriction", async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(custom()), 0);
    const { asked, timetables } = fake();
    const created = await createDueRuns(store, Date.parse('2024-01-08T00:00:00Z'), silentLogger, undefined, timetables);
    expect(created.map((r) => [r.runId, r.dataIntervalStart, r.dataIntervalEnd])).toEqual([
      ['scheduled__2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00', '2024-01-04T00:00:00+00:00'],
      ['scheduled__2024-01-04T00:00:00+00:00', '2024-01-04T00:00:00+00:00', '2024-01-07T00:00:00+00:00'],
    ]);
    expect(asked[0]).toEqual({ dagId: 'custom_tt', last: null, restriction: { earliest: JAN1, latest: null, catchup: true } });
    expect(asked[1]?.last).toEqual({ start: JAN1, end: JAN1 + 3 * DAY });
  });

  it('gives a DAG whose timetable has not answered no run, and the other DAGs theirs', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(custom(), daily()), 0);
    const { timetables } = fake(['custom_tt']);
    const created = await createDueRuns(store, Date.parse('2024-01-02T12:00:00Z'), silentLogger, undefined, timetables);
    expect(created.map((r) => r.dagId)).toEqual(['daily']);
  });

  it('without an evaluator creates no run for it, and a manual run with a logical date is refused naming the DAG', async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(custom()), 0);
    expect(await createDueRuns(store, Date.parse('2024-01-08T00:00:00Z'), silentLogger)).toEqual([]);
    const dag = await store.getDag('custom_tt');
    if (!dag) throw new Error('missing');
    await expect(triggerDagRun(store, dag, 0, { logicalDate: '2024-03-10T00:00:00+00:00' })).rejects.toThrow(
      'cannot create a run of DAG custom_tt: its custom timetable plugins.EveryNDays needs Python to infer the data interval',
    );
  });

  it("triggers a manual run with the timetable's infer_manual_data_interval", async () => {
    const store = new MemoryStore();
    await store.syncBundle(bundleOf(custom()), 0);
    const dag = await store.getDag('custom_tt');
    if (!dag) throw new Error('missing');
    const { run } = await triggerDagRun(store, dag, 0, { logicalDate: '2024-03-10T00:00:00+00:00', timetables: fake().timetables });
    expect([run.logicalDate, run.dataIntervalStart, run.dataIntervalEnd]).toEqual(['2024-03-10T00:00:00+00:00', '2024-03-07T00:00:00+00:00', '2024-03-10T00:00:00+00:00']);
  });
});
