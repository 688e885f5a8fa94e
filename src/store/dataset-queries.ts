/**
 * Datasets (assets), the producer side: what the synced DAGs name, the events tasks and people record, and
 * the queue of updated datasets per consumer DAG. Follows Airflow 2.10.5's airflow/datasets/manager.py
 * (`register_dataset_change`, `_queue_dagruns`) and models/taskinstance.py (`_register_dataset_changes`).
 */
import type { DagSpec } from '../dag/bundle.js';
import { datasetReferences } from '../dag/dataset-references.js';
import { consumedUris, datasetTriggeredRunInfo, triggeredAt } from '../dag/dataset-runs.js';
import type { DatasetRef } from '../dag/datasets.js';
import type {
  DatasetEventRecord, DatasetQueueSnapshot, DatasetRecord, DatasetTriggeredRunRequest, DatasetTriggeredRunResult, RunKey, TaskInstanceKey,
} from '../ports/metadata-store.js';
import type { OutletEvent } from '../ports/task-run-contract.js';
import type { Queryable } from './db.js';
import { createDagRun } from './run-queries.js';
import { isoSql, jsonParam, textParam, toMs, toMsOrNull } from './rows.js';

/**
 * Rewrites the references of the synced DAGs (inside the sync's transaction) and registers the datasets and
 * aliases they name, as Airflow's DAG parsing does (`DatasetModel`, `DatasetAliasModel`).
 */
export async function syncDatasetReferences(client: Queryable, specs: readonly DagSpec[], now: Date): Promise<void> {
  const rows = specs.flatMap((spec) => datasetReferences(spec).map((reference) => ({ dagId: spec.dagId, ...reference })));
  await client.query('DELETE FROM dataset_references WHERE dag_id = ANY($1::text[])', [specs.map((spec) => spec.dagId)]);
  if (rows.length === 0) return;
  const payload = jsonParam(rows);
  await client.query(
    `INSERT INTO datasets (uri, created_at, updated_at)
     SELECT DISTINCT r.name, $2::timestamptz, $2::timestamptz FROM jsonb_to_recordset($1::jsonb) AS r(name text, "isAlias" boolean)
      WHERE NOT r."isAlias"
     ON CONFLICT (uri) DO NOTHING`,
    [payload, now],
  );
  await client.query(
    `INSERT INTO dataset_aliases (name, created_at)
     SELECT DISTINCT r.name, $2::timestamptz FROM jsonb_to_recordset($1::jsonb) AS r(name text, "isAlias" boolean)
      WHERE r."isAlias"
     ON CONFLICT (name) DO NOTHING`,
    [payload, now],
  );
  await client.query(
    `INSERT INTO dataset_references (dag_id, kind, name, is_alias, task_id)
     SELECT r."dagId", r.kind, r.name, r."isAlias", r."taskId"
       FROM jsonb_to_recordset($1::jsonb) AS r("dagId" text, kind text, name text, "isAlias" boolean, "taskId" text)
     ON CONFLICT DO NOTHING`,
    [payload],
  );
}

/** Who recorded an event: a task instance, or nobody (an event created by hand). */
type EventSource = TaskInstanceKey | null;

/**
 * Records one event and queues its consumers, inside the caller's transaction. An event through aliases
 * creates its dataset when no DAG named it and links the aliases to it (the alias now resolves to it); a
 * direct event of an unknown URI is not recorded (null), as Airflow's `register_dataset_change` warns and
 * records nothing. Consumers: active, unpaused DAGs scheduled on the URI, or on an alias that resolves to it.
 * A queue row that exists keeps its time, but the no-op update locks it: while a scheduler consumes that row
 * (`createDatasetTriggeredRun` holds it `FOR UPDATE`), the event waits, and queues the DAG afresh once the
 * row is gone, so an event that arrives while its consumer's run is created is never lost from the queue.
 */
export async function recordDatasetEvent(client: Queryable, event: OutletEvent, source: EventSource, now: number): Promise<DatasetEventRecord | null> {
  const at = new Date(now);
  if (event.aliases.length > 0) {
    await client.query('INSERT INTO datasets (uri, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (uri) DO NOTHING', [event.uri, at]);
    await client.query(
      `INSERT INTO dataset_aliases (name, created_at) SELECT unnest($1::text[]), $2 ON CONFLICT (name) DO NOTHING`,
      [event.aliases, at],
    );
    await client.query(
      `INSERT INTO dataset_alias_datasets (alias_name, uri) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`,
      [event.aliases, event.uri],
    );
  }
  const inserted = await client.query<EventRow>(
    `INSERT INTO dataset_events (uri, extra, source_dag_id, source_run_id, source_task_id, source_map_index, source_aliases, timestamp)
     SELECT ds.uri, $2::jsonb, $3, $4, $5, $6, $7::text[], $8 FROM datasets ds WHERE ds.uri = $1
     RETURNING ${EVENT_COLUMNS}`,
    [event.uri, jsonParam(event.extra), source?.dagId ?? null, source?.runId ?? null, source?.taskId ?? null, source?.mapIndex ?? -1, event.aliases, at],
  );
  const row = inserted.rows[0];
  if (!row) return null;
  await client.query('UPDATE datasets SET updated_at = $2 WHERE uri = $1', [event.uri, at]);
  await client.query(
    `INSERT INTO dataset_dag_run_queue (target_dag_id, uri, created_at)
     SELECT DISTINCT r.dag_id, $1, $3::timestamptz
       FROM dataset_references r JOIN dags d ON d.dag_id = r.dag_id
      WHERE d.is_active AND NOT d.is_paused
        AND ((r.kind = 'schedule' AND r.name = $1)
          OR (r.kind = 'schedule_alias' AND (r.name = ANY($2::text[])
              OR EXISTS (SELECT 1 FROM dataset_alias_datasets a WHERE a.alias_name = r.name AND a.uri = $1))))
     ON CONFLICT (target_dag_id, uri) DO UPDATE SET created_at = dataset_dag_run_queue.created_at`,
    [event.uri, event.aliases, at],
  );
  return mapEvent(row);
}

/** Records every event of a successful attempt (finishTry's transaction). */
export async function recordOutletEvents(client: Queryable, key: TaskInstanceKey, events: readonly OutletEvent[], now: number): Promise<void> {
  for (const event of events) await recordDatasetEvent(client, event, key, now);
}

/** An event created by hand, with no source task. Null when the URI is unknown. */
export async function createDatasetEvent(client: Queryable, uri: string, extra: Record<string, unknown>, now: number): Promise<DatasetEventRecord | null> {
  return recordDatasetEvent(client, { uri, extra, aliases: [] }, null, now);
}

/** The columns of an event row, as `EventRow` reads them. */
export const EVENT_COLUMNS = `id, uri, extra, source_dag_id, source_run_id, source_task_id, source_map_index, source_aliases, timestamp`;

/** A `dataset_events` row. */
export interface EventRow {
  id: string | number;
  uri: string;
  extra: Record<string, unknown>;
  source_dag_id: string | null;
  source_run_id: string | null;
  source_task_id: string | null;
  source_map_index: number;
  source_aliases: string[];
  timestamp: Date;
}

/** A row as the interface's record (bigserial ids come back as text). */
export function mapEvent(row: EventRow): DatasetEventRecord {
  return {
    id: Number(row.id),
    uri: row.uri,
    extra: row.extra,
    timestamp: toMs(row.timestamp),
    sourceDagId: row.source_dag_id,
    sourceRunId: row.source_run_id,
    sourceTaskId: row.source_task_id,
    sourceMapIndex: row.source_map_index,
    sourceAliases: row.source_aliases,
  };
}

/** Every dataset, by URI, with who produces and consumes it (active DAGs) and its events. */
export async function listDatasets(client: Queryable): Promise<DatasetRecord[]> {
  const result = await client.query<{
    uri: string; created_at: Date; producers: string[]; consumers: string[]; aliases: string[]; event_count: string; last_event_at: Date | null;
  }>(
    `SELECT ds.uri, ds.created_at,
            COALESCE((SELECT array_agg(DISTINCT r.dag_id || '.' || r.task_id ORDER BY r.dag_id || '.' || r.task_id)
                        FROM dataset_references r JOIN dags d ON d.dag_id = r.dag_id
                       WHERE d.is_active AND r.kind = 'outlet' AND r.name = ds.uri AND NOT r.is_alias), '{}') AS producers,
            COALESCE((SELECT array_agg(DISTINCT r.dag_id ORDER BY r.dag_id)
                        FROM dataset_references r JOIN dags d ON d.dag_id = r.dag_id
                       WHERE d.is_active AND ((r.kind = 'schedule' AND r.name = ds.uri)
                          OR (r.kind = 'schedule_alias' AND r.name IN (SELECT a.alias_name FROM dataset_alias_datasets a WHERE a.uri = ds.uri)))), '{}') AS consumers,
            COALESCE((SELECT array_agg(a.alias_name ORDER BY a.alias_name) FROM dataset_alias_datasets a WHERE a.uri = ds.uri), '{}') AS aliases,
            (SELECT count(*) FROM dataset_events e WHERE e.uri = ds.uri) AS event_count,
            (SELECT max(e.timestamp) FROM dataset_events e WHERE e.uri = ds.uri) AS last_event_at
       FROM datasets ds
      ORDER BY ds.uri`,
  );
  return result.rows.map((row) => ({
    uri: row.uri,
    createdAt: toMs(row.created_at),
    producers: row.producers,
    consumers: row.consumers,
    aliases: row.aliases,
    eventCount: Number(row.event_count),
    lastEventAt: toMsOrNull(row.last_event_at),
  }));
}

/** Events of one dataset (or all), newest first. */
export async function listDatasetEvents(client: Queryable, filter: { uri?: string; limit?: number }): Promise<DatasetEventRecord[]> {
  const result = await client.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM dataset_events
      WHERE ($1::text IS NULL OR uri = $1)
      ORDER BY timestamp DESC, id DESC
      LIMIT $2`,
    [textParam(filter.uri ?? null), filter.limit ?? 100],
  );
  return result.rows.map(mapEvent);
}

/** Every queue row of active, unpaused consumers, oldest first, and what the aliases they are scheduled on resolved to. */
export async function listDatasetQueue(client: Queryable): Promise<DatasetQueueSnapshot> {
  const rows = await client.query<{ target_dag_id: string; uri: string; created_at: Date }>(
    `SELECT q.target_dag_id, q.uri, q.created_at
       FROM dataset_dag_run_queue q JOIN dags d ON d.dag_id = q.target_dag_id
      WHERE d.is_active AND NOT d.is_paused
      ORDER BY q.created_at, q.target_dag_id, q.uri`,
  );
  const dagIds = [...new Set(rows.rows.map((row) => row.target_dag_id))];
  return { rows: rows.rows.map((row) => ({ dagId: row.target_dag_id, uri: row.uri, createdAt: toMs(row.created_at) })), aliases: await aliasResolutions(client, dagIds) };
}

/** Alias name -> URIs, for the aliases the schedules of `dagIds` name. */
async function aliasResolutions(client: Queryable, dagIds: readonly string[]): Promise<Record<string, string[]>> {
  if (dagIds.length === 0) return {};
  const result = await client.query<{ alias_name: string; uris: string[] }>(
    `SELECT a.alias_name, array_agg(a.uri ORDER BY a.uri) AS uris
       FROM dataset_alias_datasets a
      WHERE a.alias_name IN (SELECT r.name FROM dataset_references r WHERE r.kind = 'schedule_alias' AND r.dag_id = ANY($1::text[]))
      GROUP BY a.alias_name`,
    [dagIds],
  );
  return Object.fromEntries(result.rows.map((row) => [row.alias_name, row.uris]));
}

/**
 * `MetadataStore.createDatasetTriggeredRun`, inside the caller's transaction. The DAG row is locked
 * `FOR NO KEY UPDATE SKIP LOCKED` (Airflow's dags_needing_dagruns locks DagModel rows the same way), so two
 * schedulers never work on one consumer at once; the queue rows are locked and compared with the ones the
 * caller evaluated; every check comes before the first write, so a refusal writes nothing.
 */
export async function createDatasetTriggeredRun(client: Queryable, request: DatasetTriggeredRunRequest, now: number): Promise<DatasetTriggeredRunResult> {
  const { dag, rows } = request;
  const locked = await client.query<{ version_hash: string }>(
    'SELECT version_hash FROM dags WHERE dag_id = $1 AND is_active AND NOT is_paused FOR NO KEY UPDATE SKIP LOCKED',
    [dag.dagId],
  );
  if (locked.rows[0]?.version_hash !== dag.versionHash) return { created: false, reason: 'not_schedulable' };
  const queued = await client.query<{ uri: string; created_at: Date }>(
    'SELECT uri, created_at FROM dataset_dag_run_queue WHERE target_dag_id = $1 FOR UPDATE',
    [dag.dagId],
  );
  const current = new Map(queued.rows.map((row) => [row.uri, toMs(row.created_at)]));
  if (rows.length === 0 || !rows.every((row) => row.dagId === dag.dagId && current.get(row.uri) === row.createdAt)) return { created: false, reason: 'queue_changed' };
  const active = await client.query<{ n: string }>(`SELECT count(*) AS n FROM dag_runs WHERE dag_id = $1 AND state IN ('queued', 'running')`, [dag.dagId]);
  if (Number(active.rows[0]?.n ?? 0) >= dag.spec.maxActiveRuns) return { created: false, reason: 'max_active_runs' };

  const at = triggeredAt(rows);
  const aliases = await aliasResolutions(client, [dag.dagId]);
  const uris = consumedUris(dag.spec, new Map(Object.entries(aliases)));
  const previous = await client.query<{ at: Date | null }>(
    `SELECT max(COALESCE(logical_date, run_after)) AS at FROM dag_runs
      WHERE dag_id = $1 AND run_type = 'asset_triggered' AND COALESCE(logical_date, run_after) < $2`,
    [dag.dagId, new Date(at)],
  );
  const events = await client.query<EventRow & { source_interval_start: string | null; source_interval_end: string | null }>(
    `SELECT ${EVENT_COLUMNS.split(', ').map((column) => `e.${column}`).join(', ')},
            ${isoSql('sr.data_interval_start')} AS source_interval_start, ${isoSql('sr.data_interval_end')} AS source_interval_end
       FROM dataset_events e
       LEFT JOIN dag_runs sr ON sr.dag_id = e.source_dag_id AND sr.run_id = e.source_run_id
      WHERE e.uri = ANY($1::text[]) AND e.timestamp <= $2 AND ($3::timestamptz IS NULL OR e.timestamp > $3)
      ORDER BY e.timestamp, e.id`,
    [uris, new Date(at), previous.rows[0]?.at ?? null],
  );
  const consumed = events.rows.map(mapEvent);
  const info = datasetTriggeredRunInfo(dag.spec.airflowStyle, at, events.rows.map((row) => ({
    timestamp: toMs(row.timestamp), sourceDataIntervalStart: row.source_interval_start, sourceDataIntervalEnd: row.source_interval_end,
  })), request.runIdSuffix);
  const created = await createDagRun(client, {
    dagId: dag.dagId, versionHash: dag.versionHash, runType: 'asset_triggered', conf: {}, queuedAt: now, ...info,
  }, now);
  if (!created.created || !created.run) return { created: false, reason: 'run_exists' };
  await client.query(
    'INSERT INTO dag_run_dataset_events (dag_id, run_id, event_id) SELECT $1, $2, unnest($3::bigint[])',
    [dag.dagId, info.runId, consumed.map((event) => event.id)],
  );
  await client.query('DELETE FROM dataset_dag_run_queue WHERE target_dag_id = $1 AND uri = ANY($2::text[])', [dag.dagId, rows.map((row) => row.uri)]);
  return { created: true, run: created.run, events: consumed };
}

/** The events a run consumed, oldest first, at most `limit` (the newest of them when there are more). */
export async function listRunDatasetEvents(client: Queryable, key: RunKey, limit: number): Promise<DatasetEventRecord[]> {
  const result = await client.query<EventRow>(
    `SELECT * FROM (
       SELECT ${EVENT_COLUMNS.split(', ').map((column) => `e.${column}`).join(', ')}
         FROM dag_run_dataset_events c JOIN dataset_events e ON e.id = c.event_id
        WHERE c.dag_id = $1 AND c.run_id = $2
        ORDER BY e.timestamp DESC, e.id DESC LIMIT $3) newest
      ORDER BY timestamp, id`,
    [key.dagId, key.runId, limit],
  );
  return result.rows.map(mapEvent);
}

/** Each inlet's events, oldest first: a dataset's own, an alias's emitted through it; the newest `limitPerInlet`. */
export async function listInletDatasetEvents(client: Queryable, inlets: readonly DatasetRef[], limitPerInlet: number): Promise<Array<{ inlet: DatasetRef; events: DatasetEventRecord[] }>> {
  const out: Array<{ inlet: DatasetRef; events: DatasetEventRecord[] }> = [];
  for (const inlet of inlets) {
    const result = await client.query<EventRow>(
      `SELECT * FROM (
         SELECT ${EVENT_COLUMNS} FROM dataset_events
          WHERE ${inlet.type === 'alias' ? '$1 = ANY(source_aliases)' : 'uri = $1'}
          ORDER BY timestamp DESC, id DESC LIMIT $2) newest
        ORDER BY timestamp, id`,
      [inlet.type === 'alias' ? inlet.name : inlet.uri, limitPerInlet],
    );
    out.push({ inlet, events: result.rows.map(mapEvent) });
  }
  return out;
}
