/**
 * Airflow REST API v1: datasets, their events and the queue of updated datasets per consumer DAG, as Airflow
 * 2.10.5's dataset_endpoint.py. `POST /datasets/events` records the event with the code
 * `dagbridge datasets create-event` runs (src/actions/create-dataset-event.ts), which is the code a task's
 * outlet events run, so its consumers are queued and triggered exactly as after a task's event.
 *
 * Roles as Airflow's: Viewer reads, User creates events, Op deletes queued events.
 */
import { z } from 'zod';
import { createManualDatasetEvent } from '../actions/create-dataset-event.js';
import {
  deleteQueuedEvents, getDatasetByUri, listDatasetEventsPage, listDatasetsPage, listQueuedEvents,
  type DatasetApiRow, type DatasetEventApiRow, type QueuedEventFilter, type QueuedEventRow,
} from '../store/dataset-api-queries.js';
import { ApiError } from './problem.js';
import { runOr404 } from './api-dags.js';
import { dagParams, paging, runParams, type Routes } from './routes.js';

/** Airflow's `Dataset` object. */
export function datasetJson(row: DatasetApiRow): Record<string, unknown> {
  return {
    id: row.id,
    uri: row.uri,
    extra: row.extra,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    consuming_dags: row.consumingDags.map((ref) => ({ dag_id: ref.dagId, created_at: ref.at, updated_at: ref.at })),
    producing_tasks: row.producingTasks.map((ref) => ({ dag_id: ref.dagId, task_id: ref.taskId ?? null, created_at: ref.at, updated_at: ref.at })),
  };
}

/** Airflow's `DatasetEvent` object, with the runs that consumed it as `BasicDAGRun`s. */
export function datasetEventJson(row: DatasetEventApiRow): Record<string, unknown> {
  return {
    id: row.id,
    dataset_id: row.datasetId,
    dataset_uri: row.uri,
    extra: row.extra,
    source_dag_id: row.sourceDagId,
    source_task_id: row.sourceTaskId,
    source_run_id: row.sourceRunId,
    source_map_index: row.sourceMapIndex,
    created_dagruns: row.createdDagRuns.map((run) => ({
      dag_run_id: run.runId, dag_id: run.dagId, logical_date: run.logicalDate, start_date: run.startDate, end_date: run.endDate,
      state: run.state, data_interval_start: run.dataIntervalStart, data_interval_end: run.dataIntervalEnd,
    })),
    timestamp: row.timestamp,
  };
}

function queuedEventJson(row: QueuedEventRow): Record<string, unknown> {
  return { created_at: row.createdAt, dag_id: row.dagId, uri: row.uri };
}

const uriParams = z.object({ uri: z.string().min(1, 'a dataset URI is required') });
const dagUriParams = dagParams.extend({ uri: z.string().min(1, 'a dataset URI is required') });
const before = z.object({
  before: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO 8601 date-time, e.g. 2024-01-01T00:00:00+00:00').transform((value) => Date.parse(value)).optional(),
});
const optionalText = z.string().min(1).optional();

/** The most events `upstreamDatasetEvents` lists (Airflow lists them all); `total_entries` counts them all. */
const UPSTREAM_EVENTS_LIMIT = 10_000;

export function registerDatasetRoutes(routes: Routes): void {
  const context = routes.context;

  routes.add({
    method: 'GET', path: '/api/v1/datasets', summary: 'List datasets', guard: { role: 'Viewer' },
    query: z.object({ ...paging, uri_pattern: z.string().optional(), dag_ids: z.string().optional() }),
  }, async ({ query }) => {
    const dagIds = query.dag_ids?.split(',').map((id) => id.trim()).filter((id) => id !== '');
    const page = await listDatasetsPage(context.pool, { limit: query.limit, offset: query.offset, orderBy: query.order_by, uriPattern: query.uri_pattern, dagIds });
    return { datasets: page.items.map(datasetJson), total_entries: page.total };
  });

  routes.add({
    method: 'GET', path: '/api/v1/datasets/events', summary: 'List dataset events', guard: { role: 'Viewer' },
    query: z.object({
      ...paging,
      dataset_id: z.coerce.number().int().min(1).optional(),
      source_dag_id: optionalText, source_task_id: optionalText, source_run_id: optionalText,
      source_map_index: z.coerce.number().int().min(-1).optional(),
    }),
  }, async ({ query }) => {
    const page = await listDatasetEventsPage(context.pool, {
      limit: query.limit, offset: query.offset, orderBy: query.order_by, datasetId: query.dataset_id, sourceDagId: query.source_dag_id,
      sourceTaskId: query.source_task_id, sourceRunId: query.source_run_id, sourceMapIndex: query.source_map_index,
    });
    return { dataset_events: page.items.map(datasetEventJson), total_entries: page.total };
  });

  routes.add({
    method: 'POST', path: '/api/v1/datasets/events', summary: 'Create a dataset event; its consumer DAGs are queued as for a task\'s event', guard: { role: 'User' },
    body: z.object({
      dataset_uri: z.string({ required_error: 'dataset_uri is required' }).min(1, 'dataset_uri is required'),
      extra: z.record(z.unknown()).nullable().optional(),
    }).strict(),
  }, async ({ body, audit }) => {
    const event = await createManualDatasetEvent(context.store, body.dataset_uri, body.extra ?? {}, context.now(), { fromRestApi: true });
    if (!event) throw new ApiError(404, `Dataset with uri: '${body.dataset_uri}' not found`);
    await audit({ event: 'dataset_event_create', extra: { dataset_uri: event.uri, event_id: event.id } });
    const row = (await listDatasetEventsPage(context.pool, { id: event.id, limit: 1, offset: 0 })).items[0];
    if (!row) throw new ApiError(404, `Dataset with uri: '${body.dataset_uri}' not found`);
    return datasetEventJson(row);
  });

  routes.add({ method: 'GET', path: '/api/v1/datasets/{uri}', summary: 'Get a dataset', guard: { role: 'Viewer' }, params: uriParams }, async ({ params }) => {
    const dataset = await getDatasetByUri(context.pool, params.uri);
    if (!dataset) throw new ApiError(404, `The Dataset with uri: \`${params.uri}\` was not found`);
    return datasetJson(dataset);
  });

  routes.add({
    method: 'GET', path: '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamDatasetEvents', summary: 'The dataset events a dataset-triggered run consumed', guard: { role: 'Viewer' }, params: runParams,
  }, async ({ params }) => {
    const run = await runOr404(context, params.dag_id, params.dag_run_id);
    // Airflow answers every consumed event; a run consumes at most what accumulated since the previous one.
    const page = await listDatasetEventsPage(context.pool, { consumedBy: run, limit: UPSTREAM_EVENTS_LIMIT, offset: 0 });
    return { dataset_events: page.items.map(datasetEventJson), total_entries: page.total };
  });

  // ---- Queued events (dataset_dag_run_queue) ----
  const listOr404 = async (filter: QueuedEventFilter, missing: string): Promise<QueuedEventRow[]> => {
    const rows = await listQueuedEvents(context.pool, filter);
    if (rows.length === 0) throw new ApiError(404, missing);
    return rows;
  };
  const deleteOr404 = async (filter: QueuedEventFilter, missing: string, audit: (entry: { event: string; dagId?: string; extra?: Record<string, unknown> }) => Promise<void>): Promise<null> => {
    const deleted = await deleteQueuedEvents(context.pool, filter);
    if (deleted === 0) throw new ApiError(404, missing);
    await audit({ event: 'dataset_queued_event_delete', ...(filter.dagId === undefined ? {} : { dagId: filter.dagId }), extra: { uri: filter.uri ?? null, deleted } });
    return null;
  };
  const collection = (rows: QueuedEventRow[]): Record<string, unknown> => ({ queued_events: rows.map(queuedEventJson), total_entries: rows.length });

  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/datasets/queuedEvent', summary: 'Get the queued dataset events of a DAG', guard: { role: 'Viewer' }, params: dagParams, query: before }, async ({ params, query }) => {
    return collection(await listOr404({ dagId: params.dag_id, before: query.before }, `Queue event with dag_id: \`${params.dag_id}\` was not found`));
  });
  routes.add({ method: 'DELETE', path: '/api/v1/dags/{dag_id}/datasets/queuedEvent', summary: 'Delete the queued dataset events of a DAG', guard: { role: 'Op' }, params: dagParams, query: before }, async ({ params, query, reply, audit }) => {
    await deleteOr404({ dagId: params.dag_id, before: query.before }, `Queue event with dag_id: \`${params.dag_id}\` was not found`, audit);
    return reply.code(204).send();
  });
  routes.add({ method: 'GET', path: '/api/v1/dags/{dag_id}/datasets/queuedEvent/{uri}', summary: 'Get a queued dataset event of a DAG', guard: { role: 'Viewer' }, params: dagUriParams, query: before }, async ({ params, query }) => {
    const [row] = await listOr404({ dagId: params.dag_id, uri: params.uri, before: query.before }, `Queue event with dag_id: \`${params.dag_id}\` and dataset uri: \`${params.uri}\` was not found`);
    return queuedEventJson(row as QueuedEventRow);
  });
  routes.add({ method: 'DELETE', path: '/api/v1/dags/{dag_id}/datasets/queuedEvent/{uri}', summary: 'Delete a queued dataset event of a DAG', guard: { role: 'Op' }, params: dagUriParams, query: before }, async ({ params, query, reply, audit }) => {
    await deleteOr404({ dagId: params.dag_id, uri: params.uri, before: query.before }, `Queue event with dag_id: \`${params.dag_id}\` and dataset uri: \`${params.uri}\` was not found`, audit);
    return reply.code(204).send();
  });
  routes.add({ method: 'GET', path: '/api/v1/datasets/queuedEvent/{uri}', summary: 'Get the queued events of a dataset (one per consumer DAG)', guard: { role: 'Viewer' }, params: uriParams, query: before }, async ({ params, query }) => {
    return collection(await listOr404({ uri: params.uri, before: query.before }, `Queue event with dataset uri: \`${params.uri}\` was not found`));
  });
  routes.add({ method: 'DELETE', path: '/api/v1/datasets/queuedEvent/{uri}', summary: 'Delete the queued events of a dataset', guard: { role: 'Op' }, params: uriParams, query: before }, async ({ params, query, reply, audit }) => {
    await deleteOr404({ uri: params.uri, before: query.before }, `Queue event with dataset uri: \`${params.uri}\` was not found`, audit);
    return reply.code(204).send();
  });
}
