/**
 * Datasets (assets), the producer side: what the synced DAGs name, the events tasks and people record, and
 * the queue of updated datasets per consumer DAG. Follows Airflow 2.10.5's airflow/datasets/manager.py
 * (`register_dataset_change`, `_queue_dagruns`) and models/taskinstance.py (`_register_dataset_changes`).
 */
import type { DagSpec } from '../dag/bundle.js';
import { datasetReferences } from '../dag/dataset-references.js';
import type { DatasetEventRecord, DatasetRecord, TaskInstanceKey } from '../ports/metadata-store.js';
import type { OutletEvent } from '../ports/task-run-contract.js';
import type { Queryable } from './db.js';
import { jsonParam, textParam, toMs, toMsOrNull } from './rows.js';

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
     ON CONFLICT (target_dag_id, uri) DO NOTHING`,
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
