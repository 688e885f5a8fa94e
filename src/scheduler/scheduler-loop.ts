/**
 * One scheduler iteration, the same for `dags test`, standalone and the cluster scheduler:
 *
 *   start queued runs (max_active_runs) -> for each running run: decideRun (pure) -> apply the changes with
 *   compare-and-set -> set the run's state -> admission (pools, limits, priority) -> `scheduled -> queued`
 *   (compare-and-set) -> hand the queued instances to the executor.
 *
 * Every write is a compare-and-set, so two schedulers running this at once never apply the same change twice:
 * the loser's change is refused and it decides again from fresh rows on its next iteration.
 *
 * A run is decided again only when deciding it could give another answer: its change stamp
 * (MetadataStore.runChangeStamps, read before anything else of the tick) moved since its last decision, or
 * time-based work of that decision is due (a retry delay or a sensor's next poke ends, dagrun_timeout passes),
 * or it waits on another run (depends_on_past). Otherwise its last decision stands and the run is not read at
 * all, so an idle tick costs what changed, not the size of the active runs (docs/scheduling.md).
 */
import { admissionSteps, isFilteredOut, sortCandidates, type AdmissionCandidate, type AdmissionRejection } from '../dag/admission.js';
import { DEFAULT_MAX_QUEUED_PER_LOOP, admissionCounts, candidateOf } from './admission-input.js';
import type { DagSpec } from '../dag/bundle.js';
import { dagCallbackFor } from '../dag/dag-callbacks.js';
import { dagRunListenerCallFor, type DagRunHook, type DagRunListenerCall } from '../dag/dag-run-listeners.js';
import { decideRun, type RunChange, type WaitingTaskInstance } from '../dag/decide.js';
import type { PreviousRun } from '../dag/depends-on-past.js';
import { buildGraph, type DagGraph } from '../dag/graph.js';
import { mapsFromXcom, xcomMapInputLength, type MapInputLength } from '../dag/mapping.js';
import { priorityWeights, weightAt, type PriorityWeights } from '../dag/priority.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Executor } from '../ports/executor.js';
import type { DagRunRecord, MetadataStore, TaskInstanceChange, TaskInstanceRecord } from '../ports/metadata-store.js';

/** Settings of the loop. */
export interface SchedulerLoopOptions {
  /** Most task instances one mapped task may expand into (Airflow's max_map_length). */
  maxMapLength?: number;
  /** Most task instances queued per iteration (Airflow's max_tis_per_query). */
  maxQueuedPerLoop?: number;
  /** Where max_active_tasks applies: per DAG (Airflow 2, default) or per DAG run (Airflow 3). */
  maxActiveTasksScope?: 'dag' | 'dag_run';
  /**
   * The DAG-run hooks some plugin listener implements (src/shim/listener-probe.ts): each run state change whose
   * hook is here records one call in the compare-and-set that makes it (docs/dag-callbacks.md). Default none.
   */
  dagRunHooks?: ReadonlySet<DagRunHook>;
}

/** What one iteration did. */
export interface LoopStats {
  runsDecided: number;
  /** Running runs not decided again: nothing changed and nothing became due since their last decision. */
  runsUnchanged: number;
  changesApplied: number;
  queued: number;
  runsFinished: Array<{ dagId: string; runId: string; state: 'success' | 'failed' }>;
}

/** What the last decision of a run depends on, to tell whether deciding it again could change anything. */
interface LastDecision {
  /** The run's change stamp read before that decision read the run. */
  stamp: string;
  /** The earliest time at which that decision would differ without any change (a retry or poke due); Infinity: none. */
  dueAt: number;
}

/**
 * The loop's copy of a running run's task instances, brought up to date from the rows written since its last
 * read (MetadataStore.listTaskInstancesChanged), so a run of 100,000 instances that changed in ten is read ten
 * rows, not 100,000.
 */
interface RunCopy {
  /** `since` of the next read. */
  next: string;
  /** The run's queuedAt when the copy was made: a run deleted and created again under its id is read whole. */
  queuedAt: number;
  instances: Map<string, TaskInstanceRecord>;
}

interface VersionEntry {
  spec: DagSpec;
  graph: DagGraph;
  weights: PriorityWeights;
  dependsOnPast: boolean;
  mapsFromXcom: boolean;
}

const runKey = (key: { dagId: string; runId: string }): string => `${key.dagId}\u0000${key.runId}`;
const candidateKey = (c: AdmissionCandidate): string => `${c.dagId}\u0000${c.runId}\u0000${c.taskId}\u0000${c.mapIndex}`;

/** Whether the run has passed its dagrun_timeout (Airflow fails it then). */
function timedOut(run: DagRunRecord, spec: DagSpec, now: number): boolean {
  return spec.dagrunTimeoutSeconds !== null && run.startDate !== null && now - run.startDate > spec.dagrunTimeoutSeconds * 1000;
}

/**
 * The earliest future time at which an instance's wait ends by itself: an `up_for_retry` instance's next try, an
 * `up_for_reschedule` sensor's next poke (decideRun schedules them once that time is reached). Times already
 * reached are left out: an instance that still waits then waits on something else, whose change moves the stamp.
 */
function nextTimeDue(tis: readonly TaskInstanceRecord[], now: number): number {
  let due = Number.POSITIVE_INFINITY;
  for (const ti of tis) {
    const at = ti.state === 'up_for_retry' ? ti.nextRetryAt : ti.state === 'up_for_reschedule' ? ti.rescheduleAt : null;
    if (at != null && at > now && at < due) due = at;
  }
  return due;
}

/** Turns a decision's change into the store's change (reason -> note, the new try). */
export function toStoreChange(change: RunChange, weights: PriorityWeights, current: ReadonlyMap<string, TaskInstanceRecord>): TaskInstanceChange {
  switch (change.kind) {
    case 'create':
      return { kind: 'create', taskId: change.taskId, mapIndex: change.mapIndex, maxTries: change.maxTries, priorityWeight: weightAt(weights, change.taskId, change.mapIndex), note: change.reason };
    case 'remap':
      return { kind: 'remap', taskId: change.taskId, mapIndex: -1, toMapIndex: 0, state: change.state, note: change.reason };
    case 'transition': {
      const before = current.get(`${change.taskId}\u0000${change.mapIndex}`)?.tryNumber ?? 0;
      return {
        kind: 'transition', taskId: change.taskId, mapIndex: change.mapIndex, from: change.from, to: change.to, note: change.reason,
        newTry: change.tryNumber !== undefined && change.tryNumber > before,
      };
    }
  }
}

/** The scheduler's decision loop over a store and an executor. */
export class SchedulerLoop {
  private readonly versions = new Map<string, VersionEntry>();
  /** Why each waiting task instance waits, per run (for `tasks why` and the live view). */
  readonly waiting = new Map<string, readonly WaitingTaskInstance[]>();
  /** Scheduled instances the last admission left waiting, with the reason (pool full, limits). */
  lastRejections: readonly AdmissionRejection[] = [];
  /** Per running run, its last complete decision (dropped when the run is no longer running). */
  private readonly decided = new Map<string, LastDecision>();
  /** Per running run, its task instances as last read (dropped with the run's decision, or after a refused change). */
  private readonly copies = new Map<string, RunCopy>();

  constructor(
    private readonly store: MetadataStore,
    private readonly executor: Executor,
    private readonly log: Logger,
    private readonly options: SchedulerLoopOptions = {},
  ) {}

  private async version(run: DagRunRecord): Promise<VersionEntry | null> {
    const id = `${run.dagId}\u0000${run.versionHash}`;
    let entry = this.versions.get(id);
    if (!entry) {
      const spec = await this.store.getDagVersion(run.dagId, run.versionHash);
      if (!spec) return null;
      const graph = buildGraph(spec);
      entry = {
        spec,
        graph,
        weights: priorityWeights(spec),
        dependsOnPast: spec.tasks.some((t) => t.dependsOnPast || t.waitForDownstream),
        mapsFromXcom: spec.tasks.some(mapsFromXcom),
      };
      if (this.versions.size > 512) this.versions.clear();
      this.versions.set(id, entry);
    }
    return entry;
  }

  /** One iteration at time `now`. */
  /**
   * DAGs that are paused, refreshed every few seconds: runs of a paused DAG do not start and their task instances
   * are not queued (tasks already running finish), as in Airflow.
   */
  private paused: { ids: Set<string>; at: number } = { ids: new Set(), at: Number.NEGATIVE_INFINITY };

  private async pausedDags(now: number): Promise<Set<string>> {
    if (now - this.paused.at > 2_000 || now < this.paused.at) {
      this.paused = { ids: new Set(await this.store.listPausedDagIds()), at: now };
    }
    return this.paused.ids;
  }

  async tick(now: number): Promise<LoopStats> {
    const stats: LoopStats = { runsDecided: 0, runsUnchanged: 0, changesApplied: 0, queued: 0, runsFinished: [] };
    // First: every change committed after this read moves the stamp of its run for the next tick.
    const stamps = new Map((await this.store.runChangeStamps()).map((s) => [runKey(s), s.stamp]));
    const paused = await this.pausedDags(now);
    const active = (await this.store.listActiveRuns()).filter((run) => !paused.has(run.dagId));
    await this.startQueuedRuns(active, now);
    const running = new Set<string>();
    for (const run of active) {
      if (run.state !== 'running') continue;
      const key = runKey(run);
      running.add(key);
      const stamp = stamps.get(key);
      const last = this.decided.get(key);
      this.decided.delete(key);
      if (stamp !== undefined && last !== undefined && last.stamp === stamp && now < last.dueAt) {
        const entry = await this.version(run);
        if (entry && !timedOut(run, entry.spec, now)) {
          this.decided.set(key, last);
          stats.runsUnchanged += 1;
          continue;
        }
      }
      try {
        const dueAt = await this.decide(run, now, stats);
        if (stamp !== undefined && dueAt !== null) this.decided.set(key, { stamp, dueAt });
      } catch (error) {
        this.copies.delete(key);
        this.log.error('could not decide a DAG run; will try again', { dagId: run.dagId, runId: run.runId, error: errorMessage(error) });
      }
    }
    for (const key of this.decided.keys()) if (!running.has(key)) this.decided.delete(key);
    for (const key of this.copies.keys()) if (!running.has(key)) this.copies.delete(key);
    stats.queued = await this.queueRunnable(now, paused);
    return stats;
  }

  /**
   * Queues `scheduled` task instances (admission, compare-and-set, hand-over) without deciding any run: how
   * `dags test` finishes one wave of Airflow's `dag.test()` when the executor had fewer slots than the wave.
   */
  async queueScheduled(now: number): Promise<number> {
    return this.queueRunnable(now, await this.pausedDags(now));
  }

  /** queued -> running for runs within their DAG's max_active_runs, oldest first. */
  private async startQueuedRuns(active: DagRunRecord[], now: number): Promise<void> {
    const runningByDag = new Map<string, number>();
    for (const run of active) if (run.state === 'running') runningByDag.set(run.dagId, (runningByDag.get(run.dagId) ?? 0) + 1);
    const queued = active.filter((run) => run.state === 'queued').sort((a, b) => a.queuedAt - b.queuedAt || Date.parse(a.runAfter) - Date.parse(b.runAfter));
    for (const run of queued) {
      const entry = await this.version(run);
      const limit = entry?.spec.maxActiveRuns ?? 16;
      const running = runningByDag.get(run.dagId) ?? 0;
      if (running >= limit) continue;
      // Airflow's _start_queued_dagruns notifies without a msg.
      if (await this.store.setDagRunState(run, 'queued', 'running', now, null, this.listenerCall('running', ''))) {
        run.state = 'running';
        run.startDate = now;
        runningByDag.set(run.dagId, running + 1);
        this.log.info('DAG run started', { dagId: run.dagId, runId: run.runId });
      }
    }
  }

  private listenerCall(state: 'running' | 'success' | 'failed', msg: string): DagRunListenerCall | null {
    const hooks = this.options.dagRunHooks;
    return hooks && hooks.size > 0 ? dagRunListenerCallFor(hooks, state, msg) : null;
  }

  /**
   * Decides one running run and applies the decision. Returns when deciding it again could first give another
   * answer without any change to it (Infinity: never; null: decide it again next tick).
   */
  private async decide(run: DagRunRecord, now: number, stats: LoopStats): Promise<number | null> {
    const entry = await this.version(run);
    if (!entry) {
      this.log.error('the DAG version of this run is missing; failing the run', { dagId: run.dagId, runId: run.runId });
      await this.store.setDagRunState(run, 'running', 'failed', now);
      return null;
    }
    const byKey = await this.instancesOf(run);
    const tis = [...byKey.values()];

    let mapInputLength: MapInputLength | undefined;
    if (entry.mapsFromXcom) {
      mapInputLength = xcomMapInputLength(await this.store.listXcoms(run));
    }
    let previousRun: PreviousRun | null = null;
    if (entry.dependsOnPast) {
      const previous = await this.store.previousRun(run);
      if (previous) previousRun = { runId: previous.runId, tis: await this.store.listTaskInstances(previous) };
    }
    const decision = decideRun({
      dag: entry.spec,
      graph: entry.graph,
      tis,
      mapInputLength,
      previousRun,
      hasPriorTis: () => previousRun !== null,
      now,
      options: { maxMapLength: this.options.maxMapLength },
    });
    stats.runsDecided += 1;
    this.waiting.set(`${run.dagId}\u0000${run.runId}`, decision.waiting);
    if (decision.changes.length > 0) {
      const applied = await this.store.applyChanges(run, entry.spec, decision.changes.map((c) => toStoreChange(c, entry.weights, byKey)), now);
      stats.changesApplied += applied.length;
      // A refused change means another writer got there first: decide again next time from fresh rows.
      if (applied.length !== decision.changes.length) {
        this.copies.delete(runKey(run));
        return null;
      }
    }
    const callback = decision.runEndReason === null ? null : dagCallbackFor(entry.spec, decision.runEndReason);
    // update_state notifies with its callback reason as msg (success, task_failure, all_tasks_deadlocked).
    const listener = decision.runState === 'running' ? null : this.listenerCall(decision.runState, decision.runEndReason ?? '');
    if (decision.runState !== 'running' && (await this.store.setDagRunState(run, 'running', decision.runState, now, callback, listener))) {
      stats.runsFinished.push({ dagId: run.dagId, runId: run.runId, state: decision.runState });
      this.waiting.delete(`${run.dagId}\u0000${run.runId}`);
      this.log.info(`DAG run ${decision.runState}`, { dagId: run.dagId, runId: run.runId, reason: decision.runStateReason });
      return null;
    } else if (timedOut(run, entry.spec, now)) {
      await this.timeOutRun(run, entry, tis, now, stats);
      return null;
    }
    if (decision.runState !== 'running') return null;
    // The previous run's instances are not in this run's stamp: a run that waits on them is decided every tick.
    if (entry.dependsOnPast && decision.waiting.length > 0) return null;
    return nextTimeDue(tis, now);
  }

  /**
   * The run's task instances by `taskId NUL mapIndex`: the copy kept from the last read, with the rows written
   * since; read whole the first time, when the run was created again, and when the count of rows differs from
   * the copy's (a row went away or changed its key: a mapped task's placeholder became map index 0).
   */
  private async instancesOf(run: DagRunRecord): Promise<Map<string, TaskInstanceRecord>> {
    const key = runKey(run);
    const copy = this.copies.get(key);
    if (copy && copy.queuedAt === run.queuedAt) {
      const changed = await this.store.listTaskInstancesChanged(run, copy.next);
      for (const ti of changed.instances) copy.instances.set(`${ti.taskId}\u0000${ti.mapIndex}`, ti);
      copy.next = changed.next;
      if (copy.instances.size === changed.total) return copy.instances;
    }
    const whole = await this.store.listTaskInstancesChanged(run, null);
    const instances = new Map(whole.instances.map((ti) => [`${ti.taskId}\u0000${ti.mapIndex}`, ti]));
    this.copies.set(key, { next: whole.next, queuedAt: run.queuedAt, instances });
    return instances;
  }

  /** dagrun_timeout: the run fails and its unfinished task instances are skipped, as in Airflow. */
  private async timeOutRun(run: DagRunRecord, entry: VersionEntry, tis: TaskInstanceRecord[], now: number, stats: LoopStats): Promise<void> {
    const changes: TaskInstanceChange[] = tis
      .filter((ti) => ['none', 'scheduled', 'queued', 'up_for_retry', 'up_for_reschedule'].includes(ti.state))
      .map((ti) => ({ kind: 'transition', taskId: ti.taskId, mapIndex: ti.mapIndex, from: ti.state, to: 'skipped', note: 'dagrun_timeout reached' }));
    await this.store.applyChanges(run, entry.spec, changes, now);
    // The scheduler's dagrun_timeout notifies without a msg (its callback's reason is timed_out).
    if (await this.store.setDagRunState(run, 'running', 'failed', now, dagCallbackFor(entry.spec, 'timed_out'), this.listenerCall('failed', ''))) {
      stats.runsFinished.push({ dagId: run.dagId, runId: run.runId, state: 'failed' });
      this.log.warn('DAG run failed: dagrun_timeout reached', { dagId: run.dagId, runId: run.runId, dagrunTimeoutSeconds: entry.spec.dagrunTimeoutSeconds });
    }
  }

  /**
   * Admission: which scheduled instances to queue now, then compare-and-set and hand-over. Airflow's loop
   * (admissionSteps) asks its queries of the store, so a tick reads at most one query's limit of scheduled
   * instances at a time however many wait.
   */
  private async queueRunnable(now: number, paused: ReadonlySet<string>): Promise<number> {
    const budget = Math.min(this.executor.openSlots(), this.options.maxQueuedPerLoop ?? DEFAULT_MAX_QUEUED_PER_LOOP);
    if (budget <= 0) return 0;
    const occupancy = await this.store.occupancy();
    const activeRuns = await this.store.listActiveRuns();
    const specs = new Map<string, DagSpec>();
    for (const run of activeRuns) {
      const entry = await this.version(run);
      if (entry) specs.set(`${run.dagId}\u0000${run.versionHash}`, entry.spec);
    }
    const runs = new Map(activeRuns.map((run) => [runKey(run), run]));
    const specOf = (run: DagRunRecord): DagSpec | null => specs.get(`${run.dagId}\u0000${run.versionHash}`) ?? null;
    const tries = new Map<string, number>();
    const seen: AdmissionCandidate[] = [];
    const steps = admissionSteps({ ...admissionCounts(occupancy), maxToAdmit: budget, maxActiveTasksScope: this.options.maxActiveTasksScope ?? 'dag' });
    for (let step = steps.next(); ; ) {
      if (step.done) {
        const outcome = step.value;
        const admitted = new Set(outcome.admitted);
        this.lastRejections = seen.filter((c) => !admitted.has(c)).map((c) => outcome.rejectionOf(c));
        if (outcome.admitted.length === 0) return 0;
        const moved = await this.store.markQueued(
          outcome.admitted.map((c) => ({ dagId: c.dagId, runId: c.runId, taskId: c.taskId, mapIndex: c.mapIndex, tryNumber: tries.get(candidateKey(c)) ?? 0 })),
          now,
        );
        if (moved.length > 0) await this.executor.enqueue(moved, now);
        return moved.length;
      }
      const query = step.value;
      const candidates: AdmissionCandidate[] = [];
      for (const ti of await this.store.listScheduledFor({ ...query, paused })) {
        if (paused.has(ti.dagId)) continue;
        const candidate = candidateOf(ti, runs, specOf);
        if (!candidate || isFilteredOut(query.filters, candidate)) continue;
        tries.set(candidateKey(candidate), ti.tryNumber);
        candidates.push(candidate);
      }
      const batch = sortCandidates(candidates).slice(0, query.limit);
      seen.push(...batch);
      step = steps.next(batch);
    }
  }
}
