/**
 * The cluster's own records, outside the MetadataStore interface: workers (the WorkerRegistry of
 * `src/worker/registry.ts`: registrations, heartbeats, requested drain/shutdown), dependency manifests by hash,
 * and settings.
 */
import type { RefusedQueue, WorkerAction, WorkerRecord, WorkerState } from '../ports/worker-registry.js';
import type { Queryable } from './db.js';
import { toMs, toMsOrNull } from './rows.js';

interface WorkerRow {
  worker_id: string;
  hostname: string;
  pid: number | null;
  queues: string[];
  refused: RefusedQueue[] | null;
  concurrency: number;
  slots_busy: number;
  version: string;
  state: WorkerState;
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
    refused: Array.isArray(row.refused) ? row.refused : [],
    concurrency: row.concurrency,
    slotsBusy: row.slots_busy,
    version: row.version,
    state: row.state,
    startedAt: toMs(row.started_at),
    lastHeartbeatAt: toMs(row.last_heartbeat_at),
    lastPollAt: toMsOrNull(row.last_poll_at),
    manifestHash: row.manifest_hash,
    manifestReport: row.manifest_report ?? null,
    requestedAction: row.requested_action,
  };
}

/** Inserts or replaces a worker's row (a worker restarting with the same id replaces its old registration). */
export async function registerWorker(client: Queryable, worker: WorkerRecord): Promise<void> {
  await client.query(
    `INSERT INTO workers AS w (worker_id, hostname, pid, queues, refused, concurrency, slots_busy, version, state, started_at,
                              last_heartbeat_at, last_poll_at, manifest_hash, manifest_report, requested_action)
     VALUES ($1, $2, $3, $4::text[], $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15)
     ON CONFLICT (worker_id) DO UPDATE
       SET hostname = EXCLUDED.hostname, pid = EXCLUDED.pid, queues = EXCLUDED.queues, refused = EXCLUDED.refused,
           concurrency = EXCLUDED.concurrency, slots_busy = EXCLUDED.slots_busy, version = EXCLUDED.version,
           state = EXCLUDED.state, started_at = EXCLUDED.started_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at,
           last_poll_at = EXCLUDED.last_poll_at, manifest_hash = EXCLUDED.manifest_hash,
           manifest_report = EXCLUDED.manifest_report, requested_action = EXCLUDED.requested_action`,
    [
      worker.workerId,
      worker.hostname,
      worker.pid,
      worker.queues,
      JSON.stringify(worker.refused),
      worker.concurrency,
      worker.slotsBusy,
      worker.version,
      worker.state,
      new Date(worker.startedAt),
      new Date(worker.lastHeartbeatAt),
      worker.lastPollAt === null ? null : new Date(worker.lastPollAt),
      worker.manifestHash,
      JSON.stringify(worker.manifestReport ?? null),
      worker.requestedAction,
    ],
  );
}

/** The live fields a heartbeat carries. */
export type WorkerHeartbeat = Pick<WorkerRecord, 'slotsBusy' | 'lastPollAt' | 'state' | 'queues' | 'refused' | 'manifestHash' | 'manifestReport'>;

/**
 * Records a heartbeat: the live fields and `last_heartbeat_at = now`. Returns the action an operator requested
 * and whether the worker is registered at all (`known: false`: its row was removed; it should register again).
 */
export async function heartbeatWorker(
  client: Queryable,
  workerId: string,
  beat: WorkerHeartbeat,
  now: number,
): Promise<{ requestedAction: WorkerAction | null; known: boolean }> {
  const result = await client.query<{ requested_action: WorkerAction | null }>(
    `UPDATE workers
        SET last_heartbeat_at = $2, slots_busy = $3, last_poll_at = $4, state = $5, queues = $6::text[], refused = $7::jsonb,
            manifest_hash = $8, manifest_report = $9::jsonb
      WHERE worker_id = $1
      RETURNING requested_action`,
    [
      workerId,
      new Date(now),
      beat.slotsBusy,
      beat.lastPollAt === null ? null : new Date(beat.lastPollAt),
      beat.state,
      beat.queues,
      JSON.stringify(beat.refused),
      beat.manifestHash,
      JSON.stringify(beat.manifestReport ?? null),
    ],
  );
  const row = result.rows[0];
  return row ? { requestedAction: row.requested_action, known: true } : { requestedAction: null, known: false };
}

/** Records an operator's request (null withdraws it); false when there is no such worker. */
export async function requestWorkerAction(client: Queryable, workerId: string, action: WorkerAction | null): Promise<boolean> {
  const result = await client.query('UPDATE workers SET requested_action = $2 WHERE worker_id = $1', [workerId, action]);
  return (result.rowCount ?? 0) > 0;
}

/** Every worker, by id. */
export async function listWorkers(client: Queryable): Promise<WorkerRecord[]> {
  const result = await client.query<WorkerRow>('SELECT * FROM workers ORDER BY worker_id');
  return result.rows.map(mapWorker);
}

/** Deletes workers whose last heartbeat is older than `heartbeatBefore` (stopped or gone for good); returns how many. */
export async function pruneWorkers(client: Queryable, heartbeatBefore: number): Promise<number> {
  const result = await client.query('DELETE FROM workers WHERE last_heartbeat_at < $1', [new Date(heartbeatBefore)]);
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
