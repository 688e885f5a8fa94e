import { describe, expect, it } from 'vitest';
import { msParam, msToAirflowIso, toMs, toMsOrNull } from './rows.js';

describe('msToAirflowIso', () => {
  it.each([
    [Date.UTC(2024, 0, 1), '2024-01-01T00:00:00+00:00'],
    [Date.UTC(2024, 4, 1, 8, 30, 0, 250), '2024-05-01T08:30:00.250000+00:00'],
    [Date.UTC(1999, 11, 31, 23, 59, 59, 1), '1999-12-31T23:59:59.001000+00:00'],
  ])('formats %i as Python isoformat() in UTC', (ms, iso) => {
    expect(msToAirflowIso(ms)).toBe(iso);
    expect(Date.parse(iso)).toBe(ms);
  });
});

describe('time conversions', () => {
  it('reads Date, ISO strings (from to_jsonb) and numbers as epoch ms', () => {
    const ms = Date.UTC(2024, 0, 1, 12, 0, 0, 123);
    expect(toMs(new Date(ms))).toBe(ms);
    expect(toMs('2024-01-01T12:00:00.123+00:00')).toBe(ms);
    expect(toMs(ms)).toBe(ms);
    expect(toMsOrNull(null)).toBeNull();
    expect(toMsOrNull(undefined)).toBeNull();
    expect(() => toMs({})).toThrow('not a timestamp');
  });

  it('passes epoch ms to pg as Date, keeping null', () => {
    expect(msParam(5)).toEqual(new Date(5));
    expect(msParam(null)).toBeNull();
    expect(msParam(undefined)).toBeNull();
  });
});
