import { describe, expect, it } from 'vitest';
import { generateRunId, isValidKey, isValidRunId, keyProblem, pythonIsoUtc, runIdProblem, safePathSegment } from './ids.js';

describe('dag_id / task_id', () => {
  it.each([
    ['etl', true],
    ['group.task-1_x', true],
    ['a'.repeat(250), true],
    ['a'.repeat(251), false],
    ['', false],
    ['has space', false],
    ['slash/no', false],
    // Airflow's \w is Unicode (Python's re): letters with accents are letters (schemas/airflow-facts.json).
    ['ünïcode', true],
  ])('%j valid: %s', (id, ok) => {
    expect(isValidKey(id)).toBe(ok);
  });

  it('explains a bad key', () => {
    expect(keyProblem('a b', 'task_id')).toBe('task_id "a b" may contain only letters, digits, underscores, dots and dashes');
  });
});

describe('run_id', () => {
  it.each([
    ['manual__2024-01-01T00:00:00+00:00', null],
    ['scheduled__2024-01-01T00:00:00.123000+00:00', null],
    ['my_run:1~2+3', null],
    ['', 'run_id is empty'],
    ['a/b', 'run_id "a/b" may not contain a path separator'],
    ['a\\b', 'run_id "a\\\\b" may not contain a path separator'],
    ['..', 'run_id ".." may not contain ".."'],
    ['x..y', 'run_id "x..y" may not contain ".."'],
    ['with space', 'run_id "with space" may contain only letters, digits and _ . ~ : + -'],
    ['r'.repeat(251), 'run_id is longer than 250 characters'],
  ])('%j -> %j', (runId, problem) => {
    expect(runIdProblem(runId)).toBe(problem);
    expect(isValidRunId(runId)).toBe(problem === null);
  });
});

describe('generateRunId', () => {
  it('formats like Python isoformat in UTC', () => {
    expect(pythonIsoUtc('2024-03-10T02:30:00-05:00')).toBe('2024-03-10T07:30:00+00:00');
    expect(pythonIsoUtc(Date.UTC(2024, 0, 1, 0, 0, 0, 5))).toBe('2024-01-01T00:00:00.005000+00:00');
    expect(() => pythonIsoUtc('nope')).toThrow(RangeError);
  });

  it.each([
    ['manual', '2024-01-01T00:00:00+00:00', 'manual__2024-01-01T00:00:00+00:00'],
    ['scheduled', '2024-01-02T00:00:00Z', 'scheduled__2024-01-02T00:00:00+00:00'],
    ['backfill', '2024-01-03T00:00:00+00:00', 'backfill__2024-01-03T00:00:00+00:00'],
  ] as const)('%s', (type, date, expected) => {
    expect(generateRunId(type, date)).toBe(expected);
    expect(isValidRunId(expected)).toBe(true);
  });

  it('uses run_after and a suffix without a logical date', () => {
    expect(generateRunId('manual', null, '2024-01-01T00:00:00Z', 'ab12')).toBe('manual__2024-01-01T00:00:00+00:00_ab12');
    expect(() => generateRunId('manual', null)).toThrow(RangeError);
  });
});

describe('safePathSegment', () => {
  it.each([
    ['etl', 'etl'],
    ['manual__2024-01-01T00:00:00+00:00', 'manual__2024-01-01T00%3A00%3A00%2B00%3A00'],
    ['..', '%2E%2E'],
    ['.', '%2E'],
    ['a/b', 'a%2Fb'],
    ['a%2Fb', 'a%252Fb'],
    ['é', '%C3%A9'],
    ['', '%'],
  ])('%j -> %j', (id, expected) => {
    expect(safePathSegment(id)).toBe(expected);
    expect(safePathSegment(id)).not.toContain('/');
  });
});
