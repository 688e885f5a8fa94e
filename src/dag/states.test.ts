import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../lib/errors.js';
import {
  DAG_RUN_STATES,
  FINISHED_STATES,
  TASK_INSTANCE_STATES,
  UNFINISHED_STATES,
  assertDagRunTransition,
  assertTransition,
  canTransition,
  canTransitionDagRun,
  type TaskInstanceState,
} from './states.js';

/*
 * The full task-instance transition matrix. Row = from, columns in TASK_INSTANCE_STATES order:
 * none scheduled queued running success failed up_for_retry up_for_reschedule upstream_failed skipped removed restarting
 * `1` legal, `.` illegal. Every state but removed may become skipped: Airflow 2.10.5's
 * SkipMixin._set_state_to_skipped (airflow/models/skipmixin.py) updates task instances whatever their state.
 */
const MATRIX = `
none              .1..11..111.
scheduled         1.1.11...11.
queued            11.111...11.
running           .1..1111.111
success           1....1...11.
failed            1...1....11.
up_for_retry      11..11..111.
up_for_reschedule 11..11..111.
upstream_failed   1...11...11.
skipped           1...11....1.
removed           1...........
restarting        1...111..11.
`;

describe('task-instance transitions', () => {
  const rows = MATRIX.trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/) as [TaskInstanceState, string]);

  it('has one row per state', () => {
    expect(rows.map(([from]) => from)).toEqual([...TASK_INSTANCE_STATES]);
  });

  for (const [from, cells] of rows) {
    it(`from ${from}`, () => {
      const got = TASK_INSTANCE_STATES.map((to) => (canTransition(from, to) ? '1' : '.')).join('');
      expect(got).toBe(cells);
      TASK_INSTANCE_STATES.forEach((to, i) => {
        if (cells[i] === '1') {
          expect(() => assertTransition('d/r/t/-1', from, to)).not.toThrow();
        } else {
          expect(() => assertTransition('d/r/t/-1', from, to)).toThrow(IllegalTransitionError);
        }
      });
    });
  }

  it('names the subject and the states in the error', () => {
    expect(() => assertTransition('etl/manual__x/load/-1', 'success', 'running')).toThrow(
      'etl/manual__x/load/-1: illegal state transition success -> running',
    );
  });

  it('filters by actor', () => {
    expect(canTransition('running', 'scheduled', 'lease')).toBe(true);
    expect(canTransition('running', 'scheduled', 'worker')).toBe(false);
    expect(canTransition('none', 'scheduled', 'user')).toBe(false);
    expect(canTransition('success', 'none', 'user')).toBe(true);
    expect(canTransition('running', 'none', 'user')).toBe(false);
    expect(canTransition('running', 'restarting', 'user')).toBe(true);
    // Airflow 2.10.5's UpdateTaskState: a user may set skipped, but not on a removed instance.
    expect(canTransition('success', 'skipped', 'user')).toBe(true);
    expect(canTransition('removed', 'skipped', 'user')).toBe(false);
  });

  it('partitions states into finished and unfinished like Airflow', () => {
    expect([...FINISHED_STATES].sort()).toEqual(['failed', 'removed', 'skipped', 'success', 'upstream_failed']);
    expect([...UNFINISHED_STATES].sort()).toEqual(['none', 'queued', 'restarting', 'running', 'scheduled', 'up_for_reschedule', 'up_for_retry']);
    for (const state of TASK_INSTANCE_STATES) expect(FINISHED_STATES.has(state) !== UNFINISHED_STATES.has(state)).toBe(true);
  });
});

describe('DAG-run transitions', () => {
  // Columns: queued running success failed.
  const MATRIX_RUN: Record<string, string> = {
    queued: '.111',
    running: '1.11',
    success: '1..1',
    failed: '1.1.',
  };
  for (const from of DAG_RUN_STATES) {
    it(`from ${from}`, () => {
      expect(DAG_RUN_STATES.map((to) => (canTransitionDagRun(from, to) ? '1' : '.')).join('')).toBe(MATRIX_RUN[from]);
    });
  }
  it('throws on an illegal one', () => {
    expect(() => assertDagRunTransition('etl/r1', 'success', 'running')).toThrow(IllegalTransitionError);
  });
});
