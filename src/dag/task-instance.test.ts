import { describe, expect, it } from 'vitest';
import { decideRun } from './decide.js';
import { dagOf, task } from './spec-fixtures.js';
import { compareTi, keyOf, newTaskInstance, tiKey } from './task-instance.js';

describe('task-instance keys', () => {
  it.each([
    ['load', -1, 'load'],
    ['g.load', 3, 'g.load[3]'],
  ])('%s / %i -> %s', (taskId, mapIndex, key) => {
    expect(tiKey(taskId, mapIndex)).toBe(key);
  });

  it('sorts by task then map index', () => {
    const tis = [newTaskInstance('b', 1, 0), newTaskInstance('a', -1, 0), newTaskInstance('b', 0, 0)];
    expect([...tis].sort(compareTi).map(keyOf)).toEqual(['a', 'b[0]', 'b[1]']);
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
