import { describe, expect, it } from 'vitest';
import { decideRun } from './decide.js';
import { dagOf, task } from './spec-fixtures.js';
import { compareTi, fullTiKey, groupByTask, keyOf, newTaskInstance, parseTiKey, tiKey } from './task-instance.js';

describe('task-instance keys', () => {
  it.each([
    ['load', -1, 'load'],
    ['g.load', 3, 'g.load[3]'],
  ])('%s / %i -> %s and back', (taskId, mapIndex, key) => {
    expect(tiKey(taskId, mapIndex)).toBe(key);
    expect(parseTiKey(key)).toEqual({ taskId, mapIndex });
  });

  it('builds the full key and sorts by task then map index', () => {
    expect(fullTiKey('etl', 'manual__x', 'load', 0)).toBe('etl/manual__x/load[0]');
    const tis = [newTaskInstance('b', 1, 0), newTaskInstance('a', -1, 0), newTaskInstance('b', 0, 0)];
    expect([...tis].sort(compareTi).map(keyOf)).toEqual(['a', 'b[0]', 'b[1]']);
    expect([...groupByTask(tis).entries()].map(([id, list]) => [id, list.map((t) => t.mapIndex)])).toEqual([
      ['b', [0, 1]],
      ['a', [-1]],
    ]);
    expect(parseTiKey('')).toBeNull();
  });
});

describe('up_for_reschedule', () => {
  const dag = dagOf([task('sensor', { kind: 'sensor' })]);
  const base = { taskId: 'sensor', mapIndex: -1, state: 'up_for_reschedule' as const, tryNumber: 1, maxTries: 0, startDate: null, endDate: null };

  it('waits until the reschedule time, then schedules the same try', () => {
    const early = decideRun({ dag, tis: [{ ...base, rescheduleAt: 2_000 }], now: 1_999 });
    expect(early.changes).toEqual([]);
    expect(early.waiting[0]?.reason).toBe('sensor rescheduled: next poke at 1970-01-01T00:00:02.000Z');
    const due = decideRun({ dag, tis: [{ ...base, rescheduleAt: 2_000 }], now: 2_000 });
    expect(due.changes).toEqual([
      { kind: 'transition', taskId: 'sensor', mapIndex: -1, from: 'up_for_reschedule', to: 'scheduled', reason: 'up for reschedule: time reached', tryNumber: 1 },
    ]);
  });
});
