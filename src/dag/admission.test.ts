import { describe, expect, it } from 'vitest';
import {
  admitTaskInstances,
  describeAdmissionReason,
  type ActiveCount,
  type AdmissionCandidate,
  type AdmissionInput,
  type PoolCapacity,
} from './admission.js';

function ti(id: string, overrides: Partial<AdmissionCandidate> = {}): AdmissionCandidate {
  return {
    dagId: 'etl',
    runId: 'r1',
    taskId: id,
    mapIndex: -1,
    priorityWeight: 1,
    pool: 'default_pool',
    poolSlots: 1,
    queue: 'default',
    logicalDate: '2024-01-01T00:00:00+00:00',
    maxActiveTasks: 16,
    maxActiveTisPerDag: null,
    maxActiveTisPerDagrun: null,
    ...overrides,
  };
}

const label = (c: AdmissionCandidate): string => `${c.dagId}.${c.taskId}@${c.runId}${c.mapIndex >= 0 ? `[${c.mapIndex}]` : ''}`;

function decide(
  candidates: AdmissionCandidate[],
  options: { pools?: PoolCapacity[]; active?: ActiveCount[]; maxToAdmit?: number; scope?: AdmissionInput['maxActiveTasksScope'] } = {},
) {
  const decision = admitTaskInstances({
    candidates,
    pools: options.pools ?? [{ name: 'default_pool', slots: 128, occupiedSlots: 0 }],
    active: options.active ?? [],
    maxToAdmit: options.maxToAdmit ?? 32,
    maxActiveTasksScope: options.scope ?? 'dag_run',
  });
  return {
    admitted: decision.admitted.map(label),
    rejected: decision.rejected.map((r) => [label(r.candidate), r.reason.kind, r.skippedByEarlierCheck] as const),
    reasons: Object.fromEntries(decision.rejected.map((r) => [label(r.candidate), r.message])),
  };
}

describe('admitTaskInstances: order', () => {
  it('takes priority weight first, then logical date (none last), then map index', () => {
    const result = decide([
      ti('low', { priorityWeight: 1 }),
      ti('m', { priorityWeight: 5, mapIndex: 2, runId: 'r2', logicalDate: '2024-01-02T00:00:00Z' }),
      ti('m', { priorityWeight: 5, mapIndex: 0, runId: 'r2', logicalDate: '2024-01-02T00:00:00Z' }),
      ti('m', { priorityWeight: 5, mapIndex: 1, runId: 'manual', logicalDate: null }),
      ti('m', { priorityWeight: 5, mapIndex: 7, runId: 'r1', logicalDate: '2024-01-01T00:00:00Z' }),
      ti('high', { priorityWeight: 9 }),
    ]);
    expect(result.admitted).toEqual(['etl.high@r1', 'etl.m@r1[7]', 'etl.m@r2[0]', 'etl.m@r2[2]', 'etl.m@manual[1]', 'etl.low@r1']);
    expect(result.rejected).toEqual([]);
  });

  it('examines at most maxToAdmit per loop; the rest were not reached', () => {
    const result = decide([ti('a', { priorityWeight: 1 }), ti('b', { priorityWeight: 5 }), ti('c', { priorityWeight: 3 })], { maxToAdmit: 2 });
    expect(result.admitted).toEqual(['etl.b@r1', 'etl.c@r1']);
    expect(result.rejected).toEqual([['etl.a@r1', 'not_examined', false]]);
    expect(result.reasons['etl.a@r1']).toBe('not reached in this loop: 2 task instances ahead of it were examined first (higher priority or earlier run)');
  });

  it('queues nothing when the loop has no free slot (parallelism reached)', () => {
    expect(decide([ti('a')], { maxToAdmit: 0 }).rejected).toEqual([['etl.a@r1', 'no_free_slots', false]]);
  });
});

describe('admitTaskInstances: pools', () => {
  const pools: PoolCapacity[] = [
    { name: 'default_pool', slots: 128, occupiedSlots: 0 },
    { name: 'gpu', slots: 4, occupiedSlots: 1 },
  ];

  it('takes pool_slots from the open slots; a smaller lower-priority task may pass a bigger one', () => {
    // Checks run in Airflow's order: a full pool is reported before a task that could never fit.
    const result = decide(
      [
        ti('big_a', { pool: 'gpu', poolSlots: 2, priorityWeight: 10 }),
        ti('big_b', { pool: 'gpu', poolSlots: 2, priorityWeight: 9 }),
        ti('small_c', { pool: 'gpu', poolSlots: 1, priorityWeight: 8 }),
        ti('small_d', { pool: 'gpu', poolSlots: 1, priorityWeight: 7 }),
        ti('huge', { pool: 'gpu', poolSlots: 5, priorityWeight: 11 }),
        ti('elsewhere', { priorityWeight: 1 }),
      ],
      { pools },
    );
    expect(result.admitted).toEqual(['etl.big_a@r1', 'etl.small_c@r1', 'etl.elsewhere@r1']);
    expect(result.rejected).toEqual([
      ['etl.huge@r1', 'pool_slots_exceed_total', false],
      ['etl.big_b@r1', 'pool_slots_unavailable', false],
      ['etl.small_d@r1', 'pool_full', false],
    ]);
    expect(result.reasons).toEqual({
      'etl.big_b@r1': 'the task needs 2 slots but pool gpu has 1 open',
      'etl.small_d@r1': 'pool gpu is full: 0 of 4 slots open',
      'etl.huge@r1': 'the task needs 5 slots but pool gpu has only 4 in total: it can never run there',
    });
  });

  it('skips a pool that is full from the start without examining its tasks', () => {
    const result = decide([ti('a', { pool: 'gpu', priorityWeight: 5 }), ti('b')], { pools: [pools[0]!, { name: 'gpu', slots: 4, occupiedSlots: 4 }] });
    expect(result.admitted).toEqual(['etl.b@r1']);
    expect(result.rejected).toEqual([['etl.a@r1', 'pool_full', true]]);
  });

  it('queues nothing when every pool is full, and names a missing pool', () => {
    const result = decide([ti('a'), ti('b', { pool: 'nope' })], { pools: [{ name: 'default_pool', slots: 2, occupiedSlots: 3 }] });
    expect(result.admitted).toEqual([]);
    expect(result.rejected).toEqual([
      ['etl.a@r1', 'pool_full', false],
      ['etl.b@r1', 'pool_not_found', false],
    ]);
    expect(result.reasons['etl.a@r1']).toBe('pool default_pool is full: -1 of 2 slots open');
    expect(result.reasons['etl.b@r1']).toBe("pool nope does not exist: create it or change the task's pool");
  });

  it('treats slots = -1 as unlimited', () => {
    const many = Array.from({ length: 5 }, (_, i) => ti(`t${i}`, { pool: 'free', poolSlots: 1000 }));
    expect(decide(many, { pools: [{ name: 'free', slots: -1, occupiedSlots: 10_000 }] }).admitted).toHaveLength(5);
  });
});

describe('admitTaskInstances: concurrency limits', () => {
  it('Airflow 2: max_active_tasks counts the whole DAG', () => {
    const result = decide(
      [ti('a', { maxActiveTasks: 2, priorityWeight: 3 }), ti('b', { maxActiveTasks: 2, runId: 'r2', priorityWeight: 2 }), ti('c', { maxActiveTasks: 2, priorityWeight: 1 })],
      { scope: 'dag', active: [{ dagId: 'etl', runId: 'r0', taskId: 'x', count: 1 }] },
    );
    expect(result.admitted).toEqual(['etl.a@r1']);
    expect(result.rejected).toEqual([
      ['etl.b@r2', 'max_active_tasks', false],
      ['etl.c@r1', 'max_active_tasks', false],
    ]);
    expect(result.reasons['etl.b@r2']).toBe('DAG etl has 2 task instances queued or running (max_active_tasks 2)');
  });

  it('Airflow 3: max_active_tasks counts each DAG run', () => {
    const result = decide(
      [ti('a', { maxActiveTasks: 2, priorityWeight: 3 }), ti('b', { maxActiveTasks: 2, priorityWeight: 2 }), ti('c', { maxActiveTasks: 2, runId: 'r2', priorityWeight: 1 })],
      { scope: 'dag_run', active: [{ dagId: 'etl', runId: 'r1', taskId: 'x', count: 1 }] },
    );
    expect(result.admitted).toEqual(['etl.a@r1', 'etl.c@r2']);
    expect(result.rejected).toEqual([['etl.b@r1', 'max_active_tasks', false]]);
    expect(result.reasons['etl.b@r1']).toBe('DAG etl run r1 has 2 task instances queued or running (max_active_tasks 2)');
  });

  it('max_active_tis_per_dag counts the task across runs', () => {
    const result = decide([ti('t', { runId: 'r2', maxActiveTisPerDag: 2 }), ti('t', { runId: 'r3', maxActiveTisPerDag: 2, logicalDate: '2024-01-03T00:00:00Z' })], {
      active: [{ dagId: 'etl', runId: 'r1', taskId: 't', count: 1 }],
    });
    expect(result.admitted).toEqual(['etl.t@r2']);
    expect(result.rejected).toEqual([['etl.t@r3', 'max_active_tis_per_dag', false]]);
    expect(result.reasons['etl.t@r3']).toBe('task etl.t has 2 instances queued or running across runs (max_active_tis_per_dag 2)');
  });

  it('max_active_tis_per_dagrun limits mapped instances within one run', () => {
    const mapped = [0, 1, 2].map((mapIndex) => ti('m', { mapIndex, maxActiveTisPerDagrun: 1 }));
    const result = decide([...mapped, ti('m', { runId: 'r2', mapIndex: 0, maxActiveTisPerDagrun: 1, logicalDate: '2024-01-02T00:00:00Z' })]);
    expect(result.admitted).toEqual(['etl.m@r1[0]', 'etl.m@r2[0]']);
    expect(result.rejected).toEqual([
      ['etl.m@r1[1]', 'max_active_tis_per_dagrun', false],
      ['etl.m@r1[2]', 'max_active_tis_per_dagrun', false],
    ]);
    expect(result.reasons['etl.m@r1[1]']).toBe('task etl.m has 1 instances queued or running in run r1 (max_active_tis_per_dagrun 1)');
  });
});

describe('admitTaskInstances: re-query after starvation', () => {
  it('queries again when nothing was queued and a check starved something new', () => {
    // With room for one per query: the DAG limit starves `busy`, so its next task is skipped unexamined.
    const result = decide(
      [
        ti('first', { dagId: 'busy', maxActiveTasks: 1, priorityWeight: 10 }),
        ti('second', { dagId: 'busy', maxActiveTasks: 1, priorityWeight: 9 }),
        ti('missing_pool', { pool: 'nope', priorityWeight: 8 }),
        ti('ok', { priorityWeight: 7 }),
        ti('later', { priorityWeight: 6 }),
      ],
      { maxToAdmit: 1, active: [{ dagId: 'busy', runId: 'r1', taskId: 'x', count: 1 }] },
    );
    expect(result.admitted).toEqual(['etl.ok@r1']);
    expect(result.rejected).toEqual([
      ['busy.first@r1', 'max_active_tasks', false],
      ['busy.second@r1', 'max_active_tasks', true],
      ['etl.missing_pool@r1', 'pool_not_found', false],
      ['etl.later@r1', 'not_examined', false],
    ]);
  });

  it('stops when a query brings no new starvation (no endless loop)', () => {
    const result = decide([ti('a', { pool: 'nope' }), ti('b', { pool: 'nope' })], { maxToAdmit: 5 });
    expect(result.admitted).toEqual([]);
    expect(result.rejected).toEqual([
      ['etl.a@r1', 'pool_not_found', false],
      ['etl.b@r1', 'pool_not_found', false],
    ]);
  });
});

describe('describeAdmissionReason', () => {
  it('words the loop limit', () => {
    expect(describeAdmissionReason({ kind: 'no_free_slots', maxToAdmit: 0 })).toBe(
      'no free slots in this scheduler loop (at most 0 task instances may be queued: parallelism reached)',
    );
  });
});
