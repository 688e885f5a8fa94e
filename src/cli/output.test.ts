import { describe, expect, it } from 'vitest';
import { formatSeconds, renderTable } from './output.js';

describe('formatSeconds', () => {
  it.each([
    [null, '-'],
    [0.5, '0.50s'],
    [12.34, '12.3s'],
    [59.96, '60.0s'],
    [65, '1m05s'],
    [599.6, '10m00s'],
    [3_725, '1h02m'],
  ])('%s -> %s', (input, expected) => {
    expect(formatSeconds(input)).toBe(expected);
  });
});

describe('renderTable', () => {
  it('aligns columns, upper-cases headers and prints empty cells as -', () => {
    expect(renderTable(['task', 'state'], [['extract', 'success'], ['t', null]])).toEqual(['TASK     STATE', 'extract  success', 't        -']);
  });
});
