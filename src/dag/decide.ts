/**
 * One scheduling decision for one DAG run: which task instances to create, expand, schedule, skip or fail,
 * and the run's resulting state. The pure heart of Airflow's DagRun.update_state /
 * task_instance_scheduling_decisions / verify_integrity / TaskMap.expand_mapped_task.
 *
 * The scheduler calls {@link decideRun} every loop for each running DAG run, applies the returned changes
 * in order with compare-and-set (each transition names the state it expects), then picks which
 * `scheduled` task instances to queue (admission.ts). A change whose compare-and-set fails is simply
 * dropped: the next loop decides again from fresh rows. Changes cascade within one call (a task set to
 * upstream_failed makes its downstream upstream_failed in the same decision), in topological order.
 *
 * Known differences from Airflow, on purpose:
 * - A mapped task whose XCom input is not known yet waits while a producer is unfinished; Airflow marks it
 *   upstream_failed as soon as its trigger rule passes (which only matters for one_* rules).
 * - `up_for_retry` becomes schedulable when nextRetryAt <= now (Airflow: strictly before now).
 * - No task start_date/end_date filtering at creation (the bundle carries no per-task dates).
 */
import type { DagSpec, TaskSpec } from './bundle.js';
import { computeDagRunState, type DagRunEndReason } from './dag-run-state.js';
import { checkDependsOnPast, type PreviousRun } from './depends-on-past.js';
import { buildGraph, taskOf, type DagGraph } from './graph.js';
import {
  DEFAULT_MAX_MAP_LENGTH,
  closestMappedGroup,
  mappedDependencies,
  mappedLength,
  needsExpansion,
  type MapInputLength,
} from './mapping.js';
import { indirectSetups } from './setup-teardown.js';
import { ACTIVE_STATES, FINISHED_STATES, SCHEDULABLE_STATES, assertTransition, type DagRunState, type TaskInstanceState } from './states.js';
import { compareTi, keyOf, newTaskInstance, tiKey, UNMAPPED, type TaskInstanceView } from './task-instance.js';
import {
  ZERO_COUNTS,
  combineOutcomes,
  evaluateSetupConstraint,
  evaluateTriggerRule,
  normalizeTriggerRule,
  type TriggerRule,
  type TriggerRuleOutcome,
  type UpstreamCounts,
} from './trigger-rules.js';

/** Options of {@link decideRun}. */
export interface DecideOptions {
  /** Most task instances one mapped task may expand into (Airflow's `[core] max_map_length`). Default 1024. */
  readonly maxMapLength?: number;
  /**
   * Mark an EmptyOperator success without running it, as Airflow's DagRun.schedule_tis does for empty
   * tasks without callbacks or outlets. Default true.
   */
  readonly emptyTasksSucceedWithoutRunning?: boolean;
}

/** Everything {@link decideRun} needs. Time is an argument; nothing here reads a clock. */
export interface DecideInput {
  readonly dag: DagSpec;
  /** The DAG's graph, when the caller keeps one per DAG version; built from `dag` otherwise. */
  readonly graph?: DagGraph;
  /** The run's task instances as stored now. Empty when the run has just started. */
  readonly tis: readonly TaskInstanceView[];
  /** Lengths of XCom values that mapped tasks expand over; see {@link MapInputLength}. */
  readonly mapInputLength?: MapInputLength;
  /** The previous run (for depends_on_past / wait_for_downstream), or null for the first run. */
  readonly previousRun?: PreviousRun | null;
  /** Whether a task ever had a task instance in an earlier run (ignore_first_depends_on_past). */
  readonly hasPriorTis?: (taskId: string) => boolean;
  /** The current time, epoch ms. */
  readonly now: number;
  readonly options?: DecideOptions;
}

/** Create a task instance (state none). */
export interface CreateChange {
  readonly kind: 'create';
  readonly taskId: string;
  readonly mapIndex: number;
  readonly maxTries: number;
  readonly reason: string;
}

/**
 * Turn a mapped task's unexpanded placeholder (map index -1) into map index 0, keeping its state and tries,
 * as Airflow's expand_mapped_task does. Compare-and-set on (map index -1, `state`).
 */
export interface RemapChange {
  readonly kind: 'remap';
  readonly taskId: string;
  readonly fromMapIndex: -1;
  readonly toMapIndex: 0;
  readonly state: TaskInstanceState;
  readonly reason: string;
}

/** Change a task instance's state from `from` to `to` (compare-and-set on `from`). */
export interface TransitionChange {
  readonly kind: 'transition';
  readonly taskId: string;
  readonly mapIndex: number;
  readonly from: TaskInstanceState;
  readonly to: TaskInstanceState;
  readonly reason: string;
  /** The try number to store with the change when it starts a new try (to `scheduled`, or an empty task's `success`). */
  readonly tryNumber?: number;
}

/** One change the caller applies, in order. */
export type RunChange = CreateChange | RemapChange | TransitionChange;

/** A task instance that stays in none / up_for_retry / up_for_reschedule, and why (`dagbridge tasks why`). */
export interface WaitingTaskInstance {
  readonly taskId: string;
  readonly mapIndex: number;
  readonly state: TaskInstanceState;
  readonly reason: string;
}

/** The outcome of one {@link decideRun}. */
export interface RunDecision {
  /** Changes to apply in order. */
  readonly changes: readonly RunChange[];
  /** The run's state once the changes are applied. */
  readonly runState: Exclude<DagRunState, 'queued'>;
  readonly runStateReason: string;
  /** Why a finished run ended (Airflow's callback reason); null while running. */
  readonly runEndReason: DagRunEndReason | null;
  /** Task instances left waiting, with the reason. Sorted by task id, map index. */
  readonly waiting: readonly WaitingTaskInstance[];
  /** Task instances in `scheduled` once the changes are applied: the candidates for admission. Sorted. */
  readonly scheduled: ReadonlyArray<{ readonly taskId: string; readonly mapIndex: number }>;
}

const FAST_TRIGGERED: ReadonlySet<TriggerRule> = new Set<TriggerRule>(['one_success', 'one_failed', 'one_done']);
const CALLBACK_ARGS = ['on_execute_callback', 'on_success_callback', 'outlets', 'inlets'];

/** Mutable working copy of one run's task instances. */
type WorkingTi = { -readonly [K in keyof TaskInstanceView]: TaskInstanceView[K] };

class RunState {
  readonly byTask = new Map<string, Map<number, WorkingTi>>();
  readonly changes: RunChange[] = [];

  constructor(tis: readonly TaskInstanceView[]) {
    for (const ti of tis) this.put({ ...ti });
  }

  put(ti: WorkingTi): void {
    let byIndex = this.byTask.get(ti.taskId);
    if (!byIndex) {
      byIndex = new Map();
      this.byTask.set(ti.taskId, byIndex);
    }
    byIndex.set(ti.mapIndex, ti);
  }

  of(taskId: string): WorkingTi[] {
    return [...(this.byTask.get(taskId)?.values() ?? [])].sort((a, b) => a.mapIndex - b.mapIndex);
  }

  all(): WorkingTi[] {
    return [...this.byTask.values()].flatMap((m) => [...m.values()]).sort(compareTi);
  }

  create(taskId: string, mapIndex: number, maxTries: number, reason: string): WorkingTi {
    const ti: WorkingTi = { ...newTaskInstance(taskId, mapIndex, maxTries) };
    this.put(ti);
    this.changes.push({ kind: 'create', taskId, mapIndex, maxTries, reason });
    return ti;
  }

  transition(ti: WorkingTi, to: TaskInstanceState, reason: string, tryNumber?: number): void {
    assertTransition(tiKey(ti.taskId, ti.mapIndex), ti.state, to, 'scheduler');
    const change: TransitionChange = { kind: 'transition', taskId: ti.taskId, mapIndex: ti.mapIndex, from: ti.state, to, reason };
    this.changes.push(tryNumber === undefined ? change : { ...change, tryNumber });
    ti.state = to;
    if (tryNumber !== undefined) ti.tryNumber = tryNumber;
  }

  remapPlaceholder(ti: WorkingTi, reason: string): void {
    this.byTask.get(ti.taskId)?.delete(UNMAPPED);
    this.changes.push({ kind: 'remap', taskId: ti.taskId, fromMapIndex: -1, toMapIndex: 0, state: ti.state, reason });
    ti.mapIndex = 0;
    this.put(ti);
  }
}

/** Per-task facts computed once per decision. */
interface TaskFacts {
  readonly task: TaskSpec;
  readonly rule: TriggerRule | null;
  readonly mappedGroup: string | null;
  readonly needsExpansion: boolean;
  readonly indirectSetups: readonly string[];
}

/**
 * Decides what changes in one DAG run now. Pure: the same input gives the same output.
 * Assumes the run is `running` (the caller starts queued runs within max_active_runs first).
 */
export function decideRun(input: DecideInput): RunDecision {
  const graph = input.graph ?? buildGraph(input.dag);
  const maxMapLength = input.options?.maxMapLength ?? DEFAULT_MAX_MAP_LENGTH;
  const emptySucceeds = input.options?.emptyTasksSucceedWithoutRunning ?? true;
  const xcomLength: MapInputLength = input.mapInputLength ?? (() => null);
  const hasPriorTis = input.hasPriorTis ?? (() => false);
  const run = new RunState(input.tis);
  const facts = new Map<string, TaskFacts>();
  // Setup closures cost a graph walk per task; most DAGs have no setups at all.
  const hasSetups = graph.taskIds.some((id) => taskOf(graph, id).isSetup);
  for (const taskId of graph.taskIds) {
    const task = taskOf(graph, taskId);
    facts.set(taskId, {
      task,
      rule: normalizeTriggerRule(task.triggerRule),
      mappedGroup: closestMappedGroup(input.dag, task),
      needsExpansion: needsExpansion(input.dag, task),
      indirectSetups: hasSetups ? indirectSetups(graph, taskId) : [],
    });
  }
  const factsOf = (taskId: string): TaskFacts => facts.get(taskId) as TaskFacts;

  // 1. Task instances of tasks no longer in the DAG are removed (task_instance_scheduling_decisions).
  for (const [taskId, byIndex] of run.byTask) {
    if (facts.has(taskId)) continue;
    for (const ti of byIndex.values()) if (ti.state !== 'removed') run.transition(ti, 'removed', 'the task is no longer in the DAG');
  }

  // 2. Create missing task instances (run start, tasks added); restore removed ones (verify_integrity).
  const starting = input.tis.length === 0;
  for (const taskId of graph.taskIds) {
    const { task, needsExpansion: mapped } = factsOf(taskId);
    const existing = run.of(taskId);
    const literal = mapped ? mappedLength(task, null) : null;
    if (existing.length === 0) {
      const why = starting ? 'the run started' : 'the task was added to the DAG';
      if (literal?.kind === 'known' && literal.length > 0 && literal.length <= maxMapLength) {
        for (let i = 0; i < literal.length; i++) run.create(taskId, i, task.retries, `${why}; literal mapping of length ${literal.length}`);
      } else {
        run.create(taskId, UNMAPPED, task.retries, why);
      }
      continue;
    }
    for (const ti of existing) {
      if (ti.state !== 'removed') continue;
      const restore = mapped
        ? literal?.kind === 'known' && ti.mapIndex >= 0 && ti.mapIndex < literal.length
        : ti.mapIndex === UNMAPPED;
      if (restore) run.transition(ti, 'none', 'the task is in the DAG again');
    }
  }

  // 3. Dependency checks in topological order, so decisions cascade downstream within this call.
  const waitReasons = new Map<string, { reason: string; timeOnly: boolean }>();
  let changedByChecks = false;
  const revised = new Set<string>();

  const relevantUpstreamTis = (ti: WorkingTi, fact: TaskFacts, upstreamId: string): WorkingTi[] => {
    const tis = run.of(upstreamId);
    if (fact.mappedGroup === null || ti.mapIndex < 0) return tis;
    if (factsOf(upstreamId).mappedGroup !== fact.mappedGroup) return tis;
    // Airflow 3: one_* rules in a mapped group do not narrow upstreams that are not expansion inputs.
    if (fact.rule !== null && FAST_TRIGGERED.has(fact.rule) && !mappedDependencies(fact.task).includes(upstreamId)) return tis;
    return tis.filter((u) => u.mapIndex < 0 || u.mapIndex === ti.mapIndex);
  };

  const countsFor = (ti: WorkingTi, fact: TaskFacts, upstreamIds: readonly string[]): UpstreamCounts => {
    const c: Record<keyof UpstreamCounts, number> = { ...ZERO_COUNTS };
    const byRows = upstreamIds.some((id) => factsOf(id).needsExpansion);
    for (const id of upstreamIds) {
      const isSetup = factsOf(id).task.isSetup;
      const relevant = relevantUpstreamTis(ti, fact, id);
      const rows = byRows ? relevant.length : 1;
      c.upstream += rows;
      if (isSetup) c.upstreamSetup += rows;
      for (const u of relevant) {
        if (!FINISHED_STATES.has(u.state)) continue;
        c.done += 1;
        if (u.state === 'success') c.success += 1;
        else if (u.state === 'skipped') c.skipped += 1;
        else if (u.state === 'failed') c.failed += 1;
        else if (u.state === 'upstream_failed') c.upstreamFailed += 1;
        else if (u.state === 'removed') c.removed += 1;
        if (isSetup && u.state === 'success') c.successSetup += 1;
        if (isSetup && u.state === 'skipped') c.skippedSetup += 1;
      }
    }
    return c;
  };

  const triggerOutcome = (ti: WorkingTi, fact: TaskFacts): TriggerRuleOutcome => {
    if (fact.rule === null) return { kind: 'wait', reason: `unknown trigger rule ${JSON.stringify(fact.task.triggerRule)}` };
    const upstreamIds = graph.upstream.get(fact.task.taskId) ?? [];
    if (upstreamIds.length === 0 || fact.rule === 'always') {
      return evaluateTriggerRule(fact.rule, ZERO_COUNTS, ti.mapIndex, upstreamIds.length > 0);
    }
    const direct = evaluateTriggerRule(fact.rule, countsFor(ti, fact, upstreamIds), ti.mapIndex);
    const setup = fact.indirectSetups.length > 0 ? evaluateSetupConstraint(countsFor(ti, fact, fact.indirectSetups), ti.mapIndex) : null;
    return combineOutcomes(setup, direct);
  };

  /** Airflow's MappedTaskUpstreamDep: an expansion input whose producer failed or skipped decides for us. */
  const mappedInputOutcome = (fact: TaskFacts): TriggerRuleOutcome | null => {
    const finished = new Set<TaskInstanceState>();
    for (const producer of mappedDependencies(fact.task)) {
      const placeholder = run.byTask.get(producer)?.get(UNMAPPED);
      if (placeholder && FINISHED_STATES.has(placeholder.state)) finished.add(placeholder.state);
    }
    if (finished.size === 0 || (finished.size === 1 && finished.has('success'))) return null;
    if (finished.has('failed') || finished.has('upstream_failed')) {
      return { kind: 'set', state: 'upstream_failed', reason: 'an upstream task this task is mapped over did not succeed' };
    }
    if (finished.has('skipped')) return { kind: 'set', state: 'skipped', reason: 'an upstream task this task is mapped over was skipped' };
    return null;
  };

  const wait = (ti: WorkingTi, reason: string, timeOnly = false): void => {
    waitReasons.set(keyOf(ti), { reason, timeOnly });
  };

  const schedule = (ti: WorkingTi, fact: TaskFacts, reason: string): void => {
    const task = fact.task;
    const hasCallbacks = CALLBACK_ARGS.some((name) => {
      const value = task.args[name];
      return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
    });
    if (emptySucceeds && task.kind === 'empty' && ti.state === 'none' && !hasCallbacks) {
      run.transition(ti, 'success', `${reason}; an empty task succeeds without running`, ti.tryNumber + 1);
      return;
    }
    // A reschedule continues the same try (Airflow keeps try_number for up_for_reschedule).
    const tryNumber = ti.state === 'up_for_reschedule' ? ti.tryNumber : ti.tryNumber + 1;
    run.transition(ti, 'scheduled', reason, tryNumber);
  };

  /** Creates missing map indexes and removes extra ones once a mapped task's length is known. */
  const revise = (fact: TaskFacts): void => {
    const taskId = fact.task.taskId;
    if (revised.has(taskId)) return;
    revised.add(taskId);
    const length = mappedLength(fact.task, xcomLength);
    if (length.kind !== 'known' || length.length > maxMapLength) return;
    const existing = run.of(taskId);
    for (const ti of existing) {
      if (ti.mapIndex >= length.length && ti.state !== 'removed') {
        run.transition(ti, 'removed', `map index beyond the expansion length ${length.length}`);
      }
    }
    const indexes = new Set(existing.map((ti) => ti.mapIndex));
    if (!indexes.has(UNMAPPED)) {
      for (let i = 0; i < length.length; i++) {
        if (!indexes.has(i)) run.create(taskId, i, fact.task.retries, `expansion length grew to ${length.length}`);
      }
    }
  };

  /** Expands a placeholder whose dependencies are met; returns the new task instances to evaluate. */
  const expand = (ti: WorkingTi, fact: TaskFacts): WorkingTi[] => {
    const taskId = fact.task.taskId;
    const length = mappedLength(fact.task, xcomLength);
    if (length.kind === 'not_mapped') {
      schedule(ti, fact, 'dependencies met');
      return [];
    }
    if (length.kind === 'invalid') {
      run.transition(ti, 'upstream_failed', `cannot expand: ${length.reason}`);
      return [];
    }
    if (length.kind === 'unknown') {
      const producers = mappedDependencies(fact.task);
      const unfinished = producers.filter((p) => run.of(p).some((u) => !FINISHED_STATES.has(u.state)));
      if (unfinished.length > 0) {
        wait(ti, `waiting for ${unfinished.join(', ')} to finish before expanding (mapped over ${length.missing.join(', ')})`);
      } else {
        run.transition(ti, 'upstream_failed', `cannot expand: no value for ${length.missing.join(', ')}`);
      }
      return [];
    }
    if (length.length === 0) {
      run.transition(ti, 'skipped', 'mapped over an empty list or dict: nothing to run');
      return [];
    }
    if (length.length > maxMapLength) {
      run.transition(ti, 'failed', `mapping would create ${length.length} task instances, more than the limit of ${maxMapLength} (max_map_length)`);
      return [];
    }
    const others = run.of(taskId).filter((u) => u.mapIndex >= 0);
    if (others.some((u) => u.mapIndex === 0)) {
      // Airflow deletes the placeholder here; rows are never deleted by this module, so it is removed.
      // (A removed row still counts as an upstream row for an unmapped all_success downstream.)
      run.transition(ti, 'removed', 'replaced by the expanded task instances');
    } else {
      run.remapPlaceholder(ti, `expanded into ${length.length} task instance(s)`);
    }
    const created: WorkingTi[] = [];
    const indexes = new Set(run.of(taskId).map((u) => u.mapIndex));
    for (let i = 1; i < length.length; i++) {
      if (!indexes.has(i)) created.push(run.create(taskId, i, fact.task.retries, `expanded into ${length.length} task instance(s)`));
    }
    for (const u of run.of(taskId)) {
      if (u.mapIndex >= length.length && u.state !== 'removed') run.transition(u, 'removed', `map index beyond the expansion length ${length.length}`);
    }
    revised.add(taskId);
    // The placeholder (now index 0) is evaluated again with its new map index, like Airflow's additional_tis.
    return [ti, ...created];
  };

  const evaluate = (ti: WorkingTi, fact: TaskFacts): WorkingTi[] => {
    if (fact.needsExpansion && ti.mapIndex >= 0) revise(fact);
    if (!SCHEDULABLE_STATES.has(ti.state)) return [];
    let outcome = triggerOutcome(ti, fact);
    if (outcome.kind !== 'set' && fact.task.mapping !== null) outcome = mappedInputOutcome(fact) ?? outcome;
    if (outcome.kind === 'set') {
      run.transition(ti, outcome.state, outcome.reason);
      changedByChecks = true;
      return [];
    }
    if (outcome.kind === 'wait') {
      wait(ti, outcome.reason);
      return [];
    }
    if (ti.state === 'up_for_retry' && ti.nextRetryAt != null && ti.nextRetryAt > input.now) {
      wait(ti, `waiting for the retry delay: next try at ${new Date(ti.nextRetryAt).toISOString()}`, true);
      return [];
    }
    if (ti.state === 'up_for_reschedule' && ti.rescheduleAt != null && ti.rescheduleAt > input.now) {
      wait(ti, `sensor rescheduled: next poke at ${new Date(ti.rescheduleAt).toISOString()}`, true);
      return [];
    }
    const past = checkDependsOnPast(graph, fact.task, input.previousRun ?? null, hasPriorTis);
    if (!past.met) {
      wait(ti, past.reason);
      return [];
    }
    changedByChecks = true;
    if (ti.mapIndex < 0 && fact.needsExpansion) return expand(ti, fact);
    schedule(ti, fact, ti.state === 'none' ? outcome.reason : `${ti.state.replace(/_/g, ' ')}: time reached`);
    return [];
  };

  for (const taskId of graph.topoOrder) {
    const fact = factsOf(taskId);
    // An index, not shift(): a mapped task's queue holds every map index, and shift() moves the rest each time.
    const queue = run.of(taskId);
    for (let next = 0; next < queue.length; next += 1) {
      for (const more of evaluate(queue[next] as WorkingTi, fact)) queue.push(more);
    }
  }

  // 4. The run's state, from the task instances after the changes.
  const tis = run.all().filter((ti) => facts.has(ti.taskId));
  const waiting: WaitingTaskInstance[] = [];
  let timeOnlyWait = false;
  for (const ti of tis) {
    if (!SCHEDULABLE_STATES.has(ti.state)) continue;
    const entry = waitReasons.get(keyOf(ti));
    if (entry?.timeOnly) timeOnlyWait = true;
    waiting.push({ taskId: ti.taskId, mapIndex: ti.mapIndex, state: ti.state, reason: entry?.reason ?? 'not evaluated' });
  }
  const canProgress =
    changedByChecks || run.changes.length > 0 || timeOnlyWait || tis.some((ti) => ti.state === 'scheduled' || ACTIVE_STATES.has(ti.state));
  const runState = computeDagRunState(graph, tis, canProgress);
  return {
    changes: run.changes,
    runState: runState.state,
    runStateReason: runState.reason,
    runEndReason: runState.endReason,
    waiting,
    scheduled: tis.filter((ti) => ti.state === 'scheduled').map((ti) => ({ taskId: ti.taskId, mapIndex: ti.mapIndex })),
  };
}
