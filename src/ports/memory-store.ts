/**
 * The metadata store in memory: `dags test` (no database) and unit tests of the scheduler. Same guarantees as the
 * PostgreSQL store (compare-and-set on every change, exactly-once start per try), in one process.
 */
import type { DagBundle, DagSpec } from '../dag/bundle.js';
import { assertDagRunTransition, type DagRunState } from '../dag/states.js';
import { pythonIsoUtc } from '../dag/ids.js';
import { assertNewRun, refuseInvalidRunRequests } from '../dag/new-run.js';
import type { DagCallbackRequest } from '../dag/dag-callbacks.js';
import type { DagRunListenerCall } from '../dag/dag-run-listeners.js';
import type { DatasetRef } from '../dag/datasets.js';
import { dagVersionHash } from './dag-version.js';
import { MemoryDatasets } from './memory-datasets.js';
import type { TriggerRequest } from './task-run-contract.js';
import type {
  AttemptOutcome, ChangedTaskInstances, DagCallbackClaim, DagCallbackRecord, DagRunListenerClaim, DagRunListenerRecord, DagRecord, DagRunRecord, DatasetEventRecord, DatasetQueueSnapshot, DatasetRecord, DatasetTriggeredRunRequest, DatasetTriggeredRunResult, LogLine, MetadataStore, Occupancy, RunChangeStamp, RunKey, StartResult, SyncReport,
  TaskInstanceChange, TaskInstanceKey, TaskInstanceRecord, WorkerIdentity, XcomQuery, XcomRow,
} from './metadata-store.js';
import { LISTENER_CALL_HOLD_MS } from './metadata-store.js';

const SEP = '\u0000';
const runKeyOf = (key: RunKey): string => `${key.dagId}${SEP}${key.runId}`;
const tiKeyOf = (key: TaskInstanceKey): string => `${key.dagId}${SEP}${key.runId}${SEP}${key.taskId}${SEP}${key.mapIndex}`;

/**
 * A copy of a task instance row. The record is flat (strings, numbers, null), so a spread copies it entirely; it
 * costs a fraction of structuredClone, which matters because the loop and every attempt list a run's instances.
 */
const copyInstance = (ti: TaskInstanceRecord): TaskInstanceRecord => ({ ...ti });

/** Airflow's default pool size. */
export const DEFAULT_POOL_SLOTS = 128;

interface AttemptRow {
  key: TaskInstanceKey;
  tryNumber: number;
  worker: WorkerIdentity;
  startDate: number;
  endDate: number | null;
  state: string;
  exitReason: string | null;
}

/** In-memory MetadataStore. Values are copied in and out so callers never share mutable rows with it. */
export class MemoryStore implements MetadataStore {
  private readonly dags = new Map<string, DagRecord>();
  private readonly versions = new Map<string, DagSpec>();
  private readonly runs = new Map<string, DagRunRecord>();
  private readonly tis = new Map<string, TaskInstanceRecord>();
  private readonly xcomWrites = new Map<string, number>();
  private writeSeq = 0;
  /** Per run, the sequence number of its latest change (see runChangeStamps). */
  private readonly runChanges = new Map<string, number>();
  private changeSeq = 0;
  private readonly xcoms = new Map<string, Map<string, { taskId: string; mapIndex: number; key: string; value: unknown }>>();
  private readonly logs = new Map<string, LogLine[]>();
  private readonly pools = new Map<string, { slots: number; description: string }>([['default_pool', { slots: DEFAULT_POOL_SLOTS, description: 'Default pool' }]]);
  private readonly variables = new Map<string, string>();
  /** Datasets, their events and the queue of consumer DAGs. */
  readonly datasets = new MemoryDatasets(() => this.dags.values());
  /** History of attempts, oldest first (inspection and tests). */
  readonly attempts: AttemptRow[] = [];
  importErrors: DagBundle['importErrors'] = [];

  async syncBundle(bundle: DagBundle, now: number, options: { pausedOnCreation?: boolean } = {}): Promise<SyncReport> {
    const report: SyncReport = { added: [], updated: [], deactivated: [], importErrors: bundle.importErrors.length };
    const seen = new Set<string>();
    for (const spec of bundle.dags) {
      seen.add(spec.dagId);
      const versionHash = dagVersionHash(spec);
      this.versions.set(`${spec.dagId}${SEP}${versionHash}`, structuredClone(spec));
      const existing = this.dags.get(spec.dagId);
      if (!existing) {
        report.added.push(spec.dagId);
        const paused = spec.isPausedUponCreation ?? options.pausedOnCreation ?? false;
        this.dags.set(spec.dagId, { dagId: spec.dagId, versionHash, spec: structuredClone(spec), isPaused: paused, isActive: true, lastParsedAt: now });
      } else {
        if (existing.versionHash !== versionHash) report.updated.push(spec.dagId);
        this.dags.set(spec.dagId, { ...existing, versionHash, spec: structuredClone(spec), isActive: true, lastParsedAt: now });
      }
    }
    for (const [dagId, dag] of this.dags) {
      if (!seen.has(dagId) && dag.isActive) {
        dag.isActive = false;
        report.deactivated.push(dagId);
      }
    }
    this.importErrors = structuredClone(bundle.importErrors);
    this.datasets.register(bundle.dags, now);
    return report;
  }

  async listDags(): Promise<DagRecord[]> {
    return [...this.dags.values()].map((dag) => structuredClone(dag));
  }

  async listPausedDagIds(): Promise<string[]> {
    return [...this.dags.values()].filter((dag) => dag.isPaused).map((dag) => dag.dagId);
  }

  async getDag(dagId: string): Promise<DagRecord | null> {
    const dag = this.dags.get(dagId);
    return dag ? structuredClone(dag) : null;
  }

  async getDagVersion(dagId: string, versionHash: string): Promise<DagSpec | null> {
    const spec = this.versions.get(`${dagId}${SEP}${versionHash}`);
    return spec ? structuredClone(spec) : null;
  }

  async setPaused(dagId: string, paused: boolean): Promise<boolean> {
    const dag = this.dags.get(dagId);
    if (!dag) return false;
    dag.isPaused = paused;
    return true;
  }

  async createDagRun(
    run: Omit<DagRunRecord, 'startDate' | 'endDate' | 'state'> & { state?: DagRunState },
    _now: number,
  ): Promise<{ created: boolean; run: DagRunRecord | null }> {
    assertNewRun(run);
    const key = runKeyOf(run);
    if (this.runs.has(key)) return { created: false, run: structuredClone(this.runs.get(key) ?? null) };
    if (run.runType !== 'manual' && run.logicalDate !== null) {
      for (const existing of this.runs.values()) {
        if (existing.dagId === run.dagId && existing.runType !== 'manual' && existing.logicalDate === run.logicalDate) {
          return { created: false, run: structuredClone(existing) };
        }
      }
    }
    const record: DagRunRecord = { ...structuredClone(run), state: run.state ?? 'queued', startDate: null, endDate: null };
    this.runs.set(key, record);
    this.touch(record);
    return { created: true, run: structuredClone(record) };
  }

  async getDagRun(key: RunKey): Promise<DagRunRecord | null> {
    const run = this.runs.get(runKeyOf(key));
    return run ? structuredClone(run) : null;
  }

  async listActiveRuns(): Promise<DagRunRecord[]> {
    return [...this.runs.values()].filter((run) => run.state === 'queued' || run.state === 'running').map((run) => structuredClone(run));
  }

  async runChangeStamps(): Promise<RunChangeStamp[]> {
    return [...this.runs.values()]
      .filter((run) => run.state === 'queued' || run.state === 'running')
      .map((run) => ({ dagId: run.dagId, runId: run.runId, stamp: String(this.runChanges.get(runKeyOf(run)) ?? 0) }));
  }

  async listDagRuns(filter: { dagId?: string; limit?: number }): Promise<DagRunRecord[]> {
    const runs = [...this.runs.values()]
      .filter((run) => filter.dagId === undefined || run.dagId === filter.dagId)
      .sort((a, b) => b.queuedAt - a.queuedAt);
    return runs.slice(0, filter.limit ?? runs.length).map((run) => structuredClone(run));
  }

  async lastAutomatedRun(dagId: string): Promise<DagRunRecord | null> {
    let latest: DagRunRecord | null = null;
    for (const run of this.runs.values()) {
      if (run.dagId !== dagId || (run.runType !== 'scheduled' && run.runType !== 'backfill') || run.logicalDate === null) continue;
      if (!latest || Date.parse(run.logicalDate) > Date.parse(latest.logicalDate ?? '')) latest = run;
    }
    return latest ? structuredClone(latest) : null;
  }

  async previousRun(run: DagRunRecord, state?: DagRunState): Promise<DagRunRecord | null> {
    const at = (r: DagRunRecord): number => Date.parse(r.logicalDate ?? r.runAfter);
    let previous: DagRunRecord | null = null;
    for (const candidate of this.runs.values()) {
      if (candidate.dagId !== run.dagId || candidate.runId === run.runId || (state !== undefined && candidate.state !== state)) continue;
      if (at(candidate) < at(run) && (!previous || at(candidate) > at(previous))) previous = candidate;
    }
    return previous ? structuredClone(previous) : null;
  }

  async setDagRunState(key: RunKey, from: DagRunState, to: DagRunState, now: number, callback?: DagCallbackRequest | null, listener?: DagRunListenerCall | null): Promise<boolean> {
    assertDagRunTransition(`${key.dagId}/${key.runId}`, from, to);
    const run = this.runs.get(runKeyOf(key));
    if (!run || run.state !== from) return false;
    run.state = to;
    this.touch(run);
    if (to === 'running' && run.startDate === null) run.startDate = now;
    if (to === 'success' || to === 'failed') run.endDate = now;
    if (to === 'queued' || to === 'running') run.endDate = null;
    if (callback) {
      this.dagCallbacks.set(runKeyOf(key), { dagId: key.dagId, runId: key.runId, kind: callback.kind, reason: callback.reason, state: 'pending', error: null, output: '' });
    }
    if (listener) {
      this.listenerCalls.push({ id: this.listenerCalls.length + 1, dagId: key.dagId, runId: key.runId, hook: listener.hook, msg: listener.msg, state: 'pending', error: null, output: '', updatedAt: now });
    }
    return true;
  }

  private readonly listenerCalls: (DagRunListenerRecord & { updatedAt: number })[] = [];

  async claimDagRunListenerCalls(limit: number, now: number): Promise<DagRunListenerClaim[]> {
    const claimed: DagRunListenerClaim[] = [];
    const held = new Set<string>();
    for (const [index, call] of this.listenerCalls.entries()) {
      if (claimed.length >= limit) break;
      const run = runKeyOf(call);
      const holds = call.state === 'pending' || (call.state === 'running' && now - call.updatedAt < LISTENER_CALL_HOLD_MS);
      if (call.state === 'pending' && !held.has(run)) {
        this.listenerCalls[index] = { ...call, state: 'running', updatedAt: now };
        claimed.push({ id: call.id, dagId: call.dagId, runId: call.runId, hook: call.hook, msg: call.msg });
      }
      if (holds) held.add(run);
    }
    return claimed;
  }

  async finishDagRunListenerCall(id: number, outcome: { error: string | null; output: string }, now: number): Promise<void> {
    const index = this.listenerCalls.findIndex((call) => call.id === id && call.state === 'running');
    const call = this.listenerCalls[index];
    if (call) this.listenerCalls[index] = { ...call, state: 'done', ...outcome, updatedAt: now };
  }

  async listDagRunListenerCalls(key: RunKey): Promise<DagRunListenerRecord[]> {
    return this.listenerCalls
      .filter((call) => call.dagId === key.dagId && call.runId === key.runId)
      .map(({ updatedAt: _updatedAt, ...call }) => ({ ...call }));
  }

  private readonly dagCallbacks = new Map<string, DagCallbackRecord>();

  async claimDagCallbacks(limit: number, _now: number): Promise<DagCallbackClaim[]> {
    const claimed: DagCallbackClaim[] = [];
    for (const [id, record] of this.dagCallbacks) {
      if (claimed.length >= limit) break;
      if (record.state !== 'pending') continue;
      this.dagCallbacks.set(id, { ...record, state: 'running' });
      claimed.push({ dagId: record.dagId, runId: record.runId, kind: record.kind, reason: record.reason });
    }
    return claimed;
  }

  async finishDagCallback(key: RunKey, outcome: { error: string | null; output: string }, _now: number): Promise<void> {
    const record = this.dagCallbacks.get(runKeyOf(key));
    if (record?.state === 'running') this.dagCallbacks.set(runKeyOf(key), { ...record, state: 'done', ...outcome });
  }

  async getDagCallback(key: RunKey): Promise<DagCallbackRecord | null> {
    const record = this.dagCallbacks.get(runKeyOf(key));
    return record ? { ...record } : null;
  }

  async listTaskInstances(key: RunKey): Promise<TaskInstanceRecord[]> {
    const prefix = `${runKeyOf(key)}${SEP}`;
    return [...this.tis.entries()].filter(([k]) => k.startsWith(prefix)).map(([, ti]) => copyInstance(ti));
  }

  /** In memory a whole read is as cheap as any: every instance, every time (the port allows unchanged ones). */
  async listTaskInstancesChanged(key: RunKey): Promise<ChangedTaskInstances> {
    const instances = await this.listTaskInstances(key);
    return { instances, total: instances.length, next: '' };
  }

  async getTaskInstance(key: TaskInstanceKey): Promise<TaskInstanceRecord | null> {
    const ti = this.tis.get(tiKeyOf(key));
    return ti ? copyInstance(ti) : null;
  }

  async applyChanges(run: DagRunRecord, spec: DagSpec, changes: readonly TaskInstanceChange[], now: number): Promise<TaskInstanceChange[]> {
    const applied: TaskInstanceChange[] = [];
    const tasks = new Map(spec.tasks.map((task) => [task.taskId, task]));
    for (const change of changes) {
      const key = { dagId: run.dagId, runId: run.runId, taskId: change.taskId, mapIndex: change.mapIndex };
      const id = tiKeyOf(key);
      if (change.kind === 'create') {
        if (this.tis.has(id)) continue;
        const task = tasks.get(change.taskId);
        const initial = change.state ?? 'none';
        this.tis.set(id, {
          ...key,
          state: initial,
          tryNumber: 0,
          maxTries: change.maxTries ?? task?.retries ?? 0,
          queue: task?.queue ?? 'default',
          pool: task?.pool ?? 'default_pool',
          poolSlots: task?.poolSlots ?? 1,
          priorityWeight: change.priorityWeight,
          queuedAt: null, startDate: null, endDate: initial === 'none' ? null : now,
          nextRetryAt: null, rescheduleAt: null, sensorFirstPokeAt: null,
          workerId: null, hostname: null, pid: null, note: change.note ?? null,
        });
        applied.push(change);
        continue;
      }
      if (change.kind === 'remap') {
        const placeholder = this.tis.get(id);
        const target = tiKeyOf({ ...key, mapIndex: change.toMapIndex });
        if (!placeholder || placeholder.state !== change.state || this.tis.has(target)) continue;
        this.tis.delete(id);
        this.tis.set(target, { ...placeholder, mapIndex: change.toMapIndex, note: change.note ?? placeholder.note });
        applied.push(change);
        continue;
      }
      const ti = this.tis.get(id);
      if (!ti || ti.state !== change.from) continue;
      ti.state = change.to;
      if (change.note !== undefined) ti.note = change.note;
      if (change.newTry) ti.tryNumber += 1;
      if (change.to === 'up_for_retry') ti.nextRetryAt = change.nextRetryAt ?? now;
      if (change.to === 'scheduled') {
        ti.nextRetryAt = null;
        ti.rescheduleAt = null;
      }
      if (['skipped', 'upstream_failed', 'removed', 'success', 'failed'].includes(change.to) && ti.endDate === null) ti.endDate = now;
      if (change.to === 'none') {
        // A cleared instance starts over: its dates belong to the previous tries.
        ti.startDate = null;
        ti.endDate = null;
        ti.queuedAt = null;
      }
      applied.push(change);
    }
    if (applied.length > 0) this.touch(run);
    return applied;
  }

  async listScheduled(): Promise<TaskInstanceRecord[]> {
    const active = new Set([...this.runs.values()].filter((r) => r.state === 'running' || r.state === 'queued').map(runKeyOf));
    return [...this.tis.values()].filter((ti) => ti.state === 'scheduled' && active.has(runKeyOf(ti))).map((ti) => copyInstance(ti));
  }

  /** In memory: every scheduled instance (the port lets the caller filter and cut). */
  listScheduledFor(): Promise<TaskInstanceRecord[]> {
    return this.listScheduled();
  }

  async occupancy(): Promise<Occupancy> {
    const occupancy: Occupancy = { pools: new Map(), activeByDag: new Map(), activeByTask: new Map(), activeByRunTask: new Map() };
    for (const [name, pool] of this.pools) occupancy.pools.set(name, { slots: pool.slots, used: 0 });
    const bump = (map: Map<string, number>, key: string, by = 1): void => void map.set(key, (map.get(key) ?? 0) + by);
    for (const ti of this.tis.values()) {
      if (ti.state !== 'queued' && ti.state !== 'running') continue;
      const pool = occupancy.pools.get(ti.pool);
      if (pool) pool.used += ti.poolSlots;
      bump(occupancy.activeByDag, ti.dagId);
      bump(occupancy.activeByTask, `${ti.dagId}${SEP}${ti.taskId}`);
      bump(occupancy.activeByRunTask, `${ti.dagId}${SEP}${ti.runId}${SEP}${ti.taskId}`);
    }
    return occupancy;
  }

  async markQueued(keys: ReadonlyArray<TaskInstanceKey & { tryNumber: number }>, now: number): Promise<TaskInstanceRecord[]> {
    const moved: TaskInstanceRecord[] = [];
    for (const key of keys) {
      const ti = this.tis.get(tiKeyOf(key));
      if (!ti || ti.state !== 'scheduled' || ti.tryNumber !== key.tryNumber) continue;
      ti.state = 'queued';
      ti.queuedAt = now;
      this.touch(ti);
      moved.push(copyInstance(ti));
    }
    return moved;
  }

  async listQueued(): Promise<TaskInstanceRecord[]> {
    return [...this.tis.values()].filter((ti) => ti.state === 'queued').map((ti) => copyInstance(ti));
  }

  async listRunning(): Promise<TaskInstanceRecord[]> {
    return [...this.tis.values()].filter((ti) => ti.state === 'running').map((ti) => copyInstance(ti));
  }

  async startTry(key: TaskInstanceKey, tryNumber: number, worker: WorkerIdentity, now: number): Promise<StartResult> {
    const ti = this.tis.get(tiKeyOf(key));
    if (!ti) return { started: false, reason: 'task instance does not exist' };
    if (ti.tryNumber !== tryNumber) return { started: false, reason: `stale message: try ${tryNumber}, the instance is on try ${ti.tryNumber}` };
    if (ti.state !== 'queued') return { started: false, reason: `task instance is ${ti.state}, not queued` };
    const run = this.runs.get(runKeyOf(key));
    if (!run) return { started: false, reason: 'DAG run does not exist' };
    ti.state = 'running';
    this.touch(ti);
    ti.startDate = now;
    ti.endDate = null;
    ti.workerId = worker.workerId;
    ti.hostname = worker.hostname;
    ti.pid = worker.pid;
    if (ti.sensorFirstPokeAt === null) ti.sensorFirstPokeAt = now;
    this.attempts.push({ key: { ...key }, tryNumber, worker: { ...worker }, startDate: now, endDate: null, state: 'running', exitReason: null });
    return { started: true, instance: copyInstance(ti), run: structuredClone(run) };
  }

  async finishTry(reported: AttemptOutcome): Promise<boolean> {
    const outcome = refuseInvalidRunRequests(reported, (dagId) => this.dags.get(dagId)?.spec.params);
    const ti = this.tis.get(tiKeyOf(outcome.key));
    // `restarting`: cleared while it ran; the outcome (a retry) is still this attempt's to record.
    if (!ti || (ti.state !== 'running' && ti.state !== 'restarting') || ti.tryNumber !== outcome.tryNumber) return false;
    const restarting = ti.state === 'restarting';
    ti.state = outcome.state;
    this.touch(ti);
    ti.endDate = outcome.endDate;
    ti.nextRetryAt = outcome.nextRetryAt;
    ti.rescheduleAt = outcome.rescheduleAt;
    ti.note = outcome.error ? `${outcome.error.type}: ${outcome.error.message}` : outcome.exitReason;
    if (outcome.state !== 'up_for_reschedule') ti.sensorFirstPokeAt = null;
    if (!restarting && outcome.renderedMapIndex != null) ti.renderedMapIndex = outcome.renderedMapIndex;
    for (const xcom of outcome.xcoms) this.putXcom(outcome.key, xcom.key, xcom.value);
    for (const taskId of outcome.skipTaskIds) {
      for (const other of this.tis.values()) {
        if (other.dagId === outcome.key.dagId && other.runId === outcome.key.runId && other.taskId === taskId && other.state !== 'skipped' && other.state !== 'removed' &&
          (outcome.skipMapIndex == null || other.mapIndex === outcome.skipMapIndex)) {
          other.state = 'skipped';
          other.endDate = outcome.endDate;
          other.note = `skipped by ${outcome.key.taskId}`;
        }
      }
    }
    const attempt = [...this.attempts].reverse().find((a) => tiKeyOf(a.key) === tiKeyOf(outcome.key) && a.tryNumber === outcome.tryNumber);
    if (attempt) {
      attempt.endDate = outcome.endDate;
      attempt.state = outcome.state;
      attempt.exitReason = outcome.exitReason;
    }
    // A try cleared while it ran records no events (as the PostgreSQL store).
    if (outcome.state === 'success' && !restarting) for (const event of outcome.outletEvents ?? []) this.datasets.record(event, outcome.key, outcome.endDate);
    for (const request of outcome.triggerDagRuns) await this.triggerRun(request, outcome.endDate);
    return true;
  }

  async triggerDagRunForTry(key: TaskInstanceKey, tryNumber: number, request: TriggerRequest, now: number): Promise<{ created: boolean; run: DagRunRecord | null } | null> {
    const ti = this.tis.get(tiKeyOf(key));
    if (!ti || ti.state !== 'running' || ti.tryNumber !== tryNumber) return null;
    if (!this.dags.has(request.dagId)) return { created: false, run: null };
    return this.triggerRun(request, now);
  }

  /** A TriggerDagRunOperator's run (insert-if-absent; no reset here). */
  private triggerRun(request: TriggerRequest, now: number): Promise<{ created: boolean; run: DagRunRecord | null }> {
    const at = pythonIsoUtc(now);
    return this.createDagRun({
      dagId: request.dagId,
      runId: request.runId ?? `manual__${at}`,
      versionHash: this.dags.get(request.dagId)?.versionHash ?? '',
      runType: 'manual',
      logicalDate: request.logicalDate ?? at,
      dataIntervalStart: request.logicalDate ?? at,
      dataIntervalEnd: request.logicalDate ?? at,
      runAfter: at,
      conf: request.conf,
      queuedAt: now,
    }, now);
  }

  async requeueTry(key: TaskInstanceKey, tryNumber: number, from: 'queued' | 'running', note: string, now: number): Promise<boolean> {
    const ti = this.tis.get(tiKeyOf(key));
    if (!ti || ti.state !== from || ti.tryNumber !== tryNumber) return false;
    ti.state = 'scheduled';
    this.touch(ti);
    ti.tryNumber += 1;
    ti.maxTries += 1;
    ti.note = note;
    ti.queuedAt = null;
    ti.workerId = null;
    const attempt = [...this.attempts].reverse().find((a) => tiKeyOf(a.key) === tiKeyOf(key) && a.tryNumber === tryNumber);
    if (attempt && attempt.endDate === null) {
      attempt.endDate = now;
      attempt.state = 'handed_back';
      attempt.exitReason = note;
    }
    return true;
  }

  async clearTaskInstances(run: DagRunRecord, spec: DagSpec, targets: ReadonlyArray<{ taskId: string; mapIndex: number }>, now: number): Promise<number> {
    const retries = new Map(spec.tasks.map((task) => [task.taskId, task.retries]));
    let changed = 0;
    for (const target of targets) {
      const ti = this.tis.get(tiKeyOf({ dagId: run.dagId, runId: run.runId, ...target }));
      // An instance that never ran has nothing to clear (as in the PostgreSQL store).
      if (!ti || ti.state === 'none') continue;
      if (ti.state === 'running') {
        ti.state = 'restarting';
      } else {
        ti.state = 'none';
        ti.maxTries = ti.tryNumber + (retries.get(ti.taskId) ?? 0);
        ti.startDate = null;
        ti.endDate = null;
        ti.queuedAt = null;
        ti.nextRetryAt = null;
        ti.rescheduleAt = null;
      }
      ti.note = `cleared at ${new Date(now).toISOString()}`;
      this.touch(ti);
      changed += 1;
    }
    return changed;
  }

  async countHandBacks(key: TaskInstanceKey): Promise<number> {
    return this.attempts.filter((a) => tiKeyOf(a.key) === tiKeyOf(key) && a.state === 'handed_back').length;
  }

  /** Stores one XCom; the map's order is the write order (a rewrite moves to the end), for queryXcoms. */
  private putXcom(key: TaskInstanceKey, xcomKey: string, value: unknown): void {
    const runXcoms = this.xcomsOf(key);
    const id = `${key.taskId}${SEP}${key.mapIndex}${SEP}${xcomKey}`;
    runXcoms.delete(id);
    runXcoms.set(id, { taskId: key.taskId, mapIndex: key.mapIndex, key: xcomKey, value: structuredClone(value) });
    this.xcomWrites.set(`${runKeyOf(key)}${SEP}${id}`, ++this.writeSeq);
    this.touch(key);
  }

  /** Records a change of the run (its row, an instance or an XCom of it). */
  private touch(key: RunKey): void {
    this.runChanges.set(runKeyOf(key), ++this.changeSeq);
  }

  async countTaskInstances(query: Parameters<MetadataStore['countTaskInstances']>[0]): Promise<number> {
    const dates = new Set(query.logicalDates.map((d) => Date.parse(d)));
    const runIds = new Set([...this.runs.values()].filter((r) => r.dagId === query.dagId && r.logicalDate !== null && dates.has(Date.parse(r.logicalDate))).map((r) => r.runId));
    return [...this.tis.values()].filter((ti) => ti.dagId === query.dagId && runIds.has(ti.runId) && query.taskIds.includes(ti.taskId) && (query.states === null || query.states.includes(ti.state))).length;
  }

  async countDagRuns(query: Parameters<MetadataStore['countDagRuns']>[0]): Promise<number> {
    const dates = new Set(query.logicalDates.map((d) => Date.parse(d)));
    return [...this.runs.values()].filter((r) => r.dagId === query.dagId && r.logicalDate !== null && dates.has(Date.parse(r.logicalDate)) && query.states.includes(r.state)).length;
  }

  async queryXcoms(query: XcomQuery): Promise<XcomRow[]> {
    const rows: Array<{ row: XcomRow; runAt: number; seq: number }> = [];
    const before = Date.parse(query.before);
    for (const run of this.runs.values()) {
      if (!query.dagIds.includes(run.dagId)) continue;
      const runAt = Date.parse(run.logicalDate ?? run.runAfter);
      if (query.includePriorDates ? runAt > before : run.runId !== query.runId) continue;
      for (const [id, x] of this.xcomsOf(run)) {
        if ((query.key && x.key !== query.key) || (query.taskIds && !query.taskIds.includes(x.taskId)) || (query.mapIndexes && !query.mapIndexes.includes(x.mapIndex))) continue;
        rows.push({ row: { dagId: run.dagId, runId: run.runId, ...structuredClone(x) }, runAt, seq: this.xcomWrites.get(`${runKeyOf(run)}${SEP}${id}`) ?? 0 });
      }
    }
    rows.sort((a, b) => b.runAt - a.runAt || b.seq - a.seq);
    return rows.slice(0, query.limit ?? undefined).map((r) => r.row);
  }

  async pushXcom(key: TaskInstanceKey, tryNumber: number, xcomKey: string, value: unknown): Promise<boolean> {
    const ti = this.tis.get(tiKeyOf(key));
    if (!ti || ti.state !== 'running' || ti.tryNumber !== tryNumber) return false;
    this.putXcom(key, xcomKey, value);
    return true;
  }

  private xcomsOf(key: RunKey): Map<string, { taskId: string; mapIndex: number; key: string; value: unknown }> {
    const id = runKeyOf(key);
    let map = this.xcoms.get(id);
    if (!map) {
      map = new Map();
      this.xcoms.set(id, map);
    }
    return map;
  }

  async listXcoms(key: RunKey): Promise<Array<{ taskId: string; mapIndex: number; key: string; value: unknown }>> {
    return [...this.xcomsOf(key).values()].map((x) => structuredClone(x));
  }

  async appendLogLines(key: TaskInstanceKey, tryNumber: number, lines: readonly LogLine[]): Promise<void> {
    const id = `${tiKeyOf(key)}${SEP}${tryNumber}`;
    const list = this.logs.get(id) ?? [];
    list.push(...lines.map((line) => ({ ...line })));
    this.logs.set(id, list);
  }

  async readLogLines(key: TaskInstanceKey, tryNumber: number, afterSeq = -1): Promise<LogLine[]> {
    return (this.logs.get(`${tiKeyOf(key)}${SEP}${tryNumber}`) ?? []).filter((line) => line.seq > afterSeq).map((line) => ({ ...line }));
  }

  async listDatasets(): Promise<DatasetRecord[]> {
    return this.datasets.list();
  }

  async listDatasetEvents(filter: { uri?: string; limit?: number }): Promise<DatasetEventRecord[]> {
    return this.datasets.listEvents(filter);
  }

  async createDatasetEvent(uri: string, extra: Record<string, unknown>, now: number): Promise<DatasetEventRecord | null> {
    return this.datasets.record({ uri, extra, aliases: [] }, null, now);
  }

  async listDatasetQueue(): Promise<DatasetQueueSnapshot> {
    return this.datasets.queueSnapshot();
  }

  async createDatasetTriggeredRun(request: DatasetTriggeredRunRequest, now: number): Promise<DatasetTriggeredRunResult> {
    return this.datasets.createTriggeredRun(request, now, { runs: () => this.runs.values(), createDagRun: (run) => this.createDagRun(run, now) });
  }

  async listRunDatasetEvents(key: RunKey, limit: number): Promise<DatasetEventRecord[]> {
    return this.datasets.runEvents(key, limit);
  }

  async listInletDatasetEvents(inlets: readonly DatasetRef[], limitPerInlet: number): Promise<Array<{ inlet: DatasetRef; events: DatasetEventRecord[] }>> {
    return this.datasets.inletEvents(inlets, limitPerInlet);
  }

  async listVariables(): Promise<Record<string, string>> {
    return Object.fromEntries(this.variables);
  }

  async getVariable(key: string): Promise<string | null> {
    return this.variables.get(key) ?? null;
  }

  async setVariable(key: string, value: string): Promise<void> {
    this.variables.set(key, value);
  }

  async deleteVariable(key: string): Promise<boolean> {
    return this.variables.delete(key);
  }

  async setPool(name: string, slots: number, description = ''): Promise<void> {
    this.pools.set(name, { slots, description });
  }

  async close(): Promise<void> {
    // Nothing to release: the data lives and dies with the process.
  }
}
