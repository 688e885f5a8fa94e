/**
 * The scheduler's admission step over what the store holds: every `scheduled` task instance of an active run,
 * the pools' occupancy, the queued/running counts per task and run, and each DAG's limits from the DAG version
 * the run was created with. `SchedulerLoop` decides with it and `dagbridge tasks why` replays it, so the two can
 * never disagree. Pure: the caller reads the store.
 */
import { admitTaskInstances, type ActiveCount, type AdmissionCandidate, type AdmissionDecision, type MaxActiveTasksScope, type PoolCapacity } from '../dag/admission.js';
import type { DagSpec } from '../dag/bundle.js';
import type { DagRunRecord, Occupancy, TaskInstanceRecord } from '../ports/metadata-store.js';

/** The scheduler's default budget of one loop (Airflow's max_tis_per_query); the Redis executor has no slot cap. */
export const DEFAULT_MAX_QUEUED_PER_LOOP = 512;

/** What one replay reads. */
export interface AdmissionReplayInput {
  scheduled: readonly TaskInstanceRecord[];
  occupancy: Occupancy;
  activeRuns: readonly DagRunRecord[];
  /** The DagSpec of a run (its version), or null when it is missing. */
  specOf: (run: DagRunRecord) => DagSpec | null;
  maxToAdmit?: number;
  maxActiveTasksScope?: MaxActiveTasksScope;
}

const taskIndex = new WeakMap<DagSpec, Map<string, DagSpec['tasks'][number]>>();

/** A spec's tasks by id, built once per spec object (a 10,000-task DAG is looked up per candidate). */
function tasksOf(spec: DagSpec): Map<string, DagSpec['tasks'][number]> {
  let index = taskIndex.get(spec);
  if (!index) {
    index = new Map(spec.tasks.map((t) => [t.taskId, t]));
    taskIndex.set(spec, index);
  }
  return index;
}

/** The admission candidate of a `scheduled` instance, with its run's and DAG's limits; null when its run or DAG version is unknown. */
export function candidateOf(
  ti: TaskInstanceRecord,
  runs: ReadonlyMap<string, DagRunRecord>,
  specOf: (run: DagRunRecord) => DagSpec | null,
): AdmissionCandidate | null {
  const run = runs.get(`${ti.dagId}\u0000${ti.runId}`);
  if (!run) return null;
  const spec = specOf(run);
  if (!spec) return null;
  const task = tasksOf(spec).get(ti.taskId);
  return {
    dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex,
    priorityWeight: ti.priorityWeight, pool: ti.pool, poolSlots: ti.poolSlots, queue: ti.queue,
    logicalDate: run.logicalDate ?? run.runAfter,
    maxActiveTasks: spec.maxActiveTasks,
    maxActiveTisPerDag: task?.maxActiveTisPerDag ?? null,
    maxActiveTisPerDagrun: task?.maxActiveTisPerDagrun ?? null,
  };
}

/** The pools' capacity and the queued/running counts admission starts from. */
export function admissionCounts(occupancy: Occupancy): { pools: PoolCapacity[]; active: ActiveCount[] } {
  const pools: PoolCapacity[] = [...occupancy.pools].map(([name, pool]) => ({ name, slots: pool.slots, occupiedSlots: pool.used }));
  const active: ActiveCount[] = [...occupancy.activeByRunTask].map(([key, count]) => {
    const [dagId = '', runId = '', taskId = ''] = key.split('\u0000');
    return { dagId, runId, taskId, count };
  });
  return { pools, active };
}

/** The admission decision the scheduler would take now. */
export function replayAdmission(input: AdmissionReplayInput): AdmissionDecision {
  const runs = new Map(input.activeRuns.map((run) => [`${run.dagId}\u0000${run.runId}`, run]));
  const candidates = input.scheduled.flatMap((ti) => candidateOf(ti, runs, input.specOf) ?? []);
  return admitTaskInstances({
    candidates,
    ...admissionCounts(input.occupancy),
    maxToAdmit: input.maxToAdmit ?? DEFAULT_MAX_QUEUED_PER_LOOP,
    maxActiveTasksScope: input.maxActiveTasksScope ?? 'dag',
  });
}
