import { describe, expect, it } from 'vitest';
import { jsonParam, msParam, msToAirflowIso, textParam, toMs, toMsOrNull } from './rows.js';

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

describe('NUL characters', () => {
  it('become U+FFFD in jsonb parameters, and a literal backslash-u0000 text stays as it is', () => {
    expect(JSON.parse(jsonParam({ a: 'x\u0000y', b: ['\u0000\u0000'], c: '\\u0000', d: '\\\u0000' }))).toEqual({
      a: 'x\ufffdy',
      b: ['\ufffd\ufffd'],
      c: '\\u0000',
      d: '\\\ufffd',
    });
    expect(jsonParam(undefined)).toBe('null');
  });

  it('become U+FFFD in text parameters', () => {
    expect(textParam('a\u0000b\u0000')).toBe('a\ufffdb\ufffd');
    expect(textParam(null)).toBeNull();
  });
});
