/**
 * Which `scheduled` task instances the scheduler queues in one loop, and why the others wait: Airflow's
 * `SchedulerJobRunner._executable_task_instances_to_queued` (`airflow/jobs/scheduler_job_runner.py`),
 * replayed on plain data so `dagbridge tasks why` can explain a decision.
 *
 * Airflow's procedure, kept as is:
 * 1. Nothing is queued when the loop may admit nothing (`maxToAdmit <= 0`: parallelism reached) or when every
 *    pool is full. Otherwise at most `min(maxToAdmit, free slots over all pools)` task instances are examined
 *    per query, in order: priority weight descending, then the run's logical date (runs without one last),
 *    then map index. (Ties beyond that are left to the database by Airflow; here they fall back to dag id,
 *    run id, task id so the result is deterministic.)
 * 2. Each examined task instance is checked in this order: its pool exists; the pool has an open slot; its
 *    `pool_slots` fit the pool's total; they fit the open slots (a smaller, lower-priority task may still
 *    go); the DAG's `max_active_tasks` (per DAG in Airflow 2, per DAG run in Airflow 3); the task's
 *    `max_active_tis_per_dag`; its `max_active_tis_per_dagrun`. Admitting one takes its slots and counts.
 * 3. A failed check "starves" its pool, DAG, task or task-in-run: later queries in the same loop skip them.
 *    When nothing was admitted and a new starvation appeared, Airflow queries again; otherwise the loop ends.
 *
 * Counts (`active`) and pool occupancy are what Airflow counts: task instances in `queued` or `running`
 * (occupancy in slots, i.e. summed `pool_slots`; deferred ones too when the pool includes deferred).
 */
import { parseOptionalInstant, type InstantInput } from './durations.js';

/** A task instance in state `scheduled`, with the settings admission reads. */
export interface AdmissionCandidate {
  readonly dagId: string;
  readonly runId: string;
  readonly taskId: string;
  readonly mapIndex: number;
  /** Effective priority weight (see `priority.ts`). */
  readonly priorityWeight: number;
  readonly pool: string;
  readonly poolSlots: number;
  readonly queue: string;
  /** The DAG run's logical date; null (an Airflow 3 manual run) sorts after every date. */
  readonly logicalDate: InstantInput | null;
  /** The DAG's `max_active_tasks`. */
  readonly maxActiveTasks: number;
  readonly maxActiveTisPerDag: number | null;
  readonly maxActiveTisPerDagrun: number | null;
}

/** A pool's size and what is already taken from it. */
export interface PoolCapacity {
  readonly name: string;
  /** Total slots; -1 means unlimited (Airflow's convention). */
  readonly slots: number;
  /** Slots held by queued and running task instances (summed `pool_slots`). */
  readonly occupiedSlots: number;
}

/** How many task instances of one task in one run are queued or running (a GROUP BY row). */
export interface ActiveCount {
  readonly dagId: string;
  readonly runId: string;
  readonly taskId: string;
  readonly count: number;
}

/** Where `max_active_tasks` applies: the whole DAG (Airflow 2) or each DAG run (Airflow 3). */
export type MaxActiveTasksScope = 'dag' | 'dag_run';

/** Everything one admission decision reads. */
export interface AdmissionInput {
  readonly candidates: readonly AdmissionCandidate[];
  readonly pools: readonly PoolCapacity[];
  readonly active: readonly ActiveCount[];
  /** Most task instances to queue in this loop (Airflow: `min(max_tis_per_query, parallelism - occupied)`). */
  readonly maxToAdmit: number;
  readonly maxActiveTasksScope: MaxActiveTasksScope;
}

/** Why a candidate was not queued in this loop. */
export type AdmissionReason =
  | { readonly kind: 'no_free_slots'; readonly maxToAdmit: number }
  | { readonly kind: 'pool_not_found'; readonly pool: string }
  | { readonly kind: 'pool_full'; readonly pool: string; readonly openSlots: number; readonly totalSlots: number }
  | { readonly kind: 'pool_slots_exceed_total'; readonly pool: string; readonly poolSlots: number; readonly totalSlots: number }
  | { readonly kind: 'pool_slots_unavailable'; readonly pool: string; readonly poolSlots: number; readonly openSlots: number }
  | {
      readonly kind: 'max_active_tasks';
      readonly dagId: string;
      /** The run whose count reached the limit (Airflow 3); null when the limit is per DAG (Airflow 2). */
      readonly runId: string | null;
      readonly active: number;
      readonly limit: number;
    }
  | { readonly kind: 'max_active_tis_per_dag'; readonly dagId: string; readonly taskId: string; readonly active: number; readonly limit: number }
  | {
      readonly kind: 'max_active_tis_per_dagrun';
      readonly dagId: string;
      readonly runId: string;
      readonly taskId: string;
      readonly active: number;
      readonly limit: number;
    }
  | { readonly kind: 'not_examined'; readonly limit: number };

/** A candidate left `scheduled`, with the reason and a sentence for people. */
export interface AdmissionRejection {
  readonly candidate: AdmissionCandidate;
  readonly reason: AdmissionReason;
  /**
   * True when Airflow did not examine this task instance itself but skipped it because the same pool, DAG,
   * task or task-in-run had failed the check named by `reason` earlier in the loop.
   */
  readonly skippedByEarlierCheck: boolean;
  readonly message: string;
}

/** The outcome of one loop: queue `admitted` (in this order); the rest stay `scheduled`. */
export interface AdmissionDecision {
  readonly admitted: readonly AdmissionCandidate[];
  readonly rejected: readonly AdmissionRejection[];
}

/** One sentence for a reason, naming the pool, DAG, run or task and the numbers. */
export function describeAdmissionReason(reason: AdmissionReason): string {
  switch (reason.kind) {
    case 'no_free_slots':
      return `no free slots in this scheduler loop (at most ${reason.maxToAdmit} task instances may be queued: parallelism reached)`;
    case 'pool_not_found':
      return `pool ${reason.pool} does not exist: create it or change the task's pool`;
    case 'pool_full':
      return `pool ${reason.pool} is full: ${reason.openSlots} of ${reason.totalSlots} slots open`;
    case 'pool_slots_exceed_total':
      return `the task needs ${reason.poolSlots} slots but pool ${reason.pool} has only ${reason.totalSlots} in total: it can never run there`;
    case 'pool_slots_unavailable':
      return `the task needs ${reason.poolSlots} slots but pool ${reason.pool} has ${reason.openSlots} open`;
    case 'max_active_tasks':
      return `${reason.runId === null ? `DAG ${reason.dagId}` : `DAG ${reason.dagId} run ${reason.runId}`} has ${reason.active} task instances queued or running (max_active_tasks ${reason.limit})`;
    case 'max_active_tis_per_dag':
      return `task ${reason.dagId}.${reason.taskId} has ${reason.active} instances queued or running across runs (max_active_tis_per_dag ${reason.limit})`;
    case 'max_active_tis_per_dagrun':
      return `task ${reason.dagId}.${reason.taskId} has ${reason.active} instances queued or running in run ${reason.runId} (max_active_tis_per_dagrun ${reason.limit})`;
    case 'not_examined':
      return `not reached in this loop: ${reason.limit} task instances ahead of it were examined first (higher priority or earlier run)`;
  }
}

const SEP = '\u0000';

function compareCandidates(
  a: { c: AdmissionCandidate; date: number | null },
  b: { c: AdmissionCandidate; date: number | null },
): number {
  if (a.c.priorityWeight !== b.c.priorityWeight) return b.c.priorityWeight - a.c.priorityWeight;
  if (a.date !== b.date) {
    if (a.date === null) return 1; // PostgreSQL sorts NULL last in ascending order
    if (b.date === null) return -1;
    return a.date - b.date;
  }
  if (a.c.mapIndex !== b.c.mapIndex) return a.c.mapIndex - b.c.mapIndex;
  for (const key of ['dagId', 'runId', 'taskId'] as const) {
    if (a.c[key] !== b.c[key]) return a.c[key] < b.c[key] ? -1 : 1;
  }
  return 0;
}

function increment(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * What one query of the loop leaves out (Airflow's starved_pools, starved_dags, starved_tasks and
 * starved_tasks_task_dagrun_concurrency): pools by name, DAGs by id, tasks as `dagId NUL taskId`, tasks in a
 * run as `dagId NUL runId NUL taskId`.
 */
export interface StarvationFilters {
  readonly pools: ReadonlySet<string>;
  readonly dags: ReadonlySet<string>;
  readonly tasks: ReadonlySet<string>;
  readonly taskRuns: ReadonlySet<string>;
}

/** One query of the loop: the first `limit` candidates in admission order that no filter leaves out. */
export interface AdmissionQuery {
  readonly filters: StarvationFilters;
  readonly limit: number;
}

/** The loop's outcome, for the candidates its queries returned (or any others: why each would wait). */
export interface AdmissionOutcome {
  readonly admitted: readonly AdmissionCandidate[];
  /** Why a candidate that was not admitted waits. */
  rejectionOf(candidate: AdmissionCandidate): AdmissionRejection;
}

/** Sorts candidates in admission order (see the module comment). */
export function sortCandidates(candidates: readonly AdmissionCandidate[]): AdmissionCandidate[] {
  return candidates
    .map((c) => ({ c, date: parseOptionalInstant(c.logicalDate, `logicalDate of ${c.dagId}.${c.taskId}`) }))
    .sort(compareCandidates)
    .map((entry) => entry.c);
}

/** Decides one scheduler loop's queueing, exactly in Airflow's order; see the module comment. */
export function admitTaskInstances(input: AdmissionInput): AdmissionDecision {
  const sorted = sortCandidates(input.candidates);
  const steps = admissionSteps(input);
  let step = steps.next();
  while (!step.done) {
    const { filters, limit } = step.value;
    const batch: AdmissionCandidate[] = [];
    for (const c of sorted) {
      if (batch.length >= limit) break;
      if (!isFilteredOut(filters, c)) batch.push(c);
    }
    step = steps.next(batch);
  }
  const outcome = step.value;
  const admittedSet = new Set(outcome.admitted);
  return { admitted: outcome.admitted, rejected: sorted.filter((c) => !admittedSet.has(c)).map((c) => outcome.rejectionOf(c)) };
}

/** Whether a query with these filters leaves the candidate out. */
export function isFilteredOut(filters: StarvationFilters, c: AdmissionCandidate): boolean {
  return (
    filters.pools.has(c.pool) ||
    filters.dags.has(c.dagId) ||
    filters.tasks.has(c.dagId + SEP + c.taskId) ||
    filters.taskRuns.has(c.dagId + SEP + c.runId + SEP + c.taskId)
  );
}

/**
 * Airflow's loop as steps: it yields each query (its filters and limit) and takes that query's answer, the
 * first candidates in admission order that the filters leave in, so the caller may answer from memory
 * ({@link admitTaskInstances}) or from the database, reading no more than one query's limit at a time.
 */
export function* admissionSteps(input: Omit<AdmissionInput, 'candidates'>): Generator<AdmissionQuery, AdmissionOutcome, readonly AdmissionCandidate[]> {
  const reject = (candidate: AdmissionCandidate, reason: AdmissionReason, skippedByEarlierCheck = false): AdmissionRejection => ({
    candidate,
    reason,
    skippedByEarlierCheck,
    message: describeAdmissionReason(reason),
  });

  const pools = new Map<string, { total: number; open: number }>();
  for (const pool of input.pools) {
    const total = pool.slots === -1 ? Infinity : pool.slots;
    pools.set(pool.name, { total, open: total - pool.occupiedSlots });
  }
  const poolReason = (name: string): AdmissionReason => {
    const pool = pools.get(name);
    return pool ? { kind: 'pool_full', pool: name, openSlots: pool.open, totalSlots: pool.total } : { kind: 'pool_not_found', pool: name };
  };

  if (input.maxToAdmit <= 0) {
    return { admitted: [], rejectionOf: (c) => reject(c, { kind: 'no_free_slots', maxToAdmit: input.maxToAdmit }) };
  }
  let freeSlots = 0;
  for (const pool of pools.values()) freeSlots += Math.max(0, pool.open);
  if (freeSlots === 0) {
    return { admitted: [], rejectionOf: (c) => reject(c, poolReason(c.pool)) };
  }
  const maxTis = Math.min(input.maxToAdmit, freeSlots);

  // Starvation filters, each with the reason that created it (first one wins, as a set would keep it).
  const starvedPools = new Map<string, AdmissionReason>();
  const starvedDags = new Map<string, AdmissionReason>();
  const starvedTasks = new Map<string, AdmissionReason>();
  const starvedTaskRuns = new Map<string, AdmissionReason>();
  for (const [name, pool] of pools) if (pool.open <= 0) starvedPools.set(name, poolReason(name));
  const starve = (map: Map<string, AdmissionReason>, key: string, reason: AdmissionReason): void => {
    if (!map.has(key)) map.set(key, reason);
  };

  const activeTasksByScope = new Map<string, number>();
  const activeByTask = new Map<string, number>();
  const activeByTaskRun = new Map<string, number>();
  const scopeKey = (c: { dagId: string; runId: string }): string => (input.maxActiveTasksScope === 'dag' ? c.dagId : c.dagId + SEP + c.runId);
  for (const row of input.active) {
    increment(activeTasksByScope, scopeKey(row), row.count);
    increment(activeByTask, row.dagId + SEP + row.taskId, row.count);
    increment(activeByTaskRun, row.dagId + SEP + row.runId + SEP + row.taskId, row.count);
  }

  const admitted: AdmissionCandidate[] = [];
  /** Why each examined candidate failed, by its key (a database answers new objects for the same instance). */
  const examined = new Map<string, AdmissionReason>();
  const keyOf = (c: AdmissionCandidate): string => c.dagId + SEP + c.runId + SEP + c.taskId + SEP + c.mapIndex;
  const filters: StarvationFilters = { pools: new Set(starvedPools.keys()), dags: new Set(), tasks: new Set(), taskRuns: new Set() };
  const starved = (): StarvationFilters => ({
    pools: new Set(starvedPools.keys()), dags: new Set(starvedDags.keys()), tasks: new Set(starvedTasks.keys()), taskRuns: new Set(starvedTaskRuns.keys()),
  });

  const examine = (c: AdmissionCandidate): AdmissionReason | null => {
    const pool = pools.get(c.pool);
    const taskKey = c.dagId + SEP + c.taskId;
    const taskRunKey = c.dagId + SEP + c.runId + SEP + c.taskId;
    if (!pool) {
      const reason: AdmissionReason = { kind: 'pool_not_found', pool: c.pool };
      starve(starvedPools, c.pool, reason);
      return reason;
    }
    if (pool.open <= 0) {
      const reason = poolReason(c.pool);
      starve(starvedPools, c.pool, reason);
      return reason;
    }
    if (c.poolSlots > pool.total) {
      const reason: AdmissionReason = { kind: 'pool_slots_exceed_total', pool: c.pool, poolSlots: c.poolSlots, totalSlots: pool.total };
      starve(starvedTasks, taskKey, reason);
      return reason;
    }
    if (c.poolSlots > pool.open) {
      const reason: AdmissionReason = { kind: 'pool_slots_unavailable', pool: c.pool, poolSlots: c.poolSlots, openSlots: pool.open };
      starve(starvedTasks, taskKey, reason);
      return reason;
    }
    const dagActive = activeTasksByScope.get(scopeKey(c)) ?? 0;
    if (dagActive >= c.maxActiveTasks) {
      const reason: AdmissionReason = {
        kind: 'max_active_tasks',
        dagId: c.dagId,
        runId: input.maxActiveTasksScope === 'dag' ? null : c.runId,
        active: dagActive,
        limit: c.maxActiveTasks,
      };
      // Airflow 3 counts per run but still skips the whole DAG for the rest of the loop.
      starve(starvedDags, c.dagId, reason);
      return reason;
    }
    if (c.maxActiveTisPerDag !== null) {
      const taskActive = activeByTask.get(taskKey) ?? 0;
      if (taskActive >= c.maxActiveTisPerDag) {
        const reason: AdmissionReason = { kind: 'max_active_tis_per_dag', dagId: c.dagId, taskId: c.taskId, active: taskActive, limit: c.maxActiveTisPerDag };
        starve(starvedTasks, taskKey, reason);
        return reason;
      }
    }
    if (c.maxActiveTisPerDagrun !== null) {
      const runActive = activeByTaskRun.get(taskRunKey) ?? 0;
      if (runActive >= c.maxActiveTisPerDagrun) {
        const reason: AdmissionReason = {
          kind: 'max_active_tis_per_dagrun',
          dagId: c.dagId,
          runId: c.runId,
          taskId: c.taskId,
          active: runActive,
          limit: c.maxActiveTisPerDagrun,
        };
        starve(starvedTaskRuns, taskRunKey, reason);
        return reason;
      }
    }
    pool.open -= c.poolSlots;
    increment(activeTasksByScope, scopeKey(c));
    increment(activeByTask, taskKey);
    increment(activeByTaskRun, taskRunKey);
    return null;
  };

  // Every failed check starves a key of its own candidate, and later queries happen only while nothing was
  // admitted: the filters alone keep a query from answering a candidate examined before.
  for (let query = filters; ; query = starved()) {
    const sizes = starvedPools.size + starvedDags.size + starvedTasks.size + starvedTaskRuns.size;
    const batch = (yield { filters: query, limit: maxTis }).slice(0, maxTis);
    if (batch.length === 0) break;
    for (const c of batch) {
      const reason = examine(c);
      if (reason === null) admitted.push(c);
      else examined.set(keyOf(c), reason);
    }
    const isDone = admitted.length > 0 || batch.length < maxTis;
    const foundNewFilters = starvedPools.size + starvedDags.size + starvedTasks.size + starvedTaskRuns.size > sizes;
    if (isDone || !foundNewFilters) break;
  }

  const rejectionOf = (c: AdmissionCandidate): AdmissionRejection => {
    const own = examined.get(keyOf(c));
    if (own) return reject(c, own);
    const filter =
      starvedPools.get(c.pool) ??
      starvedDags.get(c.dagId) ??
      starvedTasks.get(c.dagId + SEP + c.taskId) ??
      starvedTaskRuns.get(c.dagId + SEP + c.runId + SEP + c.taskId);
    if (filter) return reject(c, filter, true);
    if (!pools.has(c.pool)) return reject(c, { kind: 'pool_not_found', pool: c.pool });
    return reject(c, { kind: 'not_examined', limit: maxTis });
  };
  return { admitted, rejectionOf };
}
