/**
 * Custom timetables through a real cluster (`dagbridge scheduler` + `dagbridge worker` on PostgreSQL and Redis):
 * a Timetable class registered by a plugin in the plugins folder is evaluated by its own Python
 * (`python -m dagbridge_shim timetable`), so its DAG gets the scheduled runs with the timetable's data intervals;
 * one that raises, or hangs past `timetableTimeoutSeconds`, gets no runs and a scheduler log line naming the DAG,
 * the class and the cause, while the other DAGs get theirs. A manual run (`dags trigger --logical-date`) takes
 * its data interval from `infer_manual_data_interval`; a backfill (`dags backfill`) takes its runs from
 * `next_dagrun_info` as Airflow 2.10.5's `DAG.iter_dagrun_infos_between` asks it. Fixtures:
 * integration-tests/fixtures/timetable_dags.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagRunRecord } from '../src/ports/metadata-store.js';
import { ROOT, TestCluster, type ClusterProcess } from './support/cluster.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'timetable_dags');
let cluster: TestCluster;
let scheduler: ClusterProcess;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  cluster = await new TestCluster({
    label: 'custom_timetables',
    dagsFolder: path.join(FIXTURES, 'dags'),
    env: { DAGBRIDGE_PLUGINS_FOLDER: path.join(FIXTURES, 'plugins'), DAGBRIDGE_TIMETABLE_TIMEOUT_SECONDS: '2' },
  }).setUp();
  scheduler = cluster.scheduler();
  cluster.worker('w1', ['--concurrency', '2']);
  await cluster.waitForDags(['every_3_days', 'raising_timetable', 'hanging_timetable', 'plain_daily']);
}, 120_000);

afterAll(async () => {
  await cluster?.tearDown();
});

async function scheduledRuns(dagId: string, count: number): Promise<DagRunRecord[]> {
  return cluster.until(`${count} scheduled run(s) of ${dagId}`, async () => {
    const runs = (await cluster.store.listDagRuns({ dagId })).filter((run) => run.runType === 'scheduled');
    return runs.length >= count ? runs.reverse() : null;
  }, 120_000);
}

describe('custom timetables in a cluster', () => {
  it("creates the plugin timetable's runs with its data intervals, up to the DAG's end date", async () => {
    const runs = await scheduledRuns('every_3_days', 4);
    expect(runs.map((run) => [run.runId, run.dataIntervalStart, run.dataIntervalEnd])).toEqual([
      ['scheduled__2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00', '2024-01-04T00:00:00+00:00'],
      ['scheduled__2024-01-04T00:00:00+00:00', '2024-01-04T00:00:00+00:00', '2024-01-07T00:00:00+00:00'],
      ['scheduled__2024-01-07T00:00:00+00:00', '2024-01-07T00:00:00+00:00', '2024-01-10T00:00:00+00:00'],
      ['scheduled__2024-01-10T00:00:00+00:00', '2024-01-10T00:00:00+00:00', '2024-01-13T00:00:00+00:00'],
    ]);
    // The other DAGs are not held up by the broken timetables.
    // @daily from a 06:00 start date: the first interval starts at the next midnight.
    expect((await scheduledRuns('plain_daily', 2)).map((run) => run.logicalDate)).toEqual(['2024-01-02T00:00:00+00:00', '2024-01-03T00:00:00+00:00']);
  }, 180_000);

  it('a timetable that raises or hangs gives its DAG no runs and a log line naming the DAG, the class and the cause', async () => {
    await cluster.until('the broken timetables to be reported', async () => {
      const output = scheduler.output();
      return output.includes('RuntimeError: calendar service unreachable') && output.includes('no answer within 2 s') ? true : null;
    }, 60_000);
    const lines = scheduler.output().split('\n').filter((line) => line.includes('custom timetable failed'));
    expect(lines.some((line) => line.includes('raising_timetable') && line.includes('calendar_timetables.Raising') && line.includes('RuntimeError: calendar service unreachable'))).toBe(true);
    expect(lines.some((line) => line.includes('hanging_timetable') && line.includes('calendar_timetables.Hanging') && line.includes('timetableTimeoutSeconds'))).toBe(true);
    expect(await cluster.store.listDagRuns({ dagId: 'raising_timetable' })).toEqual([]);
    expect(await cluster.store.listDagRuns({ dagId: 'hanging_timetable' })).toEqual([]);
  }, 120_000);

  it("dags trigger takes the data interval from the timetable's infer_manual_data_interval, and refuses on its error", async () => {
    const runId = await cluster.trigger('every_3_days', ['--logical-date', '2024-03-10T15:30:00+00:00']);
    const run = (await cluster.store.listDagRuns({ dagId: 'every_3_days' })).find((r) => r.runId === runId);
    expect([run?.dataIntervalStart, run?.dataIntervalEnd]).toEqual(['2024-03-07T00:00:00+00:00', '2024-03-10T00:00:00+00:00']);
    const refused = await cluster.cli(['dags', 'trigger', 'raising_timetable', '--logical-date', '2024-03-10T00:00:00+00:00']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('DAG raising_timetable: custom timetable calendar_timetables.Raising failed in infer_manual_data_interval: RuntimeError: no calendar for 2024-03-10');
    expect(await cluster.store.listDagRuns({ dagId: 'raising_timetable' })).toEqual([]);
  }, 120_000);

  it("dags backfill creates the runs the timetable's next_dagrun_info gives for the range, and fails on its error", async () => {
    // EveryNDays(3) starts at midnight of the restriction's earliest and stops past its latest.
    const result = await cluster.cli(['dags', 'backfill', 'every_3_days', '--from', '2024-01-02T00:00:00+00:00', '--to', '2024-01-09T00:00:00+00:00', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { runId: 'backfill__2024-01-02T00:00:00+00:00', created: true, state: 'queued' },
      { runId: 'backfill__2024-01-05T00:00:00+00:00', created: true, state: 'queued' },
      { runId: 'backfill__2024-01-08T00:00:00+00:00', created: true, state: 'queued' },
    ]);
    const runs = (await cluster.store.listDagRuns({ dagId: 'every_3_days' })).filter((run) => run.runType === 'backfill');
    expect(runs.map((run) => [run.logicalDate, run.dataIntervalStart, run.dataIntervalEnd]).sort()).toEqual([
      ['2024-01-02T00:00:00+00:00', '2024-01-02T00:00:00+00:00', '2024-01-05T00:00:00+00:00'],
      ['2024-01-05T00:00:00+00:00', '2024-01-05T00:00:00+00:00', '2024-01-08T00:00:00+00:00'],
      ['2024-01-08T00:00:00+00:00', '2024-01-08T00:00:00+00:00', '2024-01-11T00:00:00+00:00'],
    ]);
    const refused = await cluster.cli(['dags', 'backfill', 'raising_timetable', '--from', '2024-01-02T00:00:00+00:00', '--to', '2024-01-09T00:00:00+00:00']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('backfill of raising_timetable created no runs: DAG raising_timetable: custom timetable calendar_timetables.Raising failed in next_dagrun_info: RuntimeError: calendar service unreachable');
    expect(await cluster.store.listDagRuns({ dagId: 'raising_timetable' })).toEqual([]);
  }, 120_000);

  it('dags errors and dags show report a failing timetable with its DAG, class and message, and no longer once it is fixed', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'dagbridge-timetables-'));
    try {
      cpSync(FIXTURES, folder, { recursive: true });
      const flags = ['--dags-folder', path.join(folder, 'dags'), '--plugins-folder', path.join(folder, 'plugins')];
      type Listed = { file: string; type: string; message: string; dagId?: string; timetable?: string; method?: string };
      const errors = async (): Promise<Listed[]> => {
        const result = await cluster.cli(['dags', 'errors', '--json', ...flags]);
        expect(result.exitCode, result.stderr).toBe(0);
        return JSON.parse(result.stdout) as Listed[];
      };
      const listed = await errors();
      expect(listed.filter((e) => e.dagId !== undefined).map((e) => [e.file, e.dagId, e.timetable, e.method, e.type, e.message]).sort()).toEqual([
        ['custom_timetables.py', 'hanging_timetable', 'calendar_timetables.Hanging', 'next_dagrun_info', 'TimetableEvaluationError', 'no answer within 2 s (timetableTimeoutSeconds); its process was killed'],
        ['custom_timetables.py', 'raising_timetable', 'calendar_timetables.Raising', 'next_dagrun_info', 'RuntimeError', 'calendar service unreachable'],
      ]);
      const text = await cluster.cli(['dags', 'errors', ...flags]);
      expect(text.stdout).toContain('custom_timetables.py: DAG raising_timetable: custom timetable calendar_timetables.Raising failed in next_dagrun_info: RuntimeError: calendar service unreachable');
      const shown = JSON.parse((await cluster.cli(['dags', 'show', 'raising_timetable', '--json', ...flags])).stdout) as { timetableError: Listed | null };
      expect(shown.timetableError).toMatchObject({ dagId: 'raising_timetable', timetable: 'calendar_timetables.Raising', type: 'RuntimeError', message: 'calendar service unreachable' });
      expect((JSON.parse((await cluster.cli(['dags', 'show', 'every_3_days', '--json', ...flags])).stdout) as { timetableError: unknown }).timetableError).toBeNull();
      // Fixed: the timetable answers (no next run), and it is listed no more.
      const plugin = path.join(folder, 'plugins', 'calendar_timetables.py');
      writeFileSync(plugin, readFileSync(plugin, 'utf8').replace('raise RuntimeError("calendar service unreachable")', 'return None'));
      expect((await errors()).map((e) => e.dagId).filter(Boolean)).toEqual(['hanging_timetable']);
      const fixed = JSON.parse((await cluster.cli(['dags', 'show', 'raising_timetable', '--json', ...flags])).stdout) as { timetableError: unknown };
      expect(fixed.timetableError).toBeNull();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);
});
