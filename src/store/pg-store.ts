/**
 * The PostgreSQL MetadataStore: the source of truth of a cluster. It receives its pool (the composition root
 * creates it with `createPgPool`) and delegates each operation to one query function (`*-queries.ts`, each
 * taking the client as its first argument). Single-statement operations run on the pool (autocommit);
 * operations of several statements run in one transaction (`withTransaction`). Every state change is a
 * compare-and-set; see docs/metadata-schema.md.
 */
import type pg from 'pg';
import type { DagBundle, DagSpec } from '../dag/bundle.js';
import type { AdmissionQuery } from '../dag/admission.js';
import type { DatasetRef } from '../dag/datasets.js';
import type { DagRunState } from '../dag/states.js';
import type {
  AttemptOutcome,
  DagRecord,
  DagRunRecord,
  DatasetEventRecord,
  DatasetQueueSnapshot,
  DatasetRecord,
  DatasetTriggeredRunRequest,
  DatasetTriggeredRunResult,
  LogLine,
  MetadataStore,
  Occupancy,
  RunChangeStamp,
  RunKey,
  StartResult,
  SyncReport,
  TaskInstanceChange,
  TaskInstanceKey,
  TaskInstanceRecord,
  ChangedTaskInstances,
  WorkerIdentity,
  XcomQuery,
  XcomRow,
  DagCallbackClaim,
  DagCallbackRecord,
  DagRunListenerClaim,
  DagRunListenerRecord,
} from '../ports/metadata-store.js';
import type { DagRunListenerCall } from '../dag/dag-run-listeners.js';
import type { DagCallbackRequest } from '../dag/dag-callbacks.js';
import type { TriggerRequest } from '../ports/task-run-contract.js';
import type { ManifestRegistry, WorkerAction, WorkerRecord, WorkerRegistry } from '../ports/worker-registry.js';
import * as attempts from './attempt-queries.js';
import * as dags from './dag-queries.js';
import * as datasets from './dataset-queries.js';
import { notifyChange, withTransaction, type Queryable } from './db.js';
import { WriteCoalescer, type SubmitOptions } from './write-coalescer.js';

/** startTry, pushXcom and appendLogLines each write in one statement (startTry's other statement only reads). */
const ONE_STATEMENT: SubmitOptions = { oneStatement: true };
import * as pools from './pool-variable-queries.js';
import * as runs from './run-queries.js';
import * as instances from './task-instance-queries.js';
import * as logs from './xcom-log-queries.js';
import * as workers from './worker-queries.js';

/** The settings key naming the current manifest. */
const CURRENT_MANIFEST = 'current_manifest_hash';

/** Options of a PgStore. */
export interface PgStoreOptions {
  /** End the pool in `close()`. Default false: whoever created the pool ends it. */
  closePool?: boolean;
  /**
   * The data interval of a run created by TriggerDagRunOperator (Airflow: the DAG timetable's
   * `infer_manual_data_interval`). Default: both ends at the logical date.
   */
  inferManualDataInterval?: attempts.FinishOptions['inferManualDataInterval'];
  /**
   * Group-commit the writes of task attempts (`startTry`, `finishTry`, `appendLogLines`, `pushXcom`): those
   * submitted together go in one transaction (src/store/write-coalescer.ts). Default true; false: one
   * transaction (or statement) per write.
   */
  coalesceAttemptWrites?: boolean;
}

/** MetadataStore (and the worker registry) on PostgreSQL. */
export class PgStore implements MetadataStore, WorkerRegistry, ManifestRegistry {
  readonly #pool: pg.Pool;
  readonly #options: PgStoreOptions;
  readonly #attemptWrites: WriteCoalescer | null;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, options: PgStoreOptions = {}) {
    this.#pool = pool;
    this.#options = options;
    this.#attemptWrites = options.coalesceAttemptWrites === false ? null : new WriteCoalescer((work) => withTransaction(pool, work), { direct: pool });
  }

  /** Batches and writes the attempt writes coalesced so far (null when coalescing is off). */
  get attemptWriteCounts(): WriteCoalescer['counts'] | null {
    return this.#attemptWrites?.counts ?? null;
  }

  /** An attempt write: in the next coalesced batch, or on its own (`alone`) when coalescing is off. */
  #attemptWrite<T>(work: (client: Queryable) => Promise<T>, alone: () => Promise<T>, options?: SubmitOptions): Promise<T> {
    return this.#attemptWrites ? this.#attemptWrites.submit(work, options) : alone();
  }

  /** The pool, for the few operations outside the MetadataStore interface (CLI listings, workers). */
  get pool(): pg.Pool {
    return this.#pool;
  }

  // DAGs
  syncBundle(bundle: DagBundle, now: number, options?: { pausedOnCreation?: boolean }): Promise<SyncReport> {
    return withTransaction(this.#pool, (client) => dags.syncBundle(client, bundle, now, options));
  }

  listDags(): Promise<DagRecord[]> {
    return dags.listDags(this.#pool);
  }

  listPausedDagIds(): Promise<string[]> {
    return dags.listPausedDagIds(this.#pool);
  }

  getDag(dagId: string): Promise<DagRecord | null> {
    return dags.getDag(this.#pool, dagId);
  }

  getDagVersion(dagId: string, versionHash: string): Promise<DagSpec | null> {
    return dags.getDagVersion(this.#pool, dagId, versionHash);
  }

  setPaused(dagId: string, paused: boolean): Promise<boolean> {
    return dags.setPaused(this.#pool, dagId, paused);
  }

  // Runs
  createDagRun(run: runs.NewDagRun, now: number): Promise<{ created: boolean; run: DagRunRecord | null }> {
    return runs.createDagRun(this.#pool, run, now);
  }

  getDagRun(key: RunKey): Promise<DagRunRecord | null> {
    return runs.getDagRun(this.#pool, key);
  }

  listActiveRuns(): Promise<DagRunRecord[]> {
    return runs.listActiveRuns(this.#pool);
  }

  runChangeStamps(): Promise<RunChangeStamp[]> {
    return runs.runChangeStamps(this.#pool);
  }

  listDagRuns(filter: { dagId?: string; limit?: number }): Promise<DagRunRecord[]> {
    return runs.listDagRuns(this.#pool, filter);
  }

  lastAutomatedRun(dagId: string): Promise<DagRunRecord | null> {
    return runs.lastAutomatedRun(this.#pool, dagId);
  }

  previousRun(run: DagRunRecord, state?: DagRunState): Promise<DagRunRecord | null> {
    return runs.previousRun(this.#pool, run, state);
  }

  setDagRunState(key: RunKey, from: DagRunState, to: DagRunState, now: number, callback?: DagCallbackRequest | null, listener?: DagRunListenerCall | null): Promise<boolean> {
    return runs.setDagRunState(this.#pool, key, from, to, now, callback, listener);
  }

  claimDagRunListenerCalls(limit: number, now: number): Promise<DagRunListenerClaim[]> {
    return runs.claimDagRunListenerCalls(this.#pool, limit, now);
  }

  finishDagRunListenerCall(id: number, outcome: { error: string | null; output: string }, now: number): Promise<void> {
    return runs.finishDagRunListenerCall(this.#pool, id, outcome, now);
  }

  listDagRunListenerCalls(key: RunKey): Promise<DagRunListenerRecord[]> {
    return runs.listDagRunListenerCalls(this.#pool, key);
  }

  claimDagCallbacks(limit: number, now: number): Promise<DagCallbackClaim[]> {
    return runs.claimDagCallbacks(this.#pool, limit, now);
  }

  finishDagCallback(key: RunKey, outcome: { error: string | null; output: string }, now: number): Promise<void> {
    return runs.finishDagCallback(this.#pool, key, outcome, now);
  }

  getDagCallback(key: RunKey): Promise<DagCallbackRecord | null> {
    return runs.getDagCallback(this.#pool, key);
  }

  // Task instances
  listTaskInstances(key: RunKey): Promise<TaskInstanceRecord[]> {
    return instances.listTaskInstances(this.#pool, key);
  }

  listTaskInstancesChanged(key: RunKey, since: string | null): Promise<ChangedTaskInstances> {
    return instances.listTaskInstancesChanged(this.#pool, key, since);
  }

  getTaskInstance(key: TaskInstanceKey): Promise<TaskInstanceRecord | null> {
    return instances.getTaskInstance(this.#pool, key);
  }

  applyChanges(run: DagRunRecord, spec: DagSpec, changes: readonly TaskInstanceChange[], now: number): Promise<TaskInstanceChange[]> {
    if (changes.length === 0) return Promise.resolve([]);
    return withTransaction(this.#pool, (client) => instances.applyChanges(client, run, spec, changes, now));
  }

  listScheduled(): Promise<TaskInstanceRecord[]> {
    return instances.listScheduled(this.#pool);
  }

  listScheduledFor(query: AdmissionQuery & { paused: ReadonlySet<string> }): Promise<TaskInstanceRecord[]> {
    return instances.listScheduledFor(this.#pool, query);
  }

  occupancy(): Promise<Occupancy> {
    return instances.occupancy(this.#pool);
  }

  markQueued(keys: ReadonlyArray<TaskInstanceKey & { tryNumber: number }>, now: number): Promise<TaskInstanceRecord[]> {
    return instances.markQueued(this.#pool, keys, now);
  }

  listQueued(): Promise<TaskInstanceRecord[]> {
    return instances.listQueued(this.#pool);
  }

  listRunning(): Promise<TaskInstanceRecord[]> {
    return instances.listRunning(this.#pool);
  }

  // Attempts
  startTry(key: TaskInstanceKey, tryNumber: number, worker: WorkerIdentity, now: number): Promise<StartResult> {
    return this.#attemptWrite(
      (client) => attempts.startTry(client, key, tryNumber, worker, now),
      () => attempts.startTry(this.#pool, key, tryNumber, worker, now),
      ONE_STATEMENT,
    );
  }

  finishTry(outcome: AttemptOutcome): Promise<boolean> {
    const work = (client: Queryable): Promise<boolean> => attempts.finishTry(client, outcome, { inferManualDataInterval: this.#options.inferManualDataInterval });
    return this.#attemptWrite(work, () => withTransaction(this.#pool, work), { oneStatement: attempts.finishTryIsOneStatement(outcome) });
  }

  requeueTry(key: TaskInstanceKey, tryNumber: number, from: 'queued' | 'running', note: string, now: number): Promise<boolean> {
    return attempts.requeueTry(this.#pool, key, tryNumber, from, note, now);
  }

  clearTaskInstances(run: DagRunRecord, spec: DagSpec, targets: ReadonlyArray<{ taskId: string; mapIndex: number }>, now: number): Promise<number> {
    return attempts.clearTaskInstances(this.#pool, run, spec, targets, now);
  }

  // XCom and logs
  listXcoms(key: RunKey): Promise<Array<{ taskId: string; mapIndex: number; key: string; value: unknown }>> {
    return logs.listXcoms(this.#pool, key);
  }

  countTaskInstances(query: Parameters<MetadataStore['countTaskInstances']>[0]): Promise<number> {
    return runs.countTaskInstances(this.#pool, query);
  }

  countDagRuns(query: Parameters<MetadataStore['countDagRuns']>[0]): Promise<number> {
    return runs.countDagRuns(this.#pool, query);
  }

  queryXcoms(query: XcomQuery): Promise<XcomRow[]> {
    return logs.queryXcoms(this.#pool, query);
  }

  pushXcom(key: TaskInstanceKey, tryNumber: number, xcomKey: string, value: unknown, now: number): Promise<boolean> {
    return this.#attemptWrite(
      (client) => logs.pushXcom(client, key, tryNumber, xcomKey, value, now),
      () => logs.pushXcom(this.#pool, key, tryNumber, xcomKey, value, now),
      ONE_STATEMENT,
    );
  }

  appendLogLines(key: TaskInstanceKey, tryNumber: number, lines: readonly LogLine[]): Promise<void> {
    return this.#attemptWrite(
      (client) => logs.appendLogLines(client, key, tryNumber, lines),
      () => logs.appendLogLines(this.#pool, key, tryNumber, lines),
      ONE_STATEMENT,
    );
  }

  triggerDagRunForTry(key: TaskInstanceKey, tryNumber: number, request: TriggerRequest, now: number): Promise<{ created: boolean; run: DagRunRecord | null } | null> {
    return withTransaction(this.#pool, (client) => attempts.triggerDagRunForTry(client, key, tryNumber, request, now, { inferManualDataInterval: this.#options.inferManualDataInterval }));
  }

  readLogLines(key: TaskInstanceKey, tryNumber: number, afterSeq?: number): Promise<LogLine[]> {
    return logs.readLogLines(this.#pool, key, tryNumber, afterSeq);
  }

  // Datasets (assets)
  listDatasets(): Promise<DatasetRecord[]> {
    return datasets.listDatasets(this.#pool);
  }

  listDatasetEvents(filter: { uri?: string; limit?: number }): Promise<DatasetEventRecord[]> {
    return datasets.listDatasetEvents(this.#pool, filter);
  }

  async createDatasetEvent(uri: string, extra: Record<string, unknown>, now: number): Promise<DatasetEventRecord | null> {
    return withTransaction(this.#pool, async (client) => {
      const event = await datasets.createDatasetEvent(client, uri, extra, now);
      if (event) await notifyChange(client, 'dataset_event');
      return event;
    });
  }

  listDatasetQueue(): Promise<DatasetQueueSnapshot> {
    return datasets.listDatasetQueue(this.#pool);
  }

  createDatasetTriggeredRun(request: DatasetTriggeredRunRequest, now: number): Promise<DatasetTriggeredRunResult> {
    return withTransaction(this.#pool, (client) => datasets.createDatasetTriggeredRun(client, request, now));
  }

  listRunDatasetEvents(key: RunKey, limit: number): Promise<DatasetEventRecord[]> {
    return datasets.listRunDatasetEvents(this.#pool, key, limit);
  }

  listInletDatasetEvents(inlets: readonly DatasetRef[], limitPerInlet: number): Promise<Array<{ inlet: DatasetRef; events: DatasetEventRecord[] }>> {
    return datasets.listInletDatasetEvents(this.#pool, inlets, limitPerInlet);
  }

  // Variables and pools
  listVariables(): Promise<Record<string, string>> {
    return pools.listVariables(this.#pool);
  }

  setPool(name: string, slots: number, description?: string): Promise<void> {
    return pools.setPool(this.#pool, name, slots, description);
  }

  // Beyond the MetadataStore interface: listings and edits for the CLI.
  /** Files that failed to import at the last sync. */
  listImportErrors(): ReturnType<typeof dags.listImportErrors> {
    return dags.listImportErrors(this.#pool);
  }

  getVariable(key: string): Promise<string | null> {
    return pools.getVariable(this.#pool, key);
  }

  /** Creates or replaces a variable. */
  setVariable(key: string, value: string, description?: string | null): Promise<void> {
    return pools.setVariable(this.#pool, key, value, description);
  }

  /** Deletes a variable; false when it did not exist. */
  deleteVariable(key: string): Promise<boolean> {
    return pools.deleteVariable(this.#pool, key);
  }

  /** Every pool with its slots and description. */
  listPools(): Promise<Array<{ name: string; slots: number; description: string }>> {
    return pools.listPools(this.#pool);
  }

  // Workers
  registerWorker(worker: WorkerRecord): Promise<void> {
    return workers.registerWorker(this.#pool, worker);
  }

  heartbeatWorker(workerId: string, update: workers.WorkerHeartbeat, now: number): Promise<{ requestedAction: WorkerAction | null; known: boolean }> {
    return workers.heartbeatWorker(this.#pool, workerId, update, now);
  }

  listWorkers(): Promise<WorkerRecord[]> {
    return workers.listWorkers(this.#pool);
  }

  requestWorkerAction(workerId: string, action: WorkerAction | null): Promise<boolean> {
    return workers.requestWorkerAction(this.#pool, workerId, action);
  }

  pruneWorkers(heartbeatBefore: number): Promise<number> {
    return workers.pruneWorkers(this.#pool, heartbeatBefore);
  }

  countHandBacks(key: TaskInstanceKey): Promise<number> {
    return attempts.countHandBacks(this.#pool, key);
  }

  // Manifests
  async publishManifest(hash: string, manifest: unknown, now: number): Promise<boolean> {
    return withTransaction(this.#pool, async (client) => {
      await workers.putManifest(client, hash, manifest);
      const current = await workers.getSetting(client, CURRENT_MANIFEST);
      if (current === hash) return false;
      await workers.setSetting(client, CURRENT_MANIFEST, hash, now);
      return true;
    });
  }

  async currentManifestHash(): Promise<string | null> {
    const value = await workers.getSetting(this.#pool, CURRENT_MANIFEST);
    return typeof value === 'string' ? value : null;
  }

  manifestByHash(hash: string): Promise<unknown> {
    return workers.getManifest(this.#pool, hash);
  }

  /** Idempotent: every call returns the same promise. Ends the pool only with `closePool: true`. */
  close(): Promise<void> {
    this.#closing ??= this.#options.closePool ? this.#pool.end() : Promise.resolve();
    return this.#closing;
  }
}
