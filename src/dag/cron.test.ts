import { describe, expect, it } from 'vitest';
import { cronAlignToNext, cronAlignToPrev, cronNext, cronPrev, parseCron } from './cron.js';
import { formatInstant } from './durations.js';
import { fromNaive, toNaive, utcOffsetMs } from './schedule-timezone.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => formatInstant(ms);

describe('time zones', () => {
  it.each([
    ['UTC', '2024-07-01T00:00:00Z', 0],
    ['+05:30', '2024-07-01T00:00:00Z', 330],
    ['-03:00', '2024-07-01T00:00:00Z', -180],
    ['Europe/Amsterdam', '2024-01-15T00:00:00Z', 60],
    ['Europe/Amsterdam', '2024-07-15T00:00:00Z', 120],
    ['America/New_York', '2024-03-10T06:59:59Z', -300],
    ['America/New_York', '2024-03-10T07:00:00Z', -240],
    ['Australia/Lord_Howe', '2024-01-15T00:00:00Z', 660],
  ])('%s at %s is UTC%+d min', (zone, instant, minutes) => {
    expect(utcOffsetMs(zone, at(instant))).toBe(minutes * 60_000);
  });

  it.each([
    ['a plain time', 'Europe/Amsterdam', '2024-07-15T12:00:00Z', '2024-07-15T10:00:00+00:00'],
    ['a time skipped by spring-forward moves forward by the gap', 'America/New_York', '2024-03-10T02:30:00Z', '2024-03-10T07:30:00+00:00'],
    ['a repeated time takes the second occurrence (fold=1)', 'America/New_York', '2024-11-03T01:30:00Z', '2024-11-03T06:30:00+00:00'],
    ['Lord Howe repeats half an hour', 'Australia/Lord_Howe', '2024-04-07T01:45:00Z', '2024-04-06T15:15:00+00:00'],
  ])('wall time to instant: %s', (_name, zone, naive, expected) => {
    expect(iso(fromNaive(zone, at(naive)))).toBe(expected);
  });

  it('round-trips wall time for ordinary instants', () => {
    const instant = at('2024-05-05T05:05:05Z');
    expect(fromNaive('Asia/Kathmandu', toNaive('Asia/Kathmandu', instant))).toBe(instant);
  });
});

describe('parseCron', () => {
  it('expands presets and knows when a cron covers every hour', () => {
    expect(parseCron('@daily', 'UTC').expression).toBe('0 0 * * *');
    expect(parseCron('@quarterly', 'UTC').expression).toBe('0 0 1 */3 *');
    expect(parseCron('@hourly', 'UTC').coversEveryHour).toBe(true);
    expect(parseCron('*/5 0-23 * * *', 'UTC').coversEveryHour).toBe(true);
    expect(parseCron('0 */2 * * *', 'UTC').coversEveryHour).toBe(false);
  });

  it('reads croniter six-field expressions with seconds last', () => {
    const cron = parseCron('0 0 * * * 30', 'UTC');
    expect(iso(cronNext(cron, at('2024-01-01T00:00:00Z')))).toBe('2024-01-01T00:00:30+00:00');
  });

  it.each([
    ['H * * * *', /hashed values/],
    ['@fortnightly', /unknown preset/],
    ['* * * *', /expected 5 fields/],
    ['0 0 32 * *', /not valid/],
  ])('refuses %j', (expression, why) => {
    expect(() => parseCron(expression, 'UTC')).toThrow(why);
  });

  it('accepts THU as a day name', () => {
    expect(iso(cronNext(parseCron('0 0 * * THU', 'UTC'), at('2024-01-01T00:00:00Z')))).toBe('2024-01-04T00:00:00+00:00');
  });
});

describe('cron steps (Airflow CronMixin)', () => {
  const daily = parseCron('0 0 * * *', 'UTC');
  it.each([
    ['next is strictly after', cronNext, '2024-01-01T00:00:00Z', '2024-01-02T00:00:00+00:00'],
    ['prev is strictly before', cronPrev, '2024-01-01T00:00:00Z', '2023-12-31T00:00:00+00:00'],
    ['prev from inside a day', cronPrev, '2024-01-01T00:00:00.500Z', '2024-01-01T00:00:00+00:00'],
    ['align to next keeps a tick', cronAlignToNext, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00+00:00'],
    ['align to next moves off-tick times forward', cronAlignToNext, '2024-01-01T06:00:00Z', '2024-01-02T00:00:00+00:00'],
    ['align to prev keeps a tick', cronAlignToPrev, '2024-01-02T00:00:00Z', '2024-01-02T00:00:00+00:00'],
    ['align to prev moves off-tick times back', cronAlignToPrev, '2024-01-02T06:00:00Z', '2024-01-02T00:00:00+00:00'],
  ] as const)('%s', (_name, step, from, expected) => {
    expect(iso(step(daily, at(from)))).toBe(expected);
  });

  it('steps hourly crons through a repeated hour by elapsed time (Zurich, 2023-10-29)', () => {
    const cron = parseCron('30 * * * *', 'Europe/Zurich');
    const ticks: string[] = [];
    let t = at('2023-10-28T23:00:00Z');
    for (let i = 0; i < 4; i++) ticks.push(iso((t = cronNext(cron, t))));
    expect(ticks).toEqual(['2023-10-28T23:30:00+00:00', '2023-10-29T00:30:00+00:00', '2023-10-29T01:30:00+00:00', '2023-10-29T02:30:00+00:00']);
    expect(iso(cronPrev(cron, at('2023-10-29T02:30:00Z')))).toBe('2023-10-29T01:30:00+00:00');
  });

  it('steps a two-hourly cron by wall clock across the same night', () => {
    const cron = parseCron('0 */2 * * *', 'Europe/Zurich');
    expect(iso(cronNext(cron, at('2023-10-28T22:00:00Z')))).toBe('2023-10-29T01:00:00+00:00');
  });
});
