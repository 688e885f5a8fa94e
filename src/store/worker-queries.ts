/**
 * The cluster's own records, outside the MetadataStore interface: worker registrations and heartbeats,
 * requested worker actions (drain, shutdown, cold shutdown), dependency manifests by hash, and settings.
 */
import type { Queryable } from './db.js';
import { toMs, toMsOrNull } from './rows.js';

/** What an operator may ask a worker to do; the worker reads it with its heartbeat. */
export type WorkerAction = 'drain' | 'shutdown' | 'cold_shutdown';

/** What a worker tells the database when it starts. */
export interface WorkerRegistration {
  workerId: string;
  hostname: string;
  pid: number | null;
  /** Queues it serves (its manifest is satisfied for them). */
  queues: string[];
  /** Queues it refuses, with the reason (unsatisfied manifest requirements). */
  refused: Record<string, unknown>;
  concurrency: number;
  /** dagbridge version of the worker. */
  version: string;
  manifestHash: string | null;
  manifestReport: unknown;
}

/** A worker as stored. `state` is the worker's lifecycle state, or `lost` once its heartbeat stopped. */
export interface WorkerRecord extends WorkerRegistration {
  state: string;
  slotsBusy: number;
  startedAt: number;
  lastHeartbeatAt: number;
  lastPollAt: number | null;
  requestedAction: WorkerAction | null;
}

interface WorkerRow {
  worker_id: string;
  hostname: string;
  pid: number | null;
  queues: string[];
  refused: Record<string, unknown>;
  concurrency: number;
  slots_busy: number;
  version: string;
  state: string;
  started_at: Date;
  last_heartbeat_at: Date;
  last_poll_at: Date | null;
  manifest_hash: string | null;
  manifest_report: unknown;
  requested_action: WorkerAction | null;
}

function mapWorker(row: WorkerRow): WorkerRecord {
  return {
    workerId: row.worker_id,
    hostname: row.hostname,
    pid: row.pid,
    queues: row.queues,
    refused: row.refused,
    concurrency: row.concurrency,
    slotsBusy: row.slots_busy,
    version: row.version,
    state: row.state,
    startedAt: toMs(row.started_at),
    lastHeartbeatAt: toMs(row.last_heartbeat_at),
    lastPollAt: toMsOrNull(row.last_poll_at),
    manifestHash: row.manifest_hash,
    manifestReport: row.manifest_report,
    requestedAction: row.requested_action,
  };
}

/** Registers (or re-registers, after a restart with the same id) a worker in state `running`; clears any requested action. */
export async function registerWorker(client: Queryable, worker: WorkerRegistration, now: number): Promise<WorkerRecord> {
  const result = await client.query<WorkerRow>(
    `INSERT INTO workers (worker_id, hostname, pid, queues, refused, concurrency, slots_busy, version, state, started_at,
                          last_heartbeat_at, manifest_hash, manifest_report, requested_action)
     VALUES ($1, $2, $3, $4::text[], $5::jsonb, $6, 0, $7, 'running', $8, $8, $9, $10::jsonb, NULL)
     ON CONFLICT (worker_id) DO UPDATE
       SET hostname = EXCLUDED.hostname, pid = EXCLUDED.pid, queues = EXCLUDED.queues, refused = EXCLUDED.refused,
           concurrency = EXCLUDED.concurrency, slots_busy = 0, version = EXCLUDED.version, state = 'running',
           started_at = EXCLUDED.started_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at, last_poll_at = NULL,
           manifest_hash = EXCLUDED.manifest_hash, manifest_report = EXCLUDED.manifest_report, requested_action = NULL
     RETURNING *`,
    [
      worker.workerId,
      worker.hostname,
      worker.pid,
      worker.queues,
      JSON.stringify(worker.refused),
      worker.concurrency,
      worker.version,
      new Date(now),
      worker.manifestHash,
      JSON.stringify(worker.manifestReport ?? null),
    ],
  );
  return mapWorker(result.rows[0] as WorkerRow);
}

/**
 * Records a heartbeat (and optionally a poll, a busy-slot count and a lifecycle state). Returns the action an
 * operator requested, or `undefined` when the worker is not registered (it was removed, or marked lost and
 * deleted): the worker should register again.
 */
export async function heartbeatWorker(
  client: Queryable,
  workerId: string,
  beat: { slotsBusy: number; state?: string; polled?: boolean },
  now: number,
): Promise<WorkerAction | null | undefined> {
  const result = await client.query<{ requested_action: WorkerAction | null }>(
    `UPDATE workers
        SET last_heartbeat_at = $2, slots_busy = $3, state = COALESCE($4, CASE WHEN state = 'lost' THEN 'running' ELSE state END),
            last_poll_at = CASE WHEN $5 THEN $2 ELSE last_poll_at END
      WHERE worker_id = $1
      RETURNING requested_action`,
    [workerId, new Date(now), beat.slotsBusy, beat.state ?? null, beat.polled === true],
  );
  return result.rows[0] ? result.rows[0].requested_action : undefined;
}

/** Asks a worker to drain or shut down (it reads the request with its next heartbeat). False when unknown. */
export async function requestWorkerAction(client: Queryable, workerId: string, action: WorkerAction | null): Promise<boolean> {
  const result = await client.query('UPDATE workers SET requested_action = $2 WHERE worker_id = $1', [workerId, action]);
  return (result.rowCount ?? 0) > 0;
}

/** Records a worker's lifecycle state (e.g. `stopping`, `stopped`). */
export async function setWorkerState(client: Queryable, workerId: string, state: string, now: number): Promise<boolean> {
  const result = await client.query('UPDATE workers SET state = $2, last_heartbeat_at = GREATEST(last_heartbeat_at, $3) WHERE worker_id = $1', [
    workerId,
    state,
    new Date(now),
  ]);
  return (result.rowCount ?? 0) > 0;
}

/** Marks workers whose last heartbeat is older than `heartbeatBefore` as `lost` (unless stopped); returns their ids. */
export async function markLostWorkers(client: Queryable, heartbeatBefore: number): Promise<string[]> {
  const result = await client.query<{ worker_id: string }>(
    `UPDATE workers SET state = 'lost' WHERE last_heartbeat_at < $1 AND state NOT IN ('lost', 'stopped') RETURNING worker_id`,
    [new Date(heartbeatBefore)],
  );
  return result.rows.map((row) => row.worker_id).sort();
}

/** Every worker, by id. */
export async function listWorkers(client: Queryable): Promise<WorkerRecord[]> {
  const result = await client.query<WorkerRow>('SELECT * FROM workers ORDER BY worker_id');
  return result.rows.map(mapWorker);
}

/** Deletes stopped or lost workers whose last heartbeat is older than `heartbeatBefore`; returns how many. */
export async function pruneWorkers(client: Queryable, heartbeatBefore: number): Promise<number> {
  const result = await client.query(`DELETE FROM workers WHERE state IN ('stopped', 'lost') AND last_heartbeat_at < $1`, [new Date(heartbeatBefore)]);
  return result.rowCount ?? 0;
}

/** Stores a manifest by its hash (insert-if-absent: a hash always names the same content). */
export async function putManifest(client: Queryable, hash: string, content: unknown): Promise<void> {
  await client.query('INSERT INTO manifests (hash, content) VALUES ($1, $2::jsonb) ON CONFLICT (hash) DO NOTHING', [hash, JSON.stringify(content)]);
}

export async function getManifest(client: Queryable, hash: string): Promise<unknown> {
  const result = await client.query<{ content: unknown }>('SELECT content FROM manifests WHERE hash = $1', [hash]);
  return result.rows[0] ? result.rows[0].content : null;
}

/** A setting's value, or null. Known keys: `current_manifest_hash`. */
export async function getSetting(client: Queryable, key: string): Promise<unknown> {
  const result = await client.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [key]);
  return result.rows[0] ? result.rows[0].value : null;
}

export async function setSetting(client: Queryable, key: string, value: unknown, now: number): Promise<void> {
  await client.query(
    `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
    [key, JSON.stringify(value), new Date(now)],
  );
}
