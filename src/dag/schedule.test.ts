import { describe, expect, it } from 'vitest';
import type { Schedule } from './bundle.js';
import { formatInstant } from './durations.js';
import {
  backfillRunInfos,
  defaultSemantics,
  manualRunInfo,
  nextDagRunInfo,
  nextDataIntervalAfter,
  type DagRunInfo,
  type LastAutomatedRun,
  type ManualRunInfo,
  type ScheduleSettings,
} from './schedule.js';

/** Expected values are written as [logicalDate, dataIntervalStart, dataIntervalEnd, runAfter] in UTC. */
type Row = [string, string, string, string];

const Z = (text: string): string => `${text.replace(/Z$/, '')}+00:00`;

function row(info: DagRunInfo | null): Row | null {
  if (info === null) return null;
  return [info.logicalDate, info.dataIntervalStart, info.dataIntervalEnd, info.runAfter].map(formatInstant) as Row;
}

function manualRow(info: ManualRunInfo): (string | null)[] {
  return [info.logicalDate, info.dataIntervalStart, info.dataIntervalEnd, info.runAfter].map((v) => (v === null ? null : formatInstant(v)));
}

const cron = (expression: string, preset: string | null = null): Schedule => ({ type: 'cron', expression, preset });
const every = (seconds: number): Schedule => ({ type: 'timedelta', seconds });

function settings(overrides: Partial<ScheduleSettings>): ScheduleSettings {
  return {
    schedule: cron('0 0 * * *', '@daily'),
    startDate: '2024-01-01T00:00:00+00:00',
    endDate: null,
    catchup: true,
    timezone: 'UTC',
    semantics: 'data_interval',
    ...overrides,
  };
}

const interval = (start: string, end: string, logicalDate = start): LastAutomatedRun => ({
  logicalDate,
  dataIntervalStart: start,
  dataIntervalEnd: end,
});

/** [name, settings, last run, now, expected row or null] */
type Case = [string, ScheduleSettings, LastAutomatedRun | null, string, Row | null];

const dataIntervalCron: Case[] = [
  ['first run from the start date', settings({}), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00')]],
  ['next interval follows the previous one', settings({}), interval('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'), '2024-01-10T10:00:00Z',
    [Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-03T00:00:00'), Z('2024-01-03T00:00:00')]],
  ['a start date off the schedule aligns to the next tick', settings({ startDate: '2024-01-01T06:00:00Z' }), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-03T00:00:00'), Z('2024-01-03T00:00:00')]],
  ['catchup off: the latest complete interval', settings({ catchup: false }), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-09T00:00:00'), Z('2024-01-09T00:00:00'), Z('2024-01-10T00:00:00'), Z('2024-01-10T00:00:00')]],
  ['catchup off, now on a boundary: the interval ending now', settings({ catchup: false }), null, '2024-01-10T00:00:00Z',
    [Z('2024-01-09T00:00:00'), Z('2024-01-09T00:00:00'), Z('2024-01-10T00:00:00'), Z('2024-01-10T00:00:00')]],
  ['catchup off skips missed intervals after a pause', settings({ catchup: false }), interval('2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z'),
    '2024-01-10T10:00:00Z', [Z('2024-01-09T00:00:00'), Z('2024-01-09T00:00:00'), Z('2024-01-10T00:00:00'), Z('2024-01-10T00:00:00')]],
  ['catchup off with a future start date waits for it (aligned)', settings({ catchup: false, startDate: '2024-02-01T12:00:00Z' }), null,
    '2024-01-10T10:00:00Z', [Z('2024-02-02T00:00:00'), Z('2024-02-02T00:00:00'), Z('2024-02-03T00:00:00'), Z('2024-02-03T00:00:00')]],
  ['end date is inclusive for the logical date', settings({ endDate: '2024-01-05T00:00:00Z' }), interval('2024-01-04T00:00:00Z', '2024-01-05T00:00:00Z'),
    '2024-01-10T10:00:00Z', [Z('2024-01-05T00:00:00'), Z('2024-01-05T00:00:00'), Z('2024-01-06T00:00:00'), Z('2024-01-06T00:00:00')]],
  ['end date stops the schedule', settings({ endDate: '2024-01-05T00:00:00Z' }), interval('2024-01-05T00:00:00Z', '2024-01-06T00:00:00Z'),
    '2024-01-10T10:00:00Z', null],
  ['no start date and no previous run: nothing to schedule', settings({ startDate: null }), null, '2024-01-10T10:00:00Z', null],
  ['a previous run without a data interval gets one inferred', settings({}),
    { logicalDate: '2024-01-05T00:00:00Z', dataIntervalStart: null, dataIntervalEnd: null }, '2024-01-10T10:00:00Z',
    [Z('2024-01-06T00:00:00'), Z('2024-01-06T00:00:00'), Z('2024-01-07T00:00:00'), Z('2024-01-07T00:00:00')]],
  ['epoch-ms inputs work like ISO strings', settings({ startDate: Date.UTC(2024, 0, 1) }), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00')]],
];

const presets: Case[] = [
  ['@hourly', settings({ schedule: cron('@hourly', '@hourly'), startDate: '2024-01-01T00:30:00Z' }), null, '2024-02-01T00:00:00Z',
    [Z('2024-01-01T01:00:00'), Z('2024-01-01T01:00:00'), Z('2024-01-01T02:00:00'), Z('2024-01-01T02:00:00')]],
  ['@daily given as the expression', settings({ schedule: cron('@daily', '@daily'), startDate: '2024-01-01T00:30:00Z' }), null, '2024-02-01T00:00:00Z',
    [Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-03T00:00:00'), Z('2024-01-03T00:00:00')]],
  ['@weekly runs on Sundays', settings({ schedule: cron('0 0 * * 0', '@weekly'), startDate: '2024-01-03T00:00:00Z' }), null, '2024-02-01T00:00:00Z',
    [Z('2024-01-07T00:00:00'), Z('2024-01-07T00:00:00'), Z('2024-01-14T00:00:00'), Z('2024-01-14T00:00:00')]],
  ['@monthly', settings({ schedule: cron('@monthly', '@monthly'), startDate: '2024-01-15T00:00:00Z' }), null, '2024-06-01T00:00:00Z',
    [Z('2024-02-01T00:00:00'), Z('2024-02-01T00:00:00'), Z('2024-03-01T00:00:00'), Z('2024-03-01T00:00:00')]],
  ['@quarterly', settings({ schedule: cron('@quarterly', '@quarterly'), startDate: '2024-02-10T00:00:00Z' }), null, '2024-12-01T00:00:00Z',
    [Z('2024-04-01T00:00:00'), Z('2024-04-01T00:00:00'), Z('2024-07-01T00:00:00'), Z('2024-07-01T00:00:00')]],
  ['@yearly', settings({ schedule: cron('@yearly', '@yearly'), startDate: '2024-06-01T00:00:00Z' }), null, '2026-06-01T00:00:00Z',
    [Z('2025-01-01T00:00:00'), Z('2025-01-01T00:00:00'), Z('2026-01-01T00:00:00'), Z('2026-01-01T00:00:00')]],
  ['day of month OR day of week when both are set', settings({ schedule: cron('0 0 13 * 5'), startDate: '2024-01-06T00:00:00Z' }), null,
    '2024-02-01T00:00:00Z', [Z('2024-01-12T00:00:00'), Z('2024-01-12T00:00:00'), Z('2024-01-13T00:00:00'), Z('2024-01-13T00:00:00')]],
];

const zones: Case[] = [
  ['daily in New York across spring-forward: a 23 h interval', settings({ timezone: 'America/New_York' }),
    interval('2024-03-09T05:00:00Z', '2024-03-10T05:00:00Z'), '2024-04-01T00:00:00Z',
    [Z('2024-03-10T05:00:00'), Z('2024-03-10T05:00:00'), Z('2024-03-11T04:00:00'), Z('2024-03-11T04:00:00')]],
  ['02:30 does not exist on spring-forward night: it moves to 03:30 EDT', settings({ schedule: cron('30 2 * * *'), timezone: 'America/New_York' }),
    interval('2024-03-09T07:30:00Z', '2024-03-10T07:30:00Z'), '2024-04-01T00:00:00Z',
    [Z('2024-03-10T07:30:00'), Z('2024-03-10T07:30:00'), Z('2024-03-11T06:30:00'), Z('2024-03-11T06:30:00')]],
  ['01:30 happens twice on fall-back night: the second one (EST) counts', settings({ schedule: cron('30 1 * * *'), timezone: 'America/New_York' }),
    interval('2024-11-01T05:30:00Z', '2024-11-02T05:30:00Z'), '2024-12-01T00:00:00Z',
    [Z('2024-11-02T05:30:00'), Z('2024-11-02T05:30:00'), Z('2024-11-03T06:30:00'), Z('2024-11-03T06:30:00')]],
  ['hourly cron runs in the repeated hour when clocks go back (Zurich)', settings({ schedule: cron('30 * * * *'), timezone: 'Europe/Zurich', startDate: '2023-01-01T00:00:00Z' }),
    interval('2023-10-28T23:30:00Z', '2023-10-29T00:30:00Z'), '2023-11-01T00:00:00Z',
    [Z('2023-10-29T00:30:00'), Z('2023-10-29T00:30:00'), Z('2023-10-29T01:30:00'), Z('2023-10-29T01:30:00')]],
  ['catchup off in a +05:30 zone: the latest complete local day', settings({ catchup: false, timezone: 'Asia/Kolkata' }), null,
    '2024-01-10T10:00:00Z', [Z('2024-01-08T18:30:00'), Z('2024-01-08T18:30:00'), Z('2024-01-09T18:30:00'), Z('2024-01-09T18:30:00')]],
];

const trigger = (overrides: Partial<ScheduleSettings>): ScheduleSettings => settings({ semantics: 'trigger', ...overrides });
const at = (instant: string): LastAutomatedRun => interval(instant, instant);

const triggerCases: Case[] = [
  ['first run at the start date, no data interval', trigger({}), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00')]],
  ['then the next tick', trigger({}), at('2024-01-01T00:00:00Z'), '2024-01-10T10:00:00Z',
    [Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00')]],
  ['catchup off: the latest tick at or before now', trigger({ catchup: false }), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-10T00:00:00'), Z('2024-01-10T00:00:00'), Z('2024-01-10T00:00:00'), Z('2024-01-10T00:00:00')]],
  ['catchup off after that run: the next tick', trigger({ catchup: false }), at('2024-01-10T00:00:00Z'), '2024-01-10T10:00:00Z',
    [Z('2024-01-11T00:00:00'), Z('2024-01-11T00:00:00'), Z('2024-01-11T00:00:00'), Z('2024-01-11T00:00:00')]],
  ['catchup off, future start date', trigger({ catchup: false, startDate: '2024-03-01T00:00:00Z' }), null, '2024-01-10T10:00:00Z',
    [Z('2024-03-01T00:00:00'), Z('2024-03-01T00:00:00'), Z('2024-03-01T00:00:00'), Z('2024-03-01T00:00:00')]],
  ['no start date, shortly after a tick: that tick (within 10% of the gap)', trigger({ catchup: false, startDate: null }), null,
    '2024-01-10T00:03:00Z', [Z('2024-01-10T00:00:00'), Z('2024-01-10T00:00:00'), Z('2024-01-10T00:00:00'), Z('2024-01-10T00:00:00')]],
  ['no start date, long after a tick: the next one', trigger({ catchup: false, startDate: null }), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-11T00:00:00'), Z('2024-01-11T00:00:00'), Z('2024-01-11T00:00:00'), Z('2024-01-11T00:00:00')]],
  ['no start date with catchup on behaves the same', trigger({ startDate: null }), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-11T00:00:00'), Z('2024-01-11T00:00:00'), Z('2024-01-11T00:00:00'), Z('2024-01-11T00:00:00')]],
  ['end date equal to the tick still runs', trigger({ endDate: '2024-01-05T00:00:00Z' }), at('2024-01-04T00:00:00Z'), '2024-01-10T10:00:00Z',
    [Z('2024-01-05T00:00:00'), Z('2024-01-05T00:00:00'), Z('2024-01-05T00:00:00'), Z('2024-01-05T00:00:00')]],
  ['end date stops it', trigger({ endDate: '2024-01-05T00:00:00Z' }), at('2024-01-05T00:00:00Z'), '2024-01-10T10:00:00Z', null],
  ['hourly across fall-back in Zurich runs at 02:30 CEST then 02:30 CET', trigger({ schedule: cron('30 * * * *'), timezone: 'Europe/Zurich' }),
    at('2023-10-29T00:30:00Z'), '2023-11-01T00:00:00Z',
    [Z('2023-10-29T01:30:00'), Z('2023-10-29T01:30:00'), Z('2023-10-29T01:30:00'), Z('2023-10-29T01:30:00')]],
];

const timedeltas: Case[] = [
  ['data interval: from the start date', settings({ schedule: every(3600), startDate: '2024-01-01T00:10:00Z' }), null, '2024-01-10T10:25:00Z',
    [Z('2024-01-01T00:10:00'), Z('2024-01-01T00:10:00'), Z('2024-01-01T01:10:00'), Z('2024-01-01T01:10:00')]],
  ['data interval: next', settings({ schedule: every(3600), startDate: '2024-01-01T00:10:00Z' }),
    interval('2024-01-01T00:10:00Z', '2024-01-01T01:10:00Z'), '2024-01-10T10:25:00Z',
    [Z('2024-01-01T01:10:00'), Z('2024-01-01T01:10:00'), Z('2024-01-01T02:10:00'), Z('2024-01-01T02:10:00')]],
  ['data interval, catchup off: now rounded down to the delta since the epoch, minus one', settings({ schedule: every(3600), catchup: false, startDate: '2024-01-01T00:10:00Z' }),
    null, '2024-01-10T10:25:00Z', [Z('2024-01-10T09:00:00'), Z('2024-01-10T09:00:00'), Z('2024-01-10T10:00:00'), Z('2024-01-10T10:00:00')]],
  ['data interval, catchup off with a previous run keeps its alignment', settings({ schedule: every(86400), catchup: false, startDate: '2024-01-01T00:10:00Z' }),
    interval('2024-01-08T00:10:00Z', '2024-01-09T00:10:00Z'), '2024-01-10T10:25:00Z',
    [Z('2024-01-09T00:10:00'), Z('2024-01-09T00:10:00'), Z('2024-01-10T00:10:00'), Z('2024-01-10T00:10:00')]],
  ['trigger: the start date, then every delta', settings({ schedule: every(3600), semantics: 'trigger', startDate: '2024-01-01T00:10:00Z' }),
    at('2024-01-01T00:10:00Z'), '2024-01-10T10:25:00Z',
    [Z('2024-01-01T01:10:00'), Z('2024-01-01T01:10:00'), Z('2024-01-01T01:10:00'), Z('2024-01-01T01:10:00')]],
  ['trigger, catchup off: now', settings({ schedule: every(3600), semantics: 'trigger', catchup: false, startDate: '2024-01-01T00:10:00Z' }),
    null, '2024-01-10T10:25:00Z', [Z('2024-01-10T10:25:00'), Z('2024-01-10T10:25:00'), Z('2024-01-10T10:25:00'), Z('2024-01-10T10:25:00')]],
];

const simple: Case[] = [
  ['none never schedules', settings({ schedule: { type: 'none' } }), null, '2024-01-10T10:00:00Z', null],
  ['DatasetOrTimeSchedule runs by its timetable (airflow/timetables/datasets.py)', settings({ schedule: { type: 'assets', assets: ['s3://bucket/x'], condition: { type: 'dataset', uri: 's3://bucket/x' }, timetable: { type: 'cron', expression: '0 0 * * *', preset: '@daily' } }, startDate: '2024-01-01T00:30:00Z' }),
    null, '2024-02-01T00:00:00Z', [Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-03T00:00:00'), Z('2024-01-03T00:00:00')]],
  ['assets never schedule by time', settings({ schedule: { type: 'assets', assets: ['s3://bucket/x'], condition: { type: 'dataset', uri: 's3://bucket/x' }, timetable: null } }), null, '2024-01-10T10:00:00Z', null],
  ['@once runs at the start date', settings({ schedule: { type: 'once' }, catchup: false }), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00')]],
  ['@once runs only once', settings({ schedule: { type: 'once' } }), at('2024-01-01T00:00:00Z'), '2024-01-10T10:00:00Z', null],
  ['@once without a start date runs now', settings({ schedule: { type: 'once' }, startDate: null }), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-10T10:00:00'), Z('2024-01-10T10:00:00'), Z('2024-01-10T10:00:00'), Z('2024-01-10T10:00:00')]],
  ['@once after its end date never runs', settings({ schedule: { type: 'once' }, endDate: '2023-12-31T00:00:00Z' }), null, '2024-01-10T10:00:00Z', null],
  ['@continuous first run spans start date to now', settings({ schedule: { type: 'continuous' } }), null, '2024-01-10T10:00:00Z',
    [Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00'), Z('2024-01-10T10:00:00'), Z('2024-01-10T10:00:00')]],
  ['@continuous next run spans the previous end to now', settings({ schedule: { type: 'continuous' } }),
    interval('2024-01-10T08:00:00Z', '2024-01-10T09:00:00Z'), '2024-01-10T10:00:00Z',
    [Z('2024-01-10T09:00:00'), Z('2024-01-10T09:00:00'), Z('2024-01-10T10:00:00'), Z('2024-01-10T10:00:00')]],
  ['@continuous with a future start date waits for it', settings({ schedule: { type: 'continuous' }, startDate: '2024-02-01T00:00:00Z' }), null,
    '2024-01-10T10:00:00Z', [Z('2024-02-01T00:00:00'), Z('2024-02-01T00:00:00'), Z('2024-02-01T00:00:00'), Z('2024-02-01T00:00:00')]],
  ['@continuous stops at the end date', settings({ schedule: { type: 'continuous' }, endDate: '2024-01-05T00:00:00Z' }), null, '2024-01-10T10:00:00Z', null],
  ['CronTriggerTimetable with a one-hour interval in Tokyo', settings({
    schedule: { type: 'timetable', className: 'airflow.timetables.trigger.CronTriggerTimetable', summary: '0 9 * * *',
      args: { expression: '0 9 * * *', timezone: 'Asia/Tokyo', interval: 3600 } },
    startDate: '2024-01-01T00:00:00Z' }), null, '2024-01-10T10:00:00Z',
    [Z('2023-12-31T23:00:00'), Z('2023-12-31T23:00:00'), Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00')]],
  ['MultipleCronTriggerTimetable takes the earliest tick', settings({
    schedule: { type: 'timetable', className: 'MultipleCronTriggerTimetable', summary: null,
      args: { expressions: ['0 12 * * *', '0 6 * * *'], timezone: 'UTC', interval: 0 } } }),
    at('2024-01-01T12:00:00Z'), '2024-01-10T10:00:00Z',
    [Z('2024-01-02T06:00:00'), Z('2024-01-02T06:00:00'), Z('2024-01-02T06:00:00'), Z('2024-01-02T06:00:00')]],
];

describe('nextDagRunInfo', () => {
  for (const [group, cases] of [
    ['cron, data intervals (Airflow 2 default)', dataIntervalCron],
    ['cron presets', presets],
    ['cron in time zones with DST', zones],
    ['cron, trigger semantics (Airflow 3 default)', triggerCases],
    ['timedelta', timedeltas],
    ['none, assets, once, continuous, timetable classes', simple],
  ] as const) {
    describe(group, () => {
      it.each(cases)('%s', (_name, dag, last, now, expected) => {
        expect(row(nextDagRunInfo(dag, last, now))).toEqual(expected);
      });
    });
  }

  it('refuses a cron expression it cannot read, naming it', () => {
    expect(() => nextDagRunInfo(settings({ schedule: cron('61 * * * *') }), null, 0)).toThrow(/"61 \* \* \* \*" is not valid/);
    expect(() => nextDagRunInfo(settings({ schedule: cron('0 0 * *') }), null, 0)).toThrow(/expected 5 fields/);
  });

  it('refuses an unknown time zone and a zone-less instant', () => {
    expect(() => nextDagRunInfo(settings({ timezone: 'Mars/Olympus' }), null, 0)).toThrow(/"Mars\/Olympus" is not a known IANA time zone/);
    expect(() => nextDagRunInfo(settings({ startDate: '2024-01-01T00:00:00' }), null, 0)).toThrow(/startDate: .* with a zone/);
  });

  it('refuses a timetable class it does not implement', () => {
    const schedule: Schedule = { type: 'timetable', className: 'my_plugin.WorkdayTimetable', summary: null, args: {} };
    expect(() => nextDagRunInfo(settings({ schedule }), null, 0)).toThrow(/my_plugin.WorkdayTimetable is not supported/);
  });

  it('walks a year of an hourly Berlin schedule with strictly increasing, contiguous intervals', () => {
    const dag = settings({ schedule: cron('15 * * * *'), timezone: 'Europe/Berlin', startDate: '2024-01-01T00:00:00Z' });
    let last: LastAutomatedRun | null = null;
    let count = 0;
    let previousEnd: number | null = null;
    for (;;) {
      const info = nextDagRunInfo(dag, last, 0);
      if (info === null || info.logicalDate >= Date.UTC(2025, 0, 1)) break;
      if (previousEnd !== null) expect(info.dataIntervalStart).toBe(previousEnd);
      expect(info.dataIntervalEnd - info.dataIntervalStart).toBe(3_600_000);
      previousEnd = info.dataIntervalEnd;
      last = { logicalDate: info.logicalDate, dataIntervalStart: info.dataIntervalStart, dataIntervalEnd: info.dataIntervalEnd };
      count += 1;
    }
    // 2024 is a leap year: 366 days of 24 hourly runs; DST changes neither add nor drop a run.
    expect(count).toBe(366 * 24);
  });
});

describe('manualRunInfo', () => {
  it.each([
    ['daily data interval: the last complete day before the logical date', settings({}), '2024-01-25T01:00:00Z',
      [Z('2024-01-25T01:00:00'), Z('2024-01-24T00:00:00'), Z('2024-01-25T00:00:00'), Z('2024-02-01T00:00:00')]],
    ['daily data interval, logical date on the boundary', settings({}), '2024-01-25T00:00:00Z',
      [Z('2024-01-25T00:00:00'), Z('2024-01-24T00:00:00'), Z('2024-01-25T00:00:00'), Z('2024-02-01T00:00:00')]],
    ['timedelta data interval: one delta back', settings({ schedule: every(3600) }), '2024-01-25T10:25:00Z',
      [Z('2024-01-25T10:25:00'), Z('2024-01-25T09:25:00'), Z('2024-01-25T10:25:00'), Z('2024-02-01T00:00:00')]],
    ['trigger semantics: the instant itself', settings({ semantics: 'trigger' }), '2024-01-25T01:00:00Z',
      [Z('2024-01-25T01:00:00'), Z('2024-01-25T01:00:00'), Z('2024-01-25T01:00:00'), Z('2024-02-01T00:00:00')]],
    ['no schedule: the instant itself', settings({ schedule: { type: 'none' } }), '2024-01-25T01:00:00Z',
      [Z('2024-01-25T01:00:00'), Z('2024-01-25T01:00:00'), Z('2024-01-25T01:00:00'), Z('2024-02-01T00:00:00')]],
    ['no logical date (Airflow 3): no data interval', settings({}), null, [null, null, null, Z('2024-02-01T00:00:00')]],
  ] as const)('%s', (_name, dag, logicalDate, expected) => {
    expect(manualRow(manualRunInfo(dag, logicalDate, '2024-02-01T00:00:00Z'))).toEqual(expected);
  });
});

describe('backfillRunInfos', () => {
  const logicalDates = (infos: DagRunInfo[]): string[] => infos.map((info) => formatInstant(info.logicalDate));

  it('lists every logical date in the range, both ends inclusive', () => {
    expect(logicalDates(backfillRunInfos(settings({}), '2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z'))).toEqual([
      Z('2024-01-01T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-03T00:00:00'),
    ]);
  });

  it('aligns a start off the schedule and works the same with trigger semantics', () => {
    expect(logicalDates(backfillRunInfos(settings({ semantics: 'trigger' }), '2024-01-01T12:00:00Z', '2024-01-03T00:00:00Z'))).toEqual([
      Z('2024-01-02T00:00:00'), Z('2024-01-03T00:00:00'),
    ]);
  });

  it('leaves out intervals that have not ended, newest first when reversed', () => {
    const infos = backfillRunInfos(settings({}), null, '2024-01-03T00:00:00Z', { now: '2024-01-03T12:00:00Z', reverse: true });
    expect(infos.map(row)).toEqual([
      [Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-03T00:00:00'), Z('2024-01-03T00:00:00')],
      [Z('2024-01-01T00:00:00'), Z('2024-01-01T00:00:00'), Z('2024-01-02T00:00:00'), Z('2024-01-02T00:00:00')],
    ]);
  });

  it('ignores catchup=false (a backfill always catches up)', () => {
    expect(backfillRunInfos(settings({ catchup: false, schedule: every(43200) }), '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')).toHaveLength(3);
  });

  it('gives nothing for schedules without time-based runs, and refuses @continuous and runaway ranges', () => {
    expect(backfillRunInfos(settings({ schedule: { type: 'none' } }), '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z')).toEqual([]);
    expect(() => backfillRunInfos(settings({ schedule: { type: 'continuous' } }), '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z')).toThrow(/@continuous/);
    expect(() => backfillRunInfos(settings({ schedule: cron('* * * * *') }), '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z', { maxRuns: 100 })).toThrow(
      /more than 100 runs/,
    );
  });
});

describe('defaultSemantics', () => {
  it('maps Airflow 2 style files to data intervals and Airflow 3 style files to trigger semantics', () => {
    expect([defaultSemantics(2), defaultSemantics(3)]).toEqual(['data_interval', 'trigger']);
  });
});

describe('nextDataIntervalAfter (LatestOnlyOperator window, Airflow 2.10.5 airflow/operators/latest_only.py)', () => {
  const daily = (catchup: boolean): ScheduleSettings => settings({ startDate: '2030-01-01T00:00:00Z', catchup });
  it('is the interval after the run, unrestricted by start date or catchup (restricted=False)', () => {
    const next = nextDataIntervalAfter(daily(false), { logicalDate: '2024-06-03T00:00:00Z', dataIntervalStart: '2024-06-03T00:00:00Z', dataIntervalEnd: '2024-06-04T00:00:00Z' });
    expect(next).toEqual({ start: Date.parse('2024-06-04T00:00:00Z'), end: Date.parse('2024-06-05T00:00:00Z') });
  });
  it('is null for a run without a logical date', () => {
    expect(nextDataIntervalAfter(daily(true), { logicalDate: null, dataIntervalStart: null, dataIntervalEnd: null })).toBeNull();
  });
  it('follows the inferred interval of a manual run (DAG.test): a run at 16:40 covers yesterday, the window is today', () => {
    const now = '2026-12-02T16:40:00Z';
    const run = manualRunInfo(daily(false), now, now);
    const next = nextDataIntervalAfter(daily(false), run);
    expect(next).toEqual({ start: Date.parse('2026-12-02T00:00:00Z'), end: Date.parse('2026-12-03T00:00:00Z') });
    expect(next!.start < Date.parse(now) && Date.parse(now) <= next!.end).toBe(true);
  });
  it('is null without a schedule and after @once (their timetables have no next run)', () => {
    const run = { logicalDate: '2024-06-03T00:00:00Z', dataIntervalStart: '2024-06-03T00:00:00Z', dataIntervalEnd: '2024-06-03T00:00:00Z' };
    expect(nextDataIntervalAfter(settings({ schedule: { type: 'none' } }), run)).toBeNull();
    expect(nextDataIntervalAfter(settings({ schedule: { type: 'once' } }), run)).toBeNull();
  });
});
