import { describe, expect, it } from 'vitest';
import { closestNames, didYouMean, editDistance } from './did-you-mean.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0], ['abc', 'abc', 0], ['abc', 'ab', 1], ['abc', 'abd', 1], ['abc', 'acb', 1], ['kitten', 'sitting', 3], ['', 'xyz', 3],
  ])('%s -> %s is %d', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
  });
});

describe('closestNames', () => {
  const dags = ['example_bash_operator', 'example_branch_operator', 'tutorial', 'tutorial_taskflow_api', 'etl_daily'];

  it('offers the DAG a typo was meant for, closest first', () => {
    expect(closestNames('example_bash_operater', dags)).toEqual(['example_bash_operator', 'example_branch_operator']);
    expect(closestNames('tutorail', dags)).toEqual(['tutorial']);
  });

  it('ignores case and dash/underscore differences', () => {
    expect(closestNames('ETL-daily', dags)).toEqual(['etl_daily']);
  });

  it('offers names that contain what was typed', () => {
    expect(closestNames('taskflow', dags)).toEqual(['tutorial_taskflow_api']);
  });

  it('offers nothing for an unrelated name or a very short one', () => {
    expect(closestNames('ingest_orders', dags)).toEqual([]);
    expect(closestNames('x', dags)).toEqual([]);
  });
});

describe('didYouMean', () => {
  it('phrases one, two or three names', () => {
    expect(didYouMean('tutorail', ['tutorial'])).toBe('; did you mean "tutorial"?');
    expect(didYouMean('load_a', ['load_b', 'load_c'])).toBe('; did you mean "load_b" or "load_c"?');
    expect(didYouMean('zzz', ['tutorial'])).toBe('');
  });
});
