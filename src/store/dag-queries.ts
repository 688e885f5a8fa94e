/**
 * DAGs, their content-addressed versions and import errors.
 */
import type { DagBundle, DagSpec } from '../dag/bundle.js';
import type { DagScheduleFields } from '../dag/schedule.js';
import type { DagRecord, SyncReport } from '../ports/metadata-store.js';
import type { Queryable } from './db.js';
import { jsonParam, toMs } from './rows.js';
import { dagVersionHash } from './version-hash.js';
import { syncDatasetReferences } from './dataset-queries.js';

/** Advisory lock key that serialises DAG-folder syncs (two schedulers syncing at once). */
const SYNC_LOCK_KEY = '7237005577332262213';

interface DagRow {
  dag_id: string;
  version_hash: string;
  spec: DagSpec;
  is_paused: boolean;
  is_active: boolean;
  last_parsed_at: Date;
}

const DAG_SELECT = `SELECT d.dag_id, d.version_hash, v.spec, d.is_paused, d.is_active, d.last_parsed_at
  FROM dags d JOIN dag_versions v ON v.dag_id = d.dag_id AND v.version_hash = d.version_hash`;

function mapDag(row: DagRow): DagRecord {
  return {
    dagId: row.dag_id,
    versionHash: row.version_hash,
    spec: row.spec,
    isPaused: row.is_paused,
    isActive: row.is_active,
    lastParsedAt: toMs(row.last_parsed_at),
  };
}

/**
 * Stores a full DAG-folder export, inside the caller's transaction: new versions (insert-if-absent by hash),
 * each DAG's current version and parse time, the import errors (replacing the previous set), and
 * deactivates DAGs absent from the bundle. A DAG that comes back after being inactive counts as `added`.
 * `isPaused` of a new DAG: the DAG's `is_paused_upon_creation` when set, else `pausedOnCreation`.
 */
export async function syncBundle(
  client: Queryable,
  bundle: DagBundle,
  now: number,
  options: { pausedOnCreation?: boolean } = {},
): Promise<SyncReport> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK_KEY]);
  const nowDate = new Date(now);
  const dags = [...bundle.dags]
    .sort((a, b) => (a.dagId < b.dagId ? -1 : a.dagId > b.dagId ? 1 : 0))
    .map((spec) => ({
      dagId: spec.dagId,
      file: spec.file,
      fileHash: spec.fileHash,
      versionHash: dagVersionHash(spec),
      isPaused: spec.isPausedUponCreation ?? options.pausedOnCreation ?? false,
      spec,
    }));
  const before = await client.query<{ dag_id: string; version_hash: string; is_active: boolean }>(
    'SELECT dag_id, version_hash, is_active FROM dags',
  );
  const known = new Map(before.rows.map((row) => [row.dag_id, row]));

  const payload = jsonParam(dags);
  await client.query(
    `INSERT INTO dag_versions (dag_id, version_hash, spec, file_hash, created_at)
     SELECT d."dagId", d."versionHash", d.spec, d."fileHash", $2
       FROM jsonb_to_recordset($1::jsonb) AS d("dagId" text, "versionHash" text, spec jsonb, "fileHash" text)
     ON CONFLICT (dag_id, version_hash) DO NOTHING`,
    [payload, nowDate],
  );
  await client.query(
    `INSERT INTO dags (dag_id, file, version_hash, is_paused, is_active, last_parsed_at)
     SELECT d."dagId", d.file, d."versionHash", d."isPaused", true, $2
       FROM jsonb_to_recordset($1::jsonb) AS d("dagId" text, file text, "versionHash" text, "isPaused" boolean)
     ON CONFLICT (dag_id) DO UPDATE
       SET file = EXCLUDED.file, version_hash = EXCLUDED.version_hash, is_active = true, last_parsed_at = EXCLUDED.last_parsed_at`,
    [payload, nowDate],
  );
  await syncDatasetReferences(client, dags.map((dag) => dag.spec), nowDate);
  const present = dags.map((dag) => dag.dagId);
  const gone = await client.query<{ dag_id: string }>(
    `UPDATE dags SET is_active = false WHERE is_active AND NOT (dag_id = ANY($1::text[])) RETURNING dag_id`,
    [present],
  );

  const errors = bundle.importErrors;
  await client.query('DELETE FROM import_errors WHERE NOT (file = ANY($1::text[]))', [errors.map((error) => error.file)]);
  if (errors.length > 0) {
    await client.query(
      `INSERT INTO import_errors (file, type, message, traceback, updated_at)
       SELECT e.file, e.type, e.message, e.traceback, $2
         FROM jsonb_to_recordset($1::jsonb) AS e(file text, type text, message text, traceback text)
       ON CONFLICT (file) DO UPDATE
         SET type = EXCLUDED.type, message = EXCLUDED.message, traceback = EXCLUDED.traceback, updated_at = EXCLUDED.updated_at`,
      [jsonParam(dedupeByFile(errors)), nowDate],
    );
  }

  const added: string[] = [];
  const updated: string[] = [];
  for (const dag of dags) {
    const previous = known.get(dag.dagId);
    if (!previous || !previous.is_active) added.push(dag.dagId);
    else if (previous.version_hash !== dag.versionHash) updated.push(dag.dagId);
  }
  return { added, updated, deactivated: gone.rows.map((row) => row.dag_id).sort(), importErrors: errors.length };
}

function dedupeByFile<T extends { file: string }>(errors: readonly T[]): T[] {
  // The shim reports one error per file; should a file appear twice, the last report wins (one row per file).
  return [...new Map(errors.map((error) => [error.file, error])).values()];
}

/** Every DAG (active or not) with its current spec, by dag id. */
export async function listDags(client: Queryable): Promise<DagRecord[]> {
  const result = await client.query<DagRow>(`${DAG_SELECT} ORDER BY d.dag_id`);
  return result.rows.map(mapDag);
}

export async function getDag(client: Queryable, dagId: string): Promise<DagRecord | null> {
  const result = await client.query<DagRow>(`${DAG_SELECT} WHERE d.dag_id = $1`, [dagId]);
  return result.rows[0] ? mapDag(result.rows[0]) : null;
}

/** The scheduling fields of the current version of each DAG of `dagIds` (not the whole spec), by DAG id. */
export async function dagScheduleFields(client: Queryable, dagIds: readonly string[]): Promise<Map<string, DagScheduleFields>> {
  const result = await client.query<{ dag_id: string; fields: DagScheduleFields }>(
    `SELECT d.dag_id, jsonb_build_object('schedule', v.spec->'schedule', 'startDate', v.spec->'startDate', 'endDate', v.spec->'endDate',
            'catchup', v.spec->'catchup', 'timezone', v.spec->'timezone', 'airflowStyle', v.spec->'airflowStyle') AS fields
       FROM dags d JOIN dag_versions v ON v.dag_id = d.dag_id AND v.version_hash = d.version_hash
      WHERE d.dag_id = ANY($1::text[])`,
    [dagIds],
  );
  return new Map(result.rows.map((row) => [row.dag_id, row.fields]));
}

export async function getDagVersion(client: Queryable, dagId: string, versionHash: string): Promise<DagSpec | null> {
  const result = await client.query<{ spec: DagSpec }>('SELECT spec FROM dag_versions WHERE dag_id = $1 AND version_hash = $2', [dagId, versionHash]);
  return result.rows[0]?.spec ?? null;
}

/** The ids of the paused DAGs. */
export async function listPausedDagIds(client: Queryable): Promise<string[]> {
  const result = await client.query<{ dag_id: string }>('SELECT dag_id FROM dags WHERE is_paused');
  return result.rows.map((row) => row.dag_id);
}

/** Sets `is_paused`; false when the DAG is unknown. */
export async function setPaused(client: Queryable, dagId: string, paused: boolean): Promise<boolean> {
  const result = await client.query('UPDATE dags SET is_paused = $2 WHERE dag_id = $1', [dagId, paused]);
  return (result.rowCount ?? 0) > 0;
}

/** The import errors of the last sync, by file. */
export async function listImportErrors(
  client: Queryable,
): Promise<Array<{ file: string; type: string; message: string; traceback: string; updatedAt: number }>> {
  const result = await client.query<{ file: string; type: string; message: string; traceback: string; updated_at: Date }>(
    'SELECT file, type, message, traceback, updated_at FROM import_errors ORDER BY file',
  );
  return result.rows.map((row) => ({ file: row.file, type: row.type, message: row.message, traceback: row.traceback, updatedAt: toMs(row.updated_at) }));
}
