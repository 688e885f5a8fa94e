/**
 * The REST API's dataset endpoints on real PostgreSQL, each answer validated against Airflow 2.10.5's OpenAPI
 * document: datasets with their producers and consumers, events (a task's and one posted through the API), the
 * consumer run a posted event triggers through the scheduler's own dataset-trigger code, and the queue of
 * updated datasets per consumer DAG with Airflow's roles (Viewer reads, User creates, Op deletes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../src/lib/logger.js';
import { datasetBundle, finishProducerTask } from '../src/ports/dataset-store.suite.js';
import { createDatasetTriggeredRuns } from '../src/scheduler/dataset-trigger.js';
import type { PgStore } from '../src/store/pg-store.js';
import { openWebApi, webApiClient, type WebApiFixture } from './support/web-api.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);
const PASSWORD = 'correct horse battery';
let fixture: WebApiFixture | undefined;
let store: PgStore;
let app: FastifyInstance;
let now = T0 + 60_000;
const { call, airflow, badRequest } = webApiClient(() => app, PASSWORD);

const A = 's3://bucket/a';
const B = 's3://bucket/b';

beforeAll(async () => {
  fixture = await openWebApi('web_api_datasets', PASSWORD, async (opened) => void (await opened.syncBundle(datasetBundle(), T0)), { now: () => now });
  ({ store, app } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

describe('datasets', () => {
  it('lists datasets with their producing tasks and consuming DAGs, filtered, ordered and paged', async () => {
    const all = await airflow('GET', '/api/v1/datasets?order_by=uri', '/datasets', 200, { user: 'Viewer' });
    expect(all.total_entries).toBe(2);
    const [a, b] = all.datasets as Array<Record<string, unknown>>;
    expect(a).toMatchObject({ uri: A, extra: {}, consuming_dags: [{ dag_id: 'consumer' }], producing_tasks: [{ dag_id: 'producer', task_id: 'make' }] });
    expect(b).toMatchObject({ uri: B, consuming_dags: [{ dag_id: 'consumer' }], producing_tasks: [] });
    expect(typeof a?.id).toBe('number');

    const pattern = await airflow('GET', '/api/v1/datasets?uri_pattern=BUCKET/B', '/datasets', 200);
    expect((pattern.datasets as Array<{ uri: string }>).map((d) => d.uri)).toEqual([B]);
    expect((await airflow('GET', '/api/v1/datasets?uri_pattern=%25', '/datasets', 200)).total_entries).toBe(0);
    const byDag = await airflow('GET', '/api/v1/datasets?dag_ids=producer,nobody', '/datasets', 200);
    expect((byDag.datasets as Array<{ uri: string }>).map((d) => d.uri)).toEqual([A]);
    const page = await airflow('GET', '/api/v1/datasets?order_by=-uri&limit=1', '/datasets', 200);
    expect(page).toMatchObject({ total_entries: 2, datasets: [{ uri: B }] });
    expect((await badRequest('GET', '/api/v1/datasets?order_by=extra', '/datasets')).detail).toContain('query.order_by');
    expect((await call('GET', '/api/v1/datasets', { user: 'nobody' })).status).toBe(401);
  });

  it('gets one dataset by its URI, encoded or with its slashes as they are, and 404 names an unknown one', async () => {
    const encoded = await airflow('GET', `/api/v1/datasets/${encodeURIComponent(A)}`, '/datasets/{uri}', 200, { user: 'Viewer' });
    expect(encoded).toMatchObject({ uri: A, producing_tasks: [{ task_id: 'make' }] });
    expect(await airflow('GET', `/api/v1/datasets/${A}`, '/datasets/{uri}', 200)).toEqual(encoded);
    const missing = await airflow('GET', `/api/v1/datasets/${encodeURIComponent('s3://bucket/none')}`, '/datasets/{uri}', 404);
    expect(missing.detail).toBe('The Dataset with uri: `s3://bucket/none` was not found');
  });
});

describe('dataset events', () => {
  it('creates an event as User that queues the consumer, which the scheduler then triggers as for a task\'s event', async () => {
    now = T0 + 120_000;
    expect((await airflow('POST', '/api/v1/datasets/events', '/datasets/events', 403, { user: 'Viewer', body: { dataset_uri: A } })).detail).toContain('needs User');
    const created = await airflow('POST', '/api/v1/datasets/events', '/datasets/events', 200, { user: 'User', body: { dataset_uri: A, extra: { rows: 3 } } });
    expect(created).toMatchObject({
      dataset_uri: A, extra: { rows: 3, from_rest_api: true }, source_dag_id: null, source_task_id: null, source_run_id: null, source_map_index: -1,
      created_dagruns: [], timestamp: '2024-01-01T12:02:00+00:00',
    });
    const missing = await airflow('POST', '/api/v1/datasets/events', '/datasets/events', 404, { user: 'User', body: { dataset_uri: 's3://bucket/none' } });
    expect(missing.detail).toBe("Dataset with uri: 's3://bucket/none' not found");
    expect((await badRequest('POST', '/api/v1/datasets/events', '/datasets/events', { user: 'User', body: { extra: {} } })).detail).toContain('body.dataset_uri');
    expect((await badRequest('POST', '/api/v1/datasets/events', '/datasets/events', { user: 'User', body: { dataset_uri: A, extra: 'x' } })).detail).toContain('body.extra');

    // The consumer is scheduled on a & b: the posted event of a is queued, and it is not due yet.
    const queued = await airflow('GET', '/api/v1/dags/consumer/datasets/queuedEvent', '/dags/{dag_id}/datasets/queuedEvent', 200, { user: 'Viewer' });
    expect(queued).toEqual({ total_entries: 1, queued_events: [{ dag_id: 'consumer', uri: A, created_at: '2024-01-01T12:02:00+00:00' }] });
    expect(await createDatasetTriggeredRuns(store, now + 1_000, silentLogger)).toEqual([]);
    // A task's event of b completes the condition.
    await finishProducerTask(store, 'make', [{ uri: B, extra: { by: 'task' }, aliases: [] }], T0 + 130_000);
    const runs = await createDatasetTriggeredRuns(store, T0 + 131_000, silentLogger);
    expect(runs.map((run) => [run.dagId, run.runId, run.runType])).toEqual([['consumer', 'dataset_triggered__2024-01-01T12:02:10+00:00', 'asset_triggered']]);

    const events = await airflow('GET', '/api/v1/datasets/events', '/datasets/events', 200, { user: 'Viewer' });
    expect((events.dataset_events as Array<Record<string, unknown>>).map((e) => [e.dataset_uri, e.source_dag_id, e.source_task_id])).toEqual([[A, null, null], [B, 'producer', 'make']]);
    for (const event of events.dataset_events as Array<{ created_dagruns: unknown[] }>) {
      expect(event.created_dagruns).toMatchObject([{ dag_id: 'consumer', dag_run_id: runs[0]?.runId, state: 'queued' }]);
    }
    const upstream = await airflow('GET', `/api/v1/dags/consumer/dagRuns/${runs[0]?.runId}/upstreamDatasetEvents`, '/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamDatasetEvents', 200);
    expect((upstream.dataset_events as Array<{ dataset_uri: string }>).map((e) => e.dataset_uri)).toEqual([A, B]);
    await airflow('GET', '/api/v1/dags/consumer/dagRuns/nope/upstreamDatasetEvents', '/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamDatasetEvents', 404);
    // The run consumed both queue rows.
    await airflow('GET', '/api/v1/dags/consumer/datasets/queuedEvent', '/dags/{dag_id}/datasets/queuedEvent', 404);
  });

  it('filters events by dataset_id and source, orders and pages them', async () => {
    const datasets = (await call('GET', '/api/v1/datasets')).body.datasets as Array<{ id: number; uri: string }>;
    const idOfB = datasets.find((d) => d.uri === B)?.id;
    const ofB = await airflow('GET', `/api/v1/datasets/events?dataset_id=${idOfB}`, '/datasets/events', 200);
    expect(ofB).toMatchObject({ total_entries: 1, dataset_events: [{ dataset_uri: B, dataset_id: idOfB }] });
    const bySource = await airflow('GET', '/api/v1/datasets/events?source_dag_id=producer&source_task_id=make&source_map_index=-1', '/datasets/events', 200);
    expect(bySource.total_entries).toBe(1);
    expect((await airflow('GET', '/api/v1/datasets/events?source_run_id=nope', '/datasets/events', 200)).total_entries).toBe(0);
    const newest = await airflow('GET', '/api/v1/datasets/events?order_by=-timestamp&limit=1', '/datasets/events', 200);
    expect(newest).toMatchObject({ total_entries: 2, dataset_events: [{ dataset_uri: B }] });
    expect((await badRequest('GET', '/api/v1/datasets/events?order_by=extra', '/datasets/events')).detail).toContain('query.order_by');
    expect((await badRequest('GET', '/api/v1/datasets/events?dataset_id=x', '/datasets/events')).detail).toContain('query.dataset_id');
  });
});

describe('queued dataset events', () => {
  it('gets and deletes the queue rows of a DAG, of a dataset, and of both, with before; deleting needs Op', async () => {
    now = T0 + 200_000;
    await call('POST', '/api/v1/datasets/events', { user: 'User', body: { dataset_uri: A } });
    now = T0 + 210_000;
    await call('POST', '/api/v1/datasets/events', { user: 'User', body: { dataset_uri: B } });

    const ofA = await airflow('GET', `/api/v1/datasets/queuedEvent/${encodeURIComponent(A)}`, '/datasets/queuedEvent/{uri}', 200, { user: 'Viewer' });
    expect(ofA).toEqual({ total_entries: 1, queued_events: [{ dag_id: 'consumer', uri: A, created_at: '2024-01-01T12:03:20+00:00' }] });
    const one = await airflow('GET', `/api/v1/dags/consumer/datasets/queuedEvent/${B}`, '/dags/{dag_id}/datasets/queuedEvent/{uri}', 200, { user: 'Viewer' });
    expect(one).toEqual({ dag_id: 'consumer', uri: B, created_at: '2024-01-01T12:03:30+00:00' });
    const early = await airflow('GET', '/api/v1/dags/consumer/datasets/queuedEvent?before=2024-01-01T12:03:25%2B00:00', '/dags/{dag_id}/datasets/queuedEvent', 200);
    expect((early.queued_events as Array<{ uri: string }>).map((e) => e.uri)).toEqual([A]);
    expect((await call('GET', '/api/v1/dags/consumer/datasets/queuedEvent?before=soon')).body.detail).toContain('query.before');
    const none = await airflow('GET', `/api/v1/dags/producer/datasets/queuedEvent/${encodeURIComponent(A)}`, '/dags/{dag_id}/datasets/queuedEvent/{uri}', 404);
    expect(none.detail).toBe('Queue event with dag_id: `producer` and dataset uri: `s3://bucket/a` was not found');

    await airflow('DELETE', `/api/v1/dags/consumer/datasets/queuedEvent/${encodeURIComponent(B)}`, '/dags/{dag_id}/datasets/queuedEvent/{uri}', 403, { user: 'User' });
    expect((await call('DELETE', `/api/v1/dags/consumer/datasets/queuedEvent/${encodeURIComponent(B)}`, { user: 'Op' })).status).toBe(204);
    await airflow('DELETE', `/api/v1/dags/consumer/datasets/queuedEvent/${encodeURIComponent(B)}`, '/dags/{dag_id}/datasets/queuedEvent/{uri}', 404, { user: 'Op' });
    // With b's row gone the consumer is no longer due after the next event of a.
    expect(await createDatasetTriggeredRuns(store, now + 1_000, silentLogger)).toEqual([]);
    expect((await call('DELETE', `/api/v1/datasets/queuedEvent/${encodeURIComponent(A)}`, { user: 'Op' })).status).toBe(204);
    await airflow('DELETE', '/api/v1/dags/consumer/datasets/queuedEvent', '/dags/{dag_id}/datasets/queuedEvent', 404, { user: 'Op' });
    await airflow('GET', `/api/v1/datasets/queuedEvent/${encodeURIComponent(A)}`, '/datasets/queuedEvent/{uri}', 404);

    await call('POST', '/api/v1/datasets/events', { user: 'User', body: { dataset_uri: A } });
    await airflow('DELETE', '/api/v1/dags/consumer/datasets/queuedEvent', '/dags/{dag_id}/datasets/queuedEvent', 403, { user: 'Viewer' });
    expect((await call('DELETE', '/api/v1/dags/consumer/datasets/queuedEvent', { user: 'Op' })).status).toBe(204);
    expect((await store.listDatasetQueue()).rows).toEqual([]);
    const audit = await call('GET', '/api/v1/eventLogs?event=dataset_queued_event_delete');
    expect(audit.body.total_entries).toBe(3);
    expect((await call('GET', '/api/v1/eventLogs?event=dataset_event_create&owner=user')).body.total_entries).toBe(4);
  });
});
