/**
 * Read and delete queries of the REST API's dataset endpoints (Airflow 2.10.5's dataset_endpoint.py): pages of
 * datasets with who produces and consumes them, pages of events with the runs they triggered, and the queue of
 * updated datasets per consumer DAG (`dataset_dag_run_queue`, Airflow's DatasetDagRunQueue). Events are written
 * only by `recordDatasetEvent` (dataset-queries.ts), for tasks and people alike.
 *
 * `ORDER BY` columns come only from the allow-lists below, never from the request text.
 */
import type { Queryable } from './db.js';
import { isoSql, msToAirflowIso, toMs } from './rows.js';
import { orderClause, Where, type Page, type PageRequest } from './web-queries.js';

/** A DAG scheduled on a dataset, or a task that names it as an outlet (Airflow's *DatasetReference). */
export interface DatasetReferenceRow {
  dagId: string;
  /** Absent for a consuming DAG. */
  taskId?: string;
  /** When the reference was written: the DAG's last parse (every sync rewrites a DAG's references). */
  at: string;
}

/** A dataset as the API shows it. */
export interface DatasetApiRow {
  id: number;
  uri: string;
  extra: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  consumingDags: DatasetReferenceRow[];
  producingTasks: DatasetReferenceRow[];
}

/** A run a dataset event triggered (Airflow's BasicDAGRun). */
export interface TriggeredRunRow {
  dagId: string;
  runId: string;
  logicalDate: string | null;
  startDate: string | null;
  endDate: string | null;
  state: string;
  dataIntervalStart: string | null;
  dataIntervalEnd: string | null;
}

/** A dataset event as the API shows it. */
export interface DatasetEventApiRow {
  id: number;
  datasetId: number;
  uri: string;
  extra: Record<string, unknown>;
  sourceDagId: string | null;
  sourceTaskId: string | null;
  sourceRunId: string | null;
  sourceMapIndex: number;
  timestamp: string;
  createdDagRuns: TriggeredRunRow[];
}

/** A queue row: `dagId` has a dataset-triggered run to make for `uri` (Airflow's QueuedEvent). */
export interface QueuedEventRow {
  dagId: string;
  uri: string;
  createdAt: string;
}

/** `order_by` keys of the dataset listing (Airflow's allowed_attrs). */
export const DATASET_ORDER: Readonly<Record<string, string>> = {
  id: 'ds.id',
  uri: 'ds.uri',
  created_at: 'ds.created_at',
  updated_at: 'ds.updated_at',
};

/** `order_by` keys of the dataset event listing (Airflow's allowed_attrs). */
export const DATASET_EVENT_ORDER: Readonly<Record<string, string>> = {
  source_dag_id: 'e.source_dag_id',
  source_task_id: 'e.source_task_id',
  source_run_id: 'e.source_run_id',
  source_map_index: 'e.source_map_index',
  timestamp: 'e.timestamp',
};

export interface DatasetFilter extends PageRequest {
  /** Substring of the URI, case-insensitive (Airflow: `uri ILIKE %pattern%`). */
  uriPattern?: string;
  /** Datasets these DAGs are scheduled on or produce. */
  dagIds?: string[];
  /** Exactly this URI. */
  uri?: string;
}

const DATASET_SELECT = `SELECT ds.id, ds.uri, ds.extra, ${isoSql('ds.created_at')} AS created_at, ${isoSql('ds.updated_at')} AS updated_at,
  COALESCE((SELECT jsonb_agg(jsonb_build_object('dagId', r.dag_id, 'at', ${isoSql('d.last_parsed_at')}) ORDER BY r.dag_id)
              FROM dataset_references r JOIN dags d ON d.dag_id = r.dag_id
             WHERE r.name = ds.uri AND r.kind = 'schedule' AND NOT r.is_alias), '[]'::jsonb) AS consuming_dags,
  COALESCE((SELECT jsonb_agg(jsonb_build_object('dagId', r.dag_id, 'taskId', r.task_id, 'at', ${isoSql('d.last_parsed_at')}) ORDER BY r.dag_id, r.task_id)
              FROM dataset_references r JOIN dags d ON d.dag_id = r.dag_id
             WHERE r.name = ds.uri AND r.kind = 'outlet' AND NOT r.is_alias), '[]'::jsonb) AS producing_tasks
  FROM datasets ds`;

interface DatasetRow {
  id: string;
  uri: string;
  extra: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  consuming_dags: DatasetReferenceRow[];
  producing_tasks: DatasetReferenceRow[];
}

function mapDataset(row: DatasetRow): DatasetApiRow {
  return {
    id: Number(row.id), uri: row.uri, extra: row.extra, createdAt: row.created_at, updatedAt: row.updated_at,
    consumingDags: row.consuming_dags, producingTasks: row.producing_tasks,
  };
}

/** Escapes LIKE's wildcards so a pattern matches as a plain substring. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A page of datasets; `total` counts the datasets that match the filters. */
export async function listDatasetsPage(client: Queryable, filter: DatasetFilter): Promise<Page<DatasetApiRow>> {
  const where = new Where();
  if (filter.uri !== undefined) where.add('ds.uri = ?', filter.uri);
  if (filter.uriPattern) where.add("ds.uri ILIKE '%' || ? || '%'", likeLiteral(filter.uriPattern));
  if (filter.dagIds && filter.dagIds.length > 0) {
    where.add(`EXISTS (SELECT 1 FROM dataset_references r WHERE r.name = ds.uri AND NOT r.is_alias AND r.kind IN ('schedule', 'outlet') AND r.dag_id = ANY(?::text[]))`, filter.dagIds);
  }
  const order = orderClause(DATASET_ORDER, filter.orderBy, 'id');
  const total = await client.query<{ n: string }>(`SELECT count(*) AS n FROM datasets ds ${where.sql}`, where.values);
  const page = where.page(filter);
  const rows = await client.query<DatasetRow>(`${DATASET_SELECT} ${where.sql} ORDER BY ${order}, ds.id ${page.sql}`, page.values);
  return { total: Number(total.rows[0]?.n ?? 0), items: rows.rows.map(mapDataset) };
}

/** One dataset by URI, or null. */
export async function getDatasetByUri(client: Queryable, uri: string): Promise<DatasetApiRow | null> {
  return (await listDatasetsPage(client, { uri, limit: 1, offset: 0 })).items[0] ?? null;
}

export interface DatasetEventFilter extends PageRequest {
  datasetId?: number;
  sourceDagId?: string;
  sourceTaskId?: string;
  sourceRunId?: string;
  sourceMapIndex?: number;
  /** Only this event. */
  id?: number;
  /** Only the events this run consumed (Airflow's DagRun.consumed_dataset_events). */
  consumedBy?: { dagId: string; runId: string };
}

interface EventApiRow {
  id: string;
  dataset_id: string;
  uri: string;
  extra: Record<string, unknown>;
  source_dag_id: string | null;
  source_task_id: string | null;
  source_run_id: string | null;
  source_map_index: number;
  timestamp: Date;
  created_dagruns: TriggeredRunRow[];
}

/** A page of dataset events, each with the runs that consumed it (Airflow's `created_dagruns`). */
export async function listDatasetEventsPage(client: Queryable, filter: DatasetEventFilter): Promise<Page<DatasetEventApiRow>> {
  const where = new Where();
  if (filter.id !== undefined) where.add('e.id = ?', filter.id);
  if (filter.datasetId !== undefined) where.add('ds.id = ?', filter.datasetId);
  if (filter.sourceDagId !== undefined) where.add('e.source_dag_id = ?', filter.sourceDagId);
  if (filter.sourceTaskId !== undefined) where.add('e.source_task_id = ?', filter.sourceTaskId);
  if (filter.sourceRunId !== undefined) where.add('e.source_run_id = ?', filter.sourceRunId);
  if (filter.sourceMapIndex !== undefined) where.add('e.source_map_index = ?', filter.sourceMapIndex);
  if (filter.consumedBy !== undefined) {
    where.add('EXISTS (SELECT 1 FROM dag_run_dataset_events x WHERE x.event_id = e.id AND x.dag_id = ? AND x.run_id = ?)', filter.consumedBy.dagId, filter.consumedBy.runId);
  }
  const order = orderClause(DATASET_EVENT_ORDER, filter.orderBy, 'timestamp');
  const from = 'FROM dataset_events e JOIN datasets ds ON ds.uri = e.uri';
  const total = await client.query<{ n: string }>(`SELECT count(*) AS n ${from} ${where.sql}`, where.values);
  const page = where.page(filter);
  const rows = await client.query<EventApiRow>(
    `SELECT e.id, ds.id AS dataset_id, e.uri, e.extra, e.source_dag_id, e.source_task_id, e.source_run_id, e.source_map_index, e.timestamp,
            COALESCE((SELECT jsonb_agg(jsonb_build_object(
                        'dagId', r.dag_id, 'runId', r.run_id, 'logicalDate', ${isoSql('r.logical_date')}, 'startDate', ${isoSql('r.start_date')},
                        'endDate', ${isoSql('r.end_date')}, 'state', r.state, 'dataIntervalStart', ${isoSql('r.data_interval_start')},
                        'dataIntervalEnd', ${isoSql('r.data_interval_end')}) ORDER BY r.queued_at, r.dag_id, r.run_id)
                        FROM dag_run_dataset_events c JOIN dag_runs r ON r.dag_id = c.dag_id AND r.run_id = c.run_id
                       WHERE c.event_id = e.id), '[]'::jsonb) AS created_dagruns
       ${from} ${where.sql} ORDER BY ${order}, e.id ${page.sql}`,
    page.values,
  );
  return {
    total: Number(total.rows[0]?.n ?? 0),
    items: rows.rows.map((row) => ({
      id: Number(row.id), datasetId: Number(row.dataset_id), uri: row.uri, extra: row.extra, sourceDagId: row.source_dag_id,
      sourceTaskId: row.source_task_id, sourceRunId: row.source_run_id, sourceMapIndex: row.source_map_index,
      timestamp: msToAirflowIso(toMs(row.timestamp)), createdDagRuns: row.created_dagruns,
    })),
  };
}

/** Which queue rows a queued-event request names: a consumer DAG, a dataset, or both; `before` bounds `created_at`. */
export interface QueuedEventFilter {
  dagId?: string;
  uri?: string;
  /** Only rows queued before this time (epoch ms). */
  before?: number;
}

function queuedWhere(filter: QueuedEventFilter): Where {
  const where = new Where();
  if (filter.dagId !== undefined) where.add('q.target_dag_id = ?', filter.dagId);
  if (filter.uri !== undefined) where.add('q.uri = ?', filter.uri);
  if (filter.before !== undefined) where.add('q.created_at < ?', new Date(filter.before));
  return where;
}

/** The queue rows the filter names, oldest first. */
export async function listQueuedEvents(client: Queryable, filter: QueuedEventFilter): Promise<QueuedEventRow[]> {
  const where = queuedWhere(filter);
  const rows = await client.query<{ target_dag_id: string; uri: string; created_at: string }>(
    `SELECT q.target_dag_id, q.uri, ${isoSql('q.created_at')} AS created_at FROM dataset_dag_run_queue q ${where.sql}
      ORDER BY q.created_at, q.target_dag_id, q.uri`,
    where.values,
  );
  return rows.rows.map((row) => ({ dagId: row.target_dag_id, uri: row.uri, createdAt: row.created_at }));
}

/**
 * Deletes the queue rows the filter names; returns how many. A deleted row no longer counts towards its
 * consumer's condition (the events stay; a later event queues the consumer again).
 */
export async function deleteQueuedEvents(client: Queryable, filter: QueuedEventFilter): Promise<number> {
  const where = queuedWhere(filter);
  const result = await client.query(`DELETE FROM dataset_dag_run_queue q ${where.sql}`, where.values);
  return result.rowCount ?? 0;
}
