import { describe, expect, it } from 'vitest';
import { formatInstant, formatPythonDatetime, parseInstant, parseOptionalInstant, secondsToMs } from './durations.js';

describe('parseInstant', () => {
  it.each([
    ['2024-01-01T00:00:00+00:00', Date.UTC(2024, 0, 1)],
    ['2024-01-01T00:00:00Z', Date.UTC(2024, 0, 1)],
    ['2024-01-01 01:30:00+01:30', Date.UTC(2024, 0, 1)],
    ['2024-01-01T00:00:00.123456-05:00', Date.UTC(2024, 0, 1, 5, 0, 0, 123)],
    ['2024-02-29T23:59:59+0000', Date.UTC(2024, 1, 29, 23, 59, 59)],
    ['2024-01-01T00:00+02', Date.UTC(2023, 11, 31, 22)],
    [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1)],
  ])('%j', (input, expected) => {
    expect(parseInstant(input)).toBe(expected);
  });

  it.each([
    ['2024-01-01T00:00:00', /with a zone/],
    ['2023-02-29T00:00:00Z', /out of range/],
    ['2024-01-01T24:00:00Z', /out of range/],
    ['yesterday', /with a zone/],
  ])('refuses %j, naming the field', (input, why) => {
    expect(() => parseInstant(input, 'startDate')).toThrow(/^startDate: /);
    expect(() => parseInstant(input, 'startDate')).toThrow(why);
  });

  it('keeps null as null', () => {
    expect(parseOptionalInstant(null, 'endDate')).toBeNull();
  });
});

describe('formatting', () => {
  it('prints the contract form and the Python str() form', () => {
    expect(formatInstant(Date.UTC(2024, 0, 1))).toBe('2024-01-01T00:00:00+00:00');
    expect(formatInstant(Date.UTC(2024, 0, 1, 2, 3, 4, 5))).toBe('2024-01-01T02:03:04.005000+00:00');
    expect(formatPythonDatetime(Date.UTC(2024, 0, 1))).toBe('2024-01-01 00:00:00+00:00');
  });

  it('converts bundle seconds to milliseconds', () => {
    expect([secondsToMs(300), secondsToMs(0.0015), secondsToMs(86400)]).toEqual([300_000, 2, 86_400_000]);
  });
});
