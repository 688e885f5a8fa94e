/**
 * Workers as the metadata knows them: registration, heartbeats, and requests from the CLI (drain, shutdown).
 * PostgreSQL holds them (`workers` table), so `dagbridge workers list` answers without asking any worker.
 */

/** What an operator asks a worker to do (`dagbridge workers drain|shutdown`). */
/**
 * The worker id prefix of a `dagbridge standalone` process: it runs tasks itself and is not in the worker
 * registry; a later standalone process hands back what a stopped one left running.
 */
export const STANDALONE_WORKER_PREFIX = 'standalone-';

export type WorkerAction = 'drain' | 'shutdown' | 'cold_shutdown';

/** Lifecycle state a worker reports. */
export type WorkerState = 'starting' | 'running' | 'draining' | 'stopping' | 'stopped' | 'unhealthy';

/** A queue the worker does not serve, and why (manifest verification). */
export interface RefusedQueue {
  queue: string;
  reasons: string[];
}

/** One worker row. Times are epoch ms. */
export interface WorkerRecord {
  workerId: string;
  hostname: string;
  pid: number | null;
  /** Queues it serves. */
  queues: string[];
  /** Queues it was asked to serve but refuses. */
  refused: RefusedQueue[];
  concurrency: number;
  slotsBusy: number;
  version: string;
  state: WorkerState;
  startedAt: number;
  lastHeartbeatAt: number;
  /** Last time it asked the queue for work (a worker that stopped consuming shows an old value). */
  lastPollAt: number | null;
  manifestHash: string | null;
  manifestReport: unknown;
  requestedAction: WorkerAction | null;
}

/** Worker bookkeeping in the metadata store. */
export interface WorkerRegistry {
  /** Inserts or replaces the worker's row. */
  registerWorker(worker: WorkerRecord): Promise<void>;
  /** Updates the live fields; returns the action an operator requested, if any. */
  heartbeatWorker(
    workerId: string,
    update: Pick<WorkerRecord, 'slotsBusy' | 'lastPollAt' | 'state' | 'queues' | 'refused' | 'manifestHash' | 'manifestReport'>,
    now: number,
  ): Promise<{ requestedAction: WorkerAction | null; known: boolean }>;
  listWorkers(): Promise<WorkerRecord[]>;
  /** Records an operator's request; false when there is no such worker. */
  requestWorkerAction(workerId: string, action: WorkerAction | null): Promise<boolean>;
  /** Deletes stopped or lost workers last seen before `heartbeatBefore` (keeps the table bounded); returns how many. */
  pruneWorkers(heartbeatBefore: number): Promise<number>;
}

/**
 * The dependency manifest as the cluster shares it: the scheduler publishes the manifest of the DAG repo; workers
 * verify their environment against the published version and again whenever it changes. Content-addressed: a
 * hash always names the same manifest.
 */
export interface ManifestRegistry {
  /** Stores `manifest` under `hash` and makes it current; true when the current hash changed. */
  publishManifest(hash: string, manifest: unknown, now: number): Promise<boolean>;
  /** The hash of the current manifest, or null when none was published. */
  currentManifestHash(): Promise<string | null>;
  /** A published manifest by hash, or null. */
  manifestByHash(hash: string): Promise<unknown>;
}
