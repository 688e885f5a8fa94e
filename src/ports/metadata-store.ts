/**
 * The metadata store as the scheduler, the worker and `dags test` see it. Two implementations: PostgreSQL
 * (`src/store/pg-store.ts`, the source of truth of a cluster) and memory (`src/scheduler/memory-store.ts`, for
 * `dags test` and unit tests). Both honour the same guarantees:
 *
 * - Every state change is a compare-and-set on the expected current state (and, for starts, the expected try):
 *   a change whose precondition no longer holds is not applied and is reported as not applied. Callers never
 *   assume a write happened.
 * - `tryNumber` is incremented when a task instance becomes `scheduled` for a new try (not for a reschedule),
 *   as in Airflow 2.10+. A task message carries that number; `startTry` only succeeds for
 *   `state = queued AND try_number = message.tryNumber`, which is what makes a redelivered or duplicated
 *   message harmless (exactly-once start per try).
 * - Times are epoch milliseconds in this interface; instants of the Airflow model (logical dates, data
 *   intervals) are ISO 8601 strings with a zone, as in the bundle.
 */
import type { DagBundle, DagSpec } from '../dag/bundle.js';
import type { AdmissionQuery } from '../dag/admission.js';
import type { DagCallbackRequest } from '../dag/dag-callbacks.js';
import type { DagRunListenerCall } from '../dag/dag-run-listeners.js';
import type { DatasetRef } from '../dag/datasets.js';
import type { TaskInstanceState, DagRunState } from '../dag/states.js';
import type { OutletEvent, TaskRunError, TriggerRequest } from './task-run-contract.js';

/** Identifies a DAG run. */
export interface RunKey {
  readonly dagId: string;
  readonly runId: string;
}

/** Identifies a task instance. `mapIndex` is -1 for an unmapped task. */
export interface TaskInstanceKey extends RunKey {
  readonly taskId: string;
  readonly mapIndex: number;
}

/** Kinds of DAG run, as in Airflow. */
export type RunType = 'manual' | 'scheduled' | 'backfill' | 'asset_triggered';

/** A DAG as the metadata knows it: the latest parsed version and its scheduling state. */
export interface DagRecord {
  dagId: string;
  /** Hash of the current DagSpec (content-addressed version). */
  versionHash: string;
  spec: DagSpec;
  isPaused: boolean;
  /** False when the DAG disappeared from the folder (file deleted or now failing to import). */
  isActive: boolean;
  lastParsedAt: number;
}

/** A DAG callback handed to one caller by {@link MetadataStore.claimDagCallbacks}. */
export interface DagCallbackClaim extends RunKey, DagCallbackRequest {}

/** A run's DAG callback: pending, running (claimed) or done. */
export interface DagCallbackRecord extends DagCallbackClaim {
  readonly state: 'pending' | 'running' | 'done';
  readonly error: string | null;
  readonly output: string;
}

/** A listener DAG-run hook call handed to one caller by {@link MetadataStore.claimDagRunListenerCalls}. */
export interface DagRunListenerClaim extends RunKey, DagRunListenerCall {
  /** The call's id (its order among the run's calls). */
  readonly id: number;
}

/** A recorded listener DAG-run hook call: pending, running (claimed) or done. */
export interface DagRunListenerRecord extends DagRunListenerClaim {
  readonly state: 'pending' | 'running' | 'done';
  readonly error: string | null;
  readonly output: string;
}

/**
 * How long a claimed listener call holds back the later calls of its run: past it, a call whose scheduler died
 * no longer blocks the run's next hook (it is not called again).
 */
export const LISTENER_CALL_HOLD_MS = 10 * 60_000;

/** One DAG run. A run keeps the DAG version it was created with. */
export interface DagRunRecord extends RunKey {
  versionHash: string;
  runType: RunType;
  state: DagRunState;
  logicalDate: string | null;
  dataIntervalStart: string | null;
  dataIntervalEnd: string | null;
  runAfter: string;
  conf: Record<string, unknown>;
  queuedAt: number;
  startDate: number | null;
  endDate: number | null;
}

/** What {@link MetadataStore.runChangeStamps} says about one run. */
export interface RunChangeStamp extends RunKey {
  /** Opaque; compare for equality only. */
  readonly stamp: string;
}

/** What {@link MetadataStore.listTaskInstancesChanged} answers. */
export interface ChangedTaskInstances {
  /** Every instance of the run written since the read that gave `since` (all of them for null); may hold unchanged ones too. */
  instances: TaskInstanceRecord[];
  /** How many instances the run has now: a copy of another size missed a row that went away, and is read whole. */
  total: number;
  /** Opaque: `since` of the next read. */
  next: string;
}

/** One task instance (the row, not the history). */
export interface TaskInstanceRecord extends TaskInstanceKey {
  state: TaskInstanceState;
  tryNumber: number;
  /** Retries allowed (task.retries); the last try is `maxTries + 1`. */
  maxTries: number;
  queue: string;
  pool: string;
  poolSlots: number;
  priorityWeight: number;
  queuedAt: number | null;
  startDate: number | null;
  endDate: number | null;
  /** When an `up_for_retry` instance may be scheduled again. */
  nextRetryAt: number | null;
  /** When an `up_for_reschedule` sensor may poke again. */
  rescheduleAt: number | null;
  /** First poke of a reschedule-mode sensor (its timeout counts from there). */
  sensorFirstPokeAt: number | null;
  workerId: string | null;
  hostname: string | null;
  pid: number | null;
  /** Why the instance is in its state (a trigger-rule verdict, a failure message, a lease expiry). */
  note: string | null;
  /** The name its `map_index_template` rendered to (Airflow's rendered_map_index); absent or null: none. */
  renderedMapIndex?: string | null;
}

/** A change the scheduler asks the store to apply (compare-and-set on `from`). */
export type TaskInstanceChange =
  | {
      kind: 'create';
      taskId: string;
      mapIndex: number;
      /** Effective priority (weight rule applied), computed by the scheduler. */
      priorityWeight: number;
      /** Retries allowed (default: the task's `retries`). */
      maxTries?: number;
      /** Initial state, default `none`. Insert-if-absent: creating an existing instance is not applied. */
      state?: TaskInstanceState;
      note?: string | null;
    }
  | {
      /**
       * A mapped task's unexpanded placeholder (map index -1) becomes map index 0, keeping its state and tries
       * (Airflow's expand_mapped_task). Compare-and-set on (map index -1, `state`).
       */
      kind: 'remap';
      taskId: string;
      mapIndex: -1;
      toMapIndex: 0;
      state: TaskInstanceState;
      note?: string | null;
    }
  | {
      kind: 'transition';
      taskId: string;
      mapIndex: number;
      from: TaskInstanceState;
      to: TaskInstanceState;
      note?: string | null;
      /** Set for `up_for_retry`. */
      nextRetryAt?: number | null;
      /** Increment try_number (entering `scheduled` for a new try). */
      newTry?: boolean;
    };

/** A finished attempt, as the worker (or local executor) records it. */
export interface AttemptOutcome {
  key: TaskInstanceKey;
  tryNumber: number;
  /** Final state of the task instance after retry rules (success, failed, up_for_retry, skipped, up_for_reschedule). */
  state: TaskInstanceState;
  endDate: number;
  /** XComs to store for this task instance (replaces earlier values of the same keys). */
  xcoms: Array<{ key: string; value: unknown }>;
  /**
   * Other task instances of the same run to set `skipped` (branch not taken, short-circuit, LatestOnly), whatever
   * their state except skipped and removed (Airflow's SkipMixin._set_state_to_skipped).
   */
  skipTaskIds: string[];
  /** Limits the skips to this map index (a branch, or an expanded task); absent or null: every map index. */
  skipMapIndex?: number | null;
  nextRetryAt: number | null;
  rescheduleAt: number | null;
  error: TaskRunError | null;
  exitCode: number | null;
  signal: string | null;
  /** A short human reason: "exit code 3", "timed out after 10s", "killed (worker lost)". */
  exitReason: string | null;
  triggerDagRuns: TriggerRequest[];
  /**
   * Dataset events the attempt emits; recorded only when `state` is `success`, in the same transaction
   * (absent: none). An event of a URI no DAG declared is recorded only when it came through an alias.
   */
  outletEvents?: OutletEvent[];
  /** The name the try's `map_index_template` rendered to; null or absent keeps the instance's earlier name. */
  renderedMapIndex?: string | null;
  /**
   * The template fields as the try rendered them (masked by the task process), stored on the try's history
   * row; absent or empty: none (the try ended before rendering).
   */
  renderedFields?: Record<string, unknown>;
}

/** A dataset (asset) the metadata knows: named by a DAG, attached through an alias, or given an event. */
export interface DatasetRecord {
  uri: string;
  createdAt: number;
  /** Tasks that name it as an outlet (`dagId.taskId`), sorted. */
  producers: string[];
  /** DAGs scheduled on it (directly or through an alias that resolved to it), sorted. */
  consumers: string[];
  /** Aliases that resolved to it, sorted. */
  aliases: string[];
  eventCount: number;
  lastEventAt: number | null;
}

/** One recorded dataset event (Airflow's DatasetEvent / AssetEvent). */
export interface DatasetEventRecord {
  id: number;
  uri: string;
  extra: Record<string, unknown>;
  timestamp: number;
  sourceDagId: string | null;
  sourceRunId: string | null;
  sourceTaskId: string | null;
  sourceMapIndex: number;
  sourceAliases: string[];
}

/** A row of a consumer DAG's queue (Airflow's DatasetDagRunQueue): a dataset updated since its last dataset-triggered run. */
export interface DatasetQueueRow {
  dagId: string;
  uri: string;
  /** When the first event since that run queued it. */
  createdAt: number;
}

/** What the scheduler reads to find the consumers that are due: every queue row, and what each alias resolved to. */
export interface DatasetQueueSnapshot {
  rows: DatasetQueueRow[];
  /** Alias name -> the URIs it resolved to so far. */
  aliases: Record<string, string[]>;
}

/** A dataset-triggered run to create from the queue rows the scheduler evaluated. */
export interface DatasetTriggeredRunRequest {
  /** The consumer as the scheduler read it; the run gets its current version. */
  dag: DagRecord;
  /** The queue rows whose datasets satisfied the condition; exactly these are consumed. */
  rows: DatasetQueueRow[];
  /** Ends an Airflow 3 style run id (letters and digits). */
  runIdSuffix: string;
}

/** Whether a dataset-triggered run was created, and what it consumed. */
export type DatasetTriggeredRunResult =
  | { created: true; run: DagRunRecord; events: DatasetEventRecord[] }
  | { created: false; reason: 'queue_changed' | 'max_active_runs' | 'not_schedulable' | 'run_exists' };

/** What {@link MetadataStore.queryXcoms} selects. Null filters select everything. */
export interface XcomQuery {
  readonly dagIds: readonly string[];
  readonly runId: string;
  /** Read every run up to `before` instead of `runId` alone (`include_prior_dates`). */
  readonly includePriorDates: boolean;
  /** ISO instant: the reading run's logical date (else run_after); used with `includePriorDates`. */
  readonly before: string;
  readonly taskIds: readonly string[] | null;
  readonly key: string | null;
  readonly mapIndexes: readonly number[] | null;
  readonly limit: number | null;
}

/** One XCom as {@link MetadataStore.queryXcoms} returns it. */
export interface XcomRow {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  key: string;
  value: unknown;
}

/** Who runs an attempt. */
export interface WorkerIdentity {
  workerId: string;
  hostname: string;
  pid: number | null;
}

/** Result of `startTry`. */
export type StartResult =
  | { started: true; instance: TaskInstanceRecord; run: DagRunRecord }
  | { started: false; reason: string };

/** Slots in use, for admission. */
export interface Occupancy {
  /** pool name -> { slots, used } */
  pools: Map<string, { slots: number; used: number }>;
  /** dagId -> running+queued task instances */
  activeByDag: Map<string, number>;
  /** `${dagId}\u0000${taskId}` -> running+queued instances (all runs) */
  activeByTask: Map<string, number>;
  /** `${dagId}\u0000${runId}\u0000${taskId}` -> running+queued instances in that run */
  activeByRunTask: Map<string, number>;
}

/** What a DAG-folder sync changed. */
export interface SyncReport {
  added: string[];
  updated: string[];
  deactivated: string[];
  importErrors: number;
}

/** A stored log line of one attempt. */
export interface LogLine {
  seq: number;
  at: number;
  stream: 'stdout' | 'stderr' | 'system';
  line: string;
}

/** The store. Implementations: PostgreSQL and memory. */
export interface MetadataStore {
  // DAGs
  /** Stores every DAG of a bundle (new versions by content hash), import errors, and deactivates DAGs that are gone. */
  syncBundle(bundle: DagBundle, now: number, options?: { pausedOnCreation?: boolean }): Promise<SyncReport>;
  listDags(): Promise<DagRecord[]>;
  /** The ids of the paused DAGs (without their specs: the scheduler reads them every few seconds). */
  listPausedDagIds(): Promise<string[]>;
  getDag(dagId: string): Promise<DagRecord | null>;
  /** The spec a run was created with. */
  getDagVersion(dagId: string, versionHash: string): Promise<DagSpec | null>;
  setPaused(dagId: string, paused: boolean): Promise<boolean>;

  // Runs
  /**
   * Creates a run (no task instances: the scheduler's first decision for the run creates them) unless a run
   * with the same run id, or a non-manual run with the same logical date, exists. Two schedulers may call it for
   * the same run: exactly one gets `created: true`.
   */
  createDagRun(run: Omit<DagRunRecord, 'startDate' | 'endDate' | 'state'> & { state?: DagRunState }, now: number): Promise<{ created: boolean; run: DagRunRecord | null }>;
  getDagRun(key: RunKey): Promise<DagRunRecord | null>;
  /** Runs in `queued` or `running`. */
  listActiveRuns(): Promise<DagRunRecord[]>;
  /**
   * A change stamp per queued or running run: two reads give a run the same stamp only if no change of the run
   * committed in between: a task instance or XCom of it inserted, updated or deleted (by anyone: scheduler,
   * worker, API), or the run's row inserted or updated. Equal stamps may still hide nothing (a different stamp
   * may mean no real change). A run may be missing (then nothing is known). Read it before reading the runs it
   * guards: a change that commits after this read changes the next read's stamp.
   */
  runChangeStamps(): Promise<RunChangeStamp[]>;
  listDagRuns(filter: { dagId?: string; limit?: number }): Promise<DagRunRecord[]>;
  /** The latest scheduled/backfill run of a DAG by logical date (for the next schedule). */
  lastAutomatedRun(dagId: string): Promise<DagRunRecord | null>;
  /**
   * The previous run (by logical date, then run_after) of a DAG before `run` (for depends_on_past); with `state`,
   * the previous one in that state (Airflow's `DagRun.get_previous_dagrun(state=...)`, for `prev_*_success`).
   */
  previousRun(run: DagRunRecord, state?: DagRunState): Promise<DagRunRecord | null>;
  /**
   * Compare-and-set of a run's state; sets start/end dates. With `callback`, the run's DAG callback is recorded as
   * `pending` in the same transaction, only when this call won the compare-and-set: of two schedulers finishing
   * the same run, exactly one records it. A run that ends again after a clear records it again.
   */
  setDagRunState(key: RunKey, from: DagRunState, to: DagRunState, now: number, callback?: DagCallbackRequest | null, listener?: DagRunListenerCall | null): Promise<boolean>;
  /**
   * Claims up to `limit` pending listener DAG-run hook calls (compare-and-set `pending -> running`, SKIP LOCKED),
   * oldest first, each only when no earlier call of its run is pending or running (running for less than
   * {@link LISTENER_CALL_HOLD_MS}): a run's hooks are called one after another, in the order of its state changes,
   * each by exactly one caller (at most once).
   */
  claimDagRunListenerCalls(limit: number, now: number): Promise<DagRunListenerClaim[]>;
  /** Records how a claimed listener call ended (`running -> done`). */
  finishDagRunListenerCall(id: number, outcome: { error: string | null; output: string }, now: number): Promise<void>;
  /** A run's listener calls, in order. */
  listDagRunListenerCalls(key: RunKey): Promise<DagRunListenerRecord[]>;
  /**
   * Claims up to `limit` pending DAG callbacks (compare-and-set `pending -> running`, SKIP LOCKED): each is handed
   * to exactly one caller, ever. One claimed by a process that died stays `running` and is not called again
   * (at most once, as Airflow's DagCallbackRequest).
   */
  claimDagCallbacks(limit: number, now: number): Promise<DagCallbackClaim[]>;
  /** Records how a claimed DAG callback ended (`running -> done`): its error (null: ok) and the tail of its output. */
  finishDagCallback(key: RunKey, outcome: { error: string | null; output: string }, now: number): Promise<void>;
  /** The DAG callback recorded for a run, if any. */
  getDagCallback(key: RunKey): Promise<DagCallbackRecord | null>;

  // Task instances
  listTaskInstances(key: RunKey): Promise<TaskInstanceRecord[]>;
  /**
   * The run's instances written since an earlier read (`since`: that read's `next`; null: all of them), so that a
   * reader keeping a copy of a run reads what changed, not the whole run (the scheduler loop does).
   */
  listTaskInstancesChanged(key: RunKey, since: string | null): Promise<ChangedTaskInstances>;
  getTaskInstance(key: TaskInstanceKey): Promise<TaskInstanceRecord | null>;
  /** Applies scheduler changes one by one with compare-and-set; returns the changes that were applied. */
  applyChanges(run: DagRunRecord, spec: DagSpec, changes: readonly TaskInstanceChange[], now: number): Promise<TaskInstanceChange[]>;
  /** Every `scheduled` task instance of active runs, for admission. */
  listScheduled(): Promise<TaskInstanceRecord[]>;
  /**
   * The `scheduled` instances of active runs one admission query reads (src/dag/admission.ts admissionSteps):
   * at least the first `limit` in admission order that the filters and `paused` (DAG ids) leave in. A store
   * may answer more, in any order: the caller sorts, filters and cuts.
   */
  listScheduledFor(query: AdmissionQuery & { paused: ReadonlySet<string> }): Promise<TaskInstanceRecord[]>;
  occupancy(): Promise<Occupancy>;
  /** `scheduled -> queued` for each key whose state and try still match; returns the ones moved. */
  markQueued(keys: ReadonlyArray<TaskInstanceKey & { tryNumber: number }>, now: number): Promise<TaskInstanceRecord[]>;
  /** `queued` instances (for rebuilding a flushed queue and the stuck-in-queued check). */
  listQueued(): Promise<TaskInstanceRecord[]>;
  /** `running` instances, with their worker, for lease checks. */
  listRunning(): Promise<TaskInstanceRecord[]>;

  // Attempts (worker side)
  /** `queued -> running` iff try_number matches: the exactly-once start. Records the attempt's history row. */
  startTry(key: TaskInstanceKey, tryNumber: number, worker: WorkerIdentity, now: number): Promise<StartResult>;
  /**
   * Records a finished attempt: the instance's new state (CAS from `running` or `restarting` on the same try), XComs, skips of
   * other instances, the history row, and requested DAG runs; one transaction. Returns false when the attempt
   * no longer owned the instance (e.g. it was cleared or handed to another worker).
   */
  finishTry(outcome: AttemptOutcome): Promise<boolean>;
  /**
   * TriggerDagRunOperator with `wait_for_completion`: creates the requested run at once (insert-if-absent; with
   * `resetDagRun` an existing run of that id is cleared), in one transaction with a check that `key` still runs
   * `tryNumber` (compare-and-set: a cleared or handed-back try creates nothing). Null when the try no longer
   * runs; `run` null when the DAG is unknown. `created` is false when the run id existed already.
   */
  triggerDagRunForTry(key: TaskInstanceKey, tryNumber: number, request: TriggerRequest, now: number): Promise<{ created: boolean; run: DagRunRecord | null } | null>;
  /**
   * Hands a task instance that was `queued`/`running` on `tryNumber` back: CAS to `scheduled` with a new try
   * (`try_number + 1`) and `max_tries + 1`, so the handed-back attempt does not count against the task's
   * retries and every message of the old try is stale. Used when a worker stops (graceful shutdown) or is lost
   * (lease expired); `countHandBacks` says how often that happened (the caller bounds it). Closes the old try's
   * history row (state `handed_back`) with `note` as its exit reason.
   */
  requeueTry(key: TaskInstanceKey, tryNumber: number, from: 'queued' | 'running', note: string, now: number): Promise<boolean>;

  /**
   * Airflow's clear: each target that is `running` becomes `restarting` (the worker's result is then
   * turned into a retry), every other target becomes `none` with `max_tries = try_number + task.retries`, so it
   * gets its retries again. Returns how many instances changed.
   */
  clearTaskInstances(run: DagRunRecord, spec: DagSpec, targets: ReadonlyArray<{ taskId: string; mapIndex: number }>, now: number): Promise<number>;

  /** How many tries of this task instance were handed back (worker stopped or lost), over its whole history. */
  countHandBacks(key: TaskInstanceKey): Promise<number>;

  // XCom and logs
  /** XComs of a run (all task instances), for the runner's input and for mapping lengths. */
  listXcoms(key: RunKey): Promise<Array<{ taskId: string; mapIndex: number; key: string; value: unknown }>>;
  /**
   * ExternalTaskSensor's counts (Airflow's `_count_query`): task instances of `dagId` whose run's logical date is
   * one of `logicalDates` (ISO instants), in one of `states` (any state when null), among `taskIds`.
   */
  countTaskInstances(query: { dagId: string; logicalDates: readonly string[]; states: readonly string[] | null; taskIds: readonly string[] }): Promise<number>;
  /** Runs of `dagId` whose logical date is one of `logicalDates`, in one of `states`. */
  countDagRuns(query: { dagId: string; logicalDates: readonly string[]; states: readonly string[] }): Promise<number>;
  /**
   * Airflow's `XCom.get_many`: the XComs of `dagIds` in run `runId` (or, with `includePriorDates`, in every run
   * whose logical date, else run_after, is at most `before`), filtered by key, task ids and map indexes when
   * given; newest run first, then most recently written first; at most `limit`.
   */
  queryXcoms(query: XcomQuery): Promise<XcomRow[]>;
  /**
   * Stores one XCom of a running attempt (replacing the key's earlier value): compare-and-set on the instance
   * being `running` on `tryNumber`, so a cleared or handed-back attempt writes nothing. False when not applied.
   */
  pushXcom(key: TaskInstanceKey, tryNumber: number, xcomKey: string, value: unknown, now: number): Promise<boolean>;
  appendLogLines(key: TaskInstanceKey, tryNumber: number, lines: readonly LogLine[]): Promise<void>;
  readLogLines(key: TaskInstanceKey, tryNumber: number, afterSeq?: number): Promise<LogLine[]>;

  // Datasets (assets)
  /** Every dataset with its producers, consumers, aliases and event count, by URI. */
  listDatasets(): Promise<DatasetRecord[]>;
  /** Events of `uri` (every dataset when absent), newest first, at most `limit` (default 100). */
  listDatasetEvents(filter: { uri?: string; limit?: number }): Promise<DatasetEventRecord[]>;
  /**
   * Records an event by hand (Airflow's `POST /datasets/events`): no source task, and the consumers are
   * queued as for a task's event. Null when no DAG names the URI and it never had an event (nothing stored).
   */
  createDatasetEvent(uri: string, extra: Record<string, unknown>, now: number): Promise<DatasetEventRecord | null>;
  /** Every consumer queue row of active, unpaused DAGs, oldest first, and the aliases' resolutions. */
  listDatasetQueue(): Promise<DatasetQueueSnapshot>;
  /**
   * Creates the dataset-triggered run of `request.dag` (state `queued`) in one transaction: with the DAG's row
   * locked (`FOR NO KEY UPDATE SKIP LOCKED`: a second scheduler skips it), only while every row of
   * `request.rows` is still queued unchanged (compare-and-set) and the DAG has fewer than `max_active_runs`
   * active runs; records the events it consumed (Airflow's dagrun_dataset_event) and deletes exactly those
   * queue rows. Of two schedulers asking for the same rows, exactly one gets `created: true`.
   */
  createDatasetTriggeredRun(request: DatasetTriggeredRunRequest, now: number): Promise<DatasetTriggeredRunResult>;
  /** The events a dataset-triggered run consumed (`triggering_dataset_events`), oldest first, at most `limit`. */
  listRunDatasetEvents(key: RunKey, limit: number): Promise<DatasetEventRecord[]>;
  /**
   * The events of a task's inlets (`inlet_events`), oldest first: of a dataset inlet its events, of an alias
   * inlet the events emitted through it; at most the newest `limitPerInlet` of each inlet.
   */
  listInletDatasetEvents(inlets: readonly DatasetRef[], limitPerInlet: number): Promise<Array<{ inlet: DatasetRef; events: DatasetEventRecord[] }>>;

  // Variables and pools
  listVariables(): Promise<Record<string, string>>;
  /** One Variable's value, or null when it is not set. */
  getVariable(key: string): Promise<string | null>;
  /** Creates or replaces a Variable (a description not given keeps the stored one). */
  setVariable(key: string, value: string, description?: string | null): Promise<void>;
  /** Deletes a Variable; false when it did not exist. */
  deleteVariable(key: string): Promise<boolean>;
  setPool(name: string, slots: number, description?: string): Promise<void>;

  close(): Promise<void>;
}
