/**
 * The webserver's REST API on real PostgreSQL: every implemented Airflow endpoint's answer is validated against
 * Airflow 2.10.5's OpenAPI document, with paging, filters, bad input (400 naming the field), and the role
 * boundaries of Airflow's Viewer / User / Op / Admin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { DagSpec } from '../src/dag/bundle.js';
import { nextDagRunInfo, scheduleSettingsOf } from '../src/dag/schedule.js';
import { generateFernetKey } from '../src/lib/fernet.js';
import type { PgStore } from '../src/store/pg-store.js';
import { lastAutomatedRuns } from '../src/store/web-queries.js';
import { isoOrNull } from '../src/web/airflow-json.js';
import { airflowContractErrors } from './support/airflow-contract.js';
import { bundleOf, dagSpec, taskSpec, type TestDatabase } from './support/database.js';
import { openWebApi, webApiClient, type WebApiFixture } from './support/web-api.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);
const PASSWORD = 'correct horse battery';
let db: TestDatabase;
let store: PgStore;
let app: FastifyInstance;
let fixture: WebApiFixture | undefined;
let notified: string[] = [];

const etl: DagSpec = dagSpec('etl', { tags: ['finance', 'daily'], tasks: [taskSpec('extract', { downstream: ['load'] }), taskSpec('load', { upstream: ['extract'] })] });
const report: DagSpec = dagSpec('report', {
  tags: ['finance'], schedule: { type: 'none' },
  params: { month: { default: null, description: null, schema: { type: 'string', pattern: '^\\d{4}-\\d{2}$' }, hasDefault: false } },
});
const other: DagSpec = dagSpec('other_dag');

const { call, airflow, badRequest } = webApiClient(() => app, PASSWORD);

beforeAll(async () => {
  fixture = await openWebApi('web_api', PASSWORD, async (opened) => {
    await opened.syncBundle(bundleOf([etl, report, other], [{ file: 'broken.py', type: 'SyntaxError', message: 'invalid syntax', traceback: 'Traceback ...\nSyntaxError: invalid syntax' }]), T0);
  }, { now: () => T0 + 60_000, notify: async (what) => void notified.push(what), fernetKey: generateFernetKey() });
  ({ db, store, app } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

describe('dags', () => {
  it('lists DAGs with paging, order_by, tags, dag_id_pattern and paused filters', async () => {
    const all = await airflow('GET', '/api/v1/dags', '/dags', 200);
    expect(all.total_entries).toBe(3);
    expect((all.dags as Array<{ dag_id: string }>).map((d) => d.dag_id)).toEqual(['etl', 'other_dag', 'report']);
    const page = await airflow('GET', '/api/v1/dags?limit=1&offset=1&order_by=-dag_id', '/dags', 200);
    expect(page).toMatchObject({ total_entries: 3, dags: [{ dag_id: 'other_dag' }] });
    const tagged = await airflow('GET', '/api/v1/dags?tags=daily&tags=nope', '/dags', 200);
    expect((tagged.dags as Array<{ dag_id: string }>).map((d) => d.dag_id)).toEqual(['etl']);
    const pattern = await airflow('GET', '/api/v1/dags?dag_id_pattern=_dag', '/dags', 200);
    expect((pattern.dags as Array<{ dag_id: string }>).map((d) => d.dag_id)).toEqual(['other_dag']);
    expect((await airflow('GET', '/api/v1/dags?paused=true', '/dags', 200)).total_entries).toBe(0);
  });

  it('refuses a bad limit and an unknown order_by with a 400 problem naming the field', async () => {
    const limit = await call('GET', '/api/v1/dags?limit=0');
    expect(limit.status).toBe(400);
    expect(limit.type).toContain('application/problem+json');
    expect(airflowContractErrors('/dags', 'GET', 401, limit.body)).toEqual([]);
    expect(limit.body.detail).toContain('query.limit');
    const order = await call('GET', '/api/v1/dags?order_by=owners');
    expect(order.status).toBe(400);
    expect(order.body.detail).toContain('order_by "owners" is not allowed');
  });

  it('gets a DAG, its details and tasks, pauses it, and answers 404 for an unknown one', async () => {
    const dag = await airflow('GET', '/api/v1/dags/etl', '/dags/{dag_id}', 200);
    expect(dag).toMatchObject({ dag_id: 'etl', is_paused: false, tags: [{ name: 'finance' }, { name: 'daily' }], schedule_interval: { __type: 'CronExpression', value: '@daily' } });
    await airflow('GET', '/api/v1/dags/etl/details', '/dags/{dag_id}/details', 200);
    const tasks = await airflow('GET', '/api/v1/dags/etl/tasks', '/dags/{dag_id}/tasks', 200);
    expect((tasks.tasks as Array<{ task_id: string; downstream_task_ids: string[] }>).map((t) => [t.task_id, t.downstream_task_ids])).toEqual([['extract', ['load']], ['load', []]]);
    await airflow('GET', '/api/v1/dags/etl/tasks/load', '/dags/{dag_id}/tasks/{task_id}', 200);
    const paused = await airflow('PATCH', '/api/v1/dags/report?update_mask=is_paused', '/dags/{dag_id}', 200, { user: 'User', body: { is_paused: true } });
    expect(paused.is_paused).toBe(true);
    expect((await store.getDag('report'))?.isPaused).toBe(true);
    const missing = await airflow('GET', '/api/v1/dags/nope', '/dags/{dag_id}', 404);
    expect(missing.detail).toContain("'nope'");
    const bad = await call('PATCH', '/api/v1/dags/report', { body: { is_paused: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('body.is_paused');
  });
});

describe('dagRuns and task instances', () => {
  it('triggers a run with conf, logical_date and dag_run_id, lists, gets and refuses a duplicate or bad run id', async () => {
    notified = [];
    const created = await airflow('POST', '/api/v1/dags/etl/dagRuns', '/dags/{dag_id}/dagRuns', 200, {
      user: 'User', body: { dag_run_id: 'api_run_1', logical_date: '2024-03-01T00:00:00+00:00', conf: { rows: 3 } },
    });
    expect(created).toMatchObject({ dag_run_id: 'api_run_1', dag_id: 'etl', state: 'queued', run_type: 'manual', external_trigger: true, conf: { rows: 3 }, logical_date: '2024-03-01T00:00:00+00:00' });
    expect(notified).toEqual(['trigger']);
    await airflow('POST', '/api/v1/dags/etl/dagRuns', '/dags/{dag_id}/dagRuns', 409, { body: { dag_run_id: 'api_run_1' } });
    const bad = await airflow('POST', '/api/v1/dags/etl/dagRuns', '/dags/{dag_id}/dagRuns', 400, { body: { dag_run_id: 'a b' } });
    expect(bad.detail).toContain('body.dag_run_id');
    const deepConf = JSON.parse(`${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`) as Record<string, unknown>;
    const deep = await airflow('POST', '/api/v1/dags/etl/dagRuns', '/dags/{dag_id}/dagRuns', 400, { body: { dag_run_id: 'deep_conf', conf: deepConf } });
    expect(deep.detail).toBe('body.conf is nested more than 64 levels deep, the most maxJsonDepth (DAGBRIDGE_MAX_JSON_DEPTH) allows: flatten it or raise maxJsonDepth (DAGBRIDGE_MAX_JSON_DEPTH)');
    const badDate = await call('POST', '/api/v1/dags/etl/dagRuns', { body: { logical_date: 'yesterday' } });
    expect(badDate.status).toBe(400);
    expect(badDate.body.detail).toContain('body.logical_date');
    await airflow('POST', '/api/v1/dags/etl/dagRuns', '/dags/{dag_id}/dagRuns', 200, { body: {} });
    // Airflow's post_dag_run: 400 with create_dagrun's ParamValidationError text; no run is created.
    const missing = await airflow('POST', '/api/v1/dags/report/dagRuns', '/dags/{dag_id}/dagRuns', 400, { body: {} });
    expect(missing.detail).toBe('Invalid input for param month: No value passed and Param has no default value');
    const wrong = await airflow('POST', '/api/v1/dags/report/dagRuns', '/dags/{dag_id}/dagRuns', 400, { body: { conf: { month: 'May' } } });
    // Python's repr of the pattern doubles its backslashes.
    expect(wrong.detail).toBe("Invalid input for param month: 'May' does not match '^\\\\d{4}-\\\\d{2}$'");
    expect(await store.listDagRuns({ dagId: 'report' })).toEqual([]);
    const list = await airflow('GET', '/api/v1/dags/etl/dagRuns?order_by=dag_run_id&limit=1', '/dags/{dag_id}/dagRuns', 200);
    expect(list).toMatchObject({ total_entries: 2, dag_runs: [{ dag_run_id: 'api_run_1' }] });
    expect((await airflow('GET', '/api/v1/dags/~/dagRuns?state=queued', '/dags/{dag_id}/dagRuns', 200)).total_entries).toBe(2);
    await airflow('GET', '/api/v1/dags/etl/dagRuns/api_run_1', '/dags/{dag_id}/dagRuns/{dag_run_id}', 200);
    await airflow('GET', '/api/v1/dags/etl/dagRuns/nope', '/dags/{dag_id}/dagRuns/{dag_run_id}', 404);
    const stats = await airflow('GET', '/api/v1/dagStats?dag_ids=etl,report', '/dagStats', 200);
    expect(stats.dags).toEqual([
      { dag_id: 'etl', stats: [{ state: 'queued', count: 2 }, { state: 'running', count: 0 }, { state: 'success', count: 0 }, { state: 'failed', count: 0 }] },
      { dag_id: 'report', stats: [{ state: 'queued', count: 0 }, { state: 'running', count: 0 }, { state: 'success', count: 0 }, { state: 'failed', count: 0 }] },
    ]);
  });

  it('lists and gets task instances, their tries, logs by try with a continuation token, and XComs', async () => {
    const run = (await store.getDagRun({ dagId: 'etl', runId: 'api_run_1' }))!;
    await store.setDagRunState(run, 'queued', 'running', T0);
    await store.applyChanges(run, etl, [
      { kind: 'create', taskId: 'extract', mapIndex: -1, priorityWeight: 2, state: 'scheduled' },
      { kind: 'create', taskId: 'load', mapIndex: -1, priorityWeight: 1 },
    ], T0);
    const key = { dagId: 'etl', runId: 'api_run_1', taskId: 'extract', mapIndex: -1 };
    await store.markQueued([{ ...key, tryNumber: 1 }], T0 + 1);
    await store.startTry(key, 1, { workerId: 'w1', hostname: 'node-3', pid: 42 }, T0 + 2);
    await store.appendLogLines(key, 1, [{ seq: 1, at: T0 + 3, stream: 'stdout', line: 'first' }, { seq: 2, at: T0 + 4, stream: 'stdout', line: 'second' }]);
    await store.finishTry({ key, tryNumber: 1, state: 'success', endDate: T0 + 5_000, xcoms: [{ key: 'return_value', value: { rows: 3 } }], skipTaskIds: [], nextRetryAt: null, rescheduleAt: null, error: null, exitCode: 0, signal: null, exitReason: null, triggerDagRuns: [] });

    const base = '/api/v1/dags/etl/dagRuns/api_run_1/taskInstances';
    const list = await airflow('GET', `${base}?order_by=-priority_weight`, '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances', 200);
    expect(list).toMatchObject({ total_entries: 2, task_instances: [{ task_id: 'extract', state: 'success', try_number: 1, hostname: 'node-3' }, { task_id: 'load', state: null }] });
    const filtered = await airflow('GET', '/api/v1/dags/~/dagRuns/~/taskInstances?state=success', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances', 200);
    expect(filtered.total_entries).toBe(1);
    const one = await airflow('GET', `${base}/extract`, '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}', 200);
    expect(one).toMatchObject({ operator: 'BashOperator', duration: 4.998, execution_date: '2024-03-01T00:00:00+00:00' });
    await airflow('GET', `${base}/extract/-1`, '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}', 200);
    await airflow('GET', `${base}/nope`, '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}', 404);
    const tries = await airflow('GET', `${base}/extract/tries`, '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries', 200);
    expect(tries).toMatchObject({ total_entries: 1, task_instances: [{ try_number: 1, state: 'success', hostname: 'node-3', pid: 42 }] });
    await airflow('GET', `${base}/extract/tries/1`, '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries/{task_try_number}', 200);

    const logs = await call('GET', `${base}/extract/logs/1`);
    expect(logs.status).toBe(200);
    expect(logs.body.content).toBe('first\nsecond\n');
    expect(airflowContractErrors('/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{task_try_number}', 'GET', 200, logs.body)).toEqual([]);
    await store.appendLogLines(key, 1, [{ seq: 3, at: T0 + 6, stream: 'stderr', line: 'third' }]);
    const more = await call('GET', `${base}/extract/logs/1?token=${String(logs.body.continuation_token)}`);
    expect(more.body.content).toBe('third\n');
    const full = await call('GET', `${base}/extract/logs/1?full_content=true&token=${String(logs.body.continuation_token)}`);
    expect(full.body.content).toBe('first\nsecond\nthird\n');
    const text = await call('GET', `${base}/extract/logs/1`, { headers: { accept: 'text/plain' } });
    expect(text.type).toContain('text/plain');
    const badToken = await call('GET', `${base}/extract/logs/1?token=garbage`);
    expect(badToken.status).toBe(400);
    expect(badToken.body.detail).toContain('query.token');

    const xcoms = await airflow('GET', `${base}/extract/xcomEntries`, '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries', 200);
    expect(xcoms).toMatchObject({ total_entries: 1, xcom_entries: [{ key: 'return_value', task_id: 'extract' }] });
    const xcom = await airflow('GET', `${base}/extract/xcomEntries/return_value`, '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}', 200);
    expect(xcom.value).toBe('{"rows":3}');
  });

  it('clears task instances (dry run first) and marks a run failed', async () => {
    const dry = await call('POST', '/api/v1/dags/etl/clearTaskInstances', { user: 'User', body: { dag_run_id: 'api_run_1', task_ids: ['extract'], include_downstream: true, only_failed: false } });
    expect(dry.status).toBe(200);
    expect(airflowContractErrors('/dags/{dag_id}/clearTaskInstances', 'POST', 200, dry.body)).toEqual([]);
    expect(dry.body.total_entries).toBe(2);
    expect((await store.getTaskInstance({ dagId: 'etl', runId: 'api_run_1', taskId: 'extract', mapIndex: -1 }))?.state).toBe('success');
    await call('POST', '/api/v1/dags/etl/clearTaskInstances', { user: 'User', body: { dag_run_id: 'api_run_1', task_ids: ['extract'], dry_run: false, only_failed: false } });
    expect((await store.getTaskInstance({ dagId: 'etl', runId: 'api_run_1', taskId: 'extract', mapIndex: -1 }))?.state).toBe('none');
    const badTask = await call('POST', '/api/v1/dags/etl/clearTaskInstances', { body: { dag_run_id: 'api_run_1', task_ids: ['ghost'] } });
    expect(badTask.status).toBe(400);
    expect(badTask.body.detail).toContain('body.task_ids');

    const failed = await airflow('PATCH', '/api/v1/dags/etl/dagRuns/api_run_1', '/dags/{dag_id}/dagRuns/{dag_run_id}', 200, { user: 'User', body: { state: 'failed' } });
    expect(failed.state).toBe('failed');
    const badState = await call('PATCH', '/api/v1/dags/etl/dagRuns/api_run_1', { body: { state: 'running' } });
    expect(badState.status).toBe(400);
    expect(badState.body.detail).toContain('body.state');
    const cleared = await airflow('POST', '/api/v1/dags/etl/dagRuns/api_run_1/clear', '/dags/{dag_id}/dagRuns/{dag_run_id}/clear', 200, { user: 'User', body: { dry_run: false } });
    expect(cleared.state).toBe('queued');
  });
});

describe('the UI reads', () => {
  it('gives the latest runs per DAG and a grid of states by run and task', async () => {
    const last = await call('GET', '/dagbridge/api/v1/ui/dags/last-runs');
    expect(last.status).toBe(200);
    expect((last.body.last_runs as Record<string, unknown[]>).etl).toHaveLength(2);
    const next = await call('GET', '/dagbridge/api/v1/ui/dags/last-runs?dag_ids=etl,report');
    // The next run read from the scheduling fields alone is the one the whole spec gives.
    const lastAutomated = (await lastAutomatedRuns(db.pool, ['etl'])).get('etl') ?? null;
    const expected = nextDagRunInfo(scheduleSettingsOf(etl), lastAutomated, T0 + 60_000);
    expect(expected).not.toBeNull();
    expect(next.body.next_runs).toEqual({
      etl: { logical_date: isoOrNull(expected!.logicalDate), run_after: isoOrNull(expected!.runAfter) },
      report: null,
    });
    const grid = await call('GET', '/dagbridge/api/v1/ui/dags/etl/grid');
    const body = grid.body as { runs: Array<{ dag_run_id: string }>; tasks: Array<{ task_id: string; mapped: boolean }>; states: string[]; legend: Record<string, string> };
    const run = body.runs.findIndex((r) => r.dag_run_id === 'api_run_1');
    expect(run).toBeGreaterThanOrEqual(0);
    const cell = (taskId: string): string | undefined => body.legend[body.states[body.tasks.findIndex((t) => t.task_id === taskId)]?.[run] ?? ''];
    expect([cell('extract'), cell('load')]).toEqual(['none', 'none']);
    expect(body.states.every((row) => row.length === body.runs.length)).toBe(true);
    expect((await call('GET', '/dagbridge/api/v1/ui/dags/nope/grid')).status).toBe(404);
  });
});

describe('task instance states', () => {
  it('marks a task instance failed or success (dry run first), one or with its downstream, and refuses a Viewer', async () => {
    await airflow('POST', '/api/v1/dags/etl/dagRuns', '/dags/{dag_id}/dagRuns', 200, { user: 'User', body: { dag_run_id: 'mark_run', logical_date: '2024-04-01T00:00:00+00:00' } });
    const run = (await store.getDagRun({ dagId: 'etl', runId: 'mark_run' }))!;
    await store.applyChanges(run, etl, [
      { kind: 'create', taskId: 'extract', mapIndex: -1, priorityWeight: 2, state: 'scheduled' },
      { kind: 'create', taskId: 'load', mapIndex: -1, priorityWeight: 1 },
    ], T0);
    const state = async (taskId: string) => (await store.getTaskInstance({ dagId: 'etl', runId: 'mark_run', taskId, mapIndex: -1 }))?.state;
    const one = '/api/v1/dags/etl/dagRuns/mark_run/taskInstances/extract';
    const template = '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}';

    const dry = await airflow('PATCH', one, template, 200, { user: 'User', body: { new_state: 'failed' } });
    expect(dry).toEqual({ task_id: 'extract', dag_id: 'etl', dag_run_id: 'mark_run', execution_date: '2024-04-01T00:00:00+00:00' });
    expect(await state('extract')).toBe('scheduled');
    const viewer = await airflow('PATCH', one, template, 403, { user: 'Viewer', body: { new_state: 'failed', dry_run: false } });
    expect(viewer.detail).toContain('needs User');
    const running = await badRequest('PATCH', one, template, { user: 'User', body: { new_state: 'running', dry_run: false } });
    expect(running.detail).toContain('body.new_state');
    const missing = await call('PATCH', one, { user: 'User', body: { dry_run: false } });
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toContain('body.new_state');
    const unknownField = await call('PATCH', one, { user: 'User', body: { new_state: 'failed', state: 'failed' } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.detail).toContain('body');

    await airflow('PATCH', one, template, 200, { user: 'User', body: { new_state: 'failed', dry_run: false } });
    expect(await state('extract')).toBe('failed');
    expect((await store.getTaskInstance({ dagId: 'etl', runId: 'mark_run', taskId: 'extract', mapIndex: -1 }))?.note).toBe('marked failed by user');
    await airflow('PATCH', `${one}/-1`, `${template}/{map_index}`, 200, { user: 'User', body: { new_state: 'failed', dry_run: false } });
    await airflow('PATCH', `${one}/4`, `${template}/{map_index}`, 404, { user: 'User', body: { new_state: 'failed' } });
    await airflow('PATCH', '/api/v1/dags/etl/dagRuns/mark_run/taskInstances/ghost', template, 404, { user: 'User', body: { new_state: 'failed' } });

    const bulk = '/api/v1/dags/etl/updateTaskInstancesState';
    const plan = await airflow('POST', bulk, '/dags/{dag_id}/updateTaskInstancesState', 200, { user: 'User', body: { task_id: 'extract', dag_run_id: 'mark_run', include_downstream: true, new_state: 'success' } });
    expect((plan.task_instances as Array<{ task_id: string }>).map((t) => t.task_id).sort()).toEqual(['extract', 'load']);
    expect(await state('load')).toBe('none');
    const byDate = await airflow('POST', bulk, '/dags/{dag_id}/updateTaskInstancesState', 200, { user: 'User', body: { task_id: 'extract', execution_date: '2024-04-01T00:00:00Z', new_state: 'success', dry_run: false } });
    expect(byDate.task_instances).toEqual([{ task_id: 'extract', dag_id: 'etl', dag_run_id: 'mark_run', execution_date: '2024-04-01T00:00:00+00:00' }]);
    const done = await airflow('POST', bulk, '/dags/{dag_id}/updateTaskInstancesState', 200, { user: 'User', body: { task_id: 'extract', dag_run_id: 'mark_run', include_downstream: true, new_state: 'success', dry_run: false } });
    expect((done.task_instances as Array<{ task_id: string }>).map((t) => t.task_id)).toEqual(['load']);
    expect([await state('extract'), await state('load')]).toEqual(['success', 'success']);
    const neither = await badRequest('POST', bulk, '/dags/{dag_id}/updateTaskInstancesState', { user: 'User', body: { task_id: 'extract', new_state: 'failed' } });
    expect(neither.detail).toContain('body.dag_run_id');
    await airflow('POST', bulk, '/dags/{dag_id}/updateTaskInstancesState', 404, { user: 'User', body: { task_id: 'ghost', dag_run_id: 'mark_run', new_state: 'failed' } });
    await airflow('POST', bulk, '/dags/{dag_id}/updateTaskInstancesState', 403, { user: 'Viewer', body: { task_id: 'extract', dag_run_id: 'mark_run', new_state: 'failed' } });

    const events = await call('GET', '/api/v1/eventLogs?event=mark_failed&order_by=event_log_id');
    expect(events.body.event_logs).toMatchObject([{ owner: 'user', event: 'mark_failed', dag_id: 'etl', run_id: 'mark_run', task_id: 'extract' }]);
    expect((await call('GET', '/api/v1/eventLogs?event=mark_success')).body.total_entries).toBe(2);
  });
});

describe('task instance states across runs', () => {
  const bulk = '/api/v1/dags/other_dag/updateTaskInstancesState';
  const clear = '/api/v1/dags/other_dag/clearTaskInstances';
  const states = async () => Promise.all(['p1', 'p2', 'p3'].map(async (runId) => (await store.getTaskInstance({ dagId: 'other_dag', runId, taskId: 't1', mapIndex: -1 }))?.state));
  const runsOf = (body: Record<string, unknown>) => (body.task_instances as Array<{ dag_run_id: string }>).map((t) => t.dag_run_id).sort();

  it('marks skipped, and with include_past / include_future the same task in earlier / later runs by logical date (dry run first)', async () => {
    for (const [runId, day] of [['p2', '02'], ['p1', '01'], ['p3', '03']] as const) {
      await airflow('POST', '/api/v1/dags/other_dag/dagRuns', '/dags/{dag_id}/dagRuns', 200, { user: 'User', body: { dag_run_id: runId, logical_date: `2024-05-${day}T00:00:00+00:00` } });
      const run = (await store.getDagRun({ dagId: 'other_dag', runId }))!;
      await store.applyChanges(run, other, [{ kind: 'create', taskId: 't1', mapIndex: -1, priorityWeight: 1, state: 'scheduled' }], T0);
    }
    const dryPast = await airflow('POST', bulk, '/dags/{dag_id}/updateTaskInstancesState', 200, { user: 'User', body: { task_id: 't1', dag_run_id: 'p2', include_past: true, new_state: 'skipped' } });
    expect(runsOf(dryPast)).toEqual(['p1', 'p2']);
    expect(await states()).toEqual(['scheduled', 'scheduled', 'scheduled']);
    const future = await airflow('POST', bulk, '/dags/{dag_id}/updateTaskInstancesState', 200, { user: 'User', body: { task_id: 't1', dag_run_id: 'p2', include_future: true, new_state: 'skipped', dry_run: false } });
    expect(runsOf(future)).toEqual(['p2', 'p3']);
    expect(await states()).toEqual(['scheduled', 'skipped', 'skipped']);
    const both = await airflow('POST', bulk, '/dags/{dag_id}/updateTaskInstancesState', 200, { user: 'User', body: { task_id: 't1', execution_date: '2024-05-02T00:00:00Z', include_past: true, include_future: true, new_state: 'skipped' } });
    expect(runsOf(both)).toEqual(['p1']);
    const one = await airflow('PATCH', '/api/v1/dags/other_dag/dagRuns/p1/taskInstances/t1', '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}', 200, { user: 'User', body: { new_state: 'skipped', dry_run: false } });
    expect(one).toMatchObject({ dag_run_id: 'p1' });
    expect(await states()).toEqual(['skipped', 'skipped', 'skipped']);
    expect((await call('GET', '/api/v1/eventLogs?event=mark_skipped&dag_id=other_dag')).body.total_entries).toBe(3);
  });

  it('clears with include_past / include_future, dry run first, answering every instance it takes', async () => {
    const dry = await airflow('POST', clear, '/dags/{dag_id}/clearTaskInstances', 200, { user: 'User', body: { dag_run_id: 'p2', include_past: true, only_failed: false } });
    expect(runsOf(dry)).toEqual(['p1', 'p2']);
    expect(await states()).toEqual(['skipped', 'skipped', 'skipped']);
    const done = await airflow('POST', clear, '/dags/{dag_id}/clearTaskInstances', 200, { user: 'User', body: { dag_run_id: 'p2', task_ids: ['t1'], include_future: true, dry_run: false, only_failed: false } });
    expect(runsOf(done)).toEqual(['p2', 'p3']);
    expect(await states()).toEqual(['skipped', 'none', 'none']);
    expect((await airflow('POST', clear, '/dags/{dag_id}/clearTaskInstances', 200, { user: 'User', body: { dag_run_id: 'p3', include_past: true, include_future: true, only_failed: true } })).task_instances).toEqual([]);
  });

  it('clears only failed instances unless told otherwise, only running ones with only_running (Airflow 2.10.5 ClearTaskInstancesForm)', async () => {
    // p1 skipped, p2 none, p3 none after the tests above: make p1 failed and p3 running (as a worker's start would).
    const p1 = (await store.getDagRun({ dagId: 'other_dag', runId: 'p1' }))!;
    await store.applyChanges(p1, other, [{ kind: 'transition', taskId: 't1', mapIndex: -1, from: 'skipped', to: 'failed' }], T0);
    await db.pool.query("UPDATE task_instances SET state = 'running', try_number = 1 WHERE dag_id = 'other_dag' AND run_id = 'p3' AND task_id = 't1'");
    const range = { dag_run_id: 'p2', include_past: true, include_future: true };
    expect(runsOf(await airflow('POST', clear, '/dags/{dag_id}/clearTaskInstances', 200, { user: 'User', body: range }))).toEqual(['p1']);
    expect(runsOf(await airflow('POST', clear, '/dags/{dag_id}/clearTaskInstances', 200, { user: 'User', body: { ...range, only_failed: false, only_running: true } }))).toEqual(['p3']);
    expect(runsOf(await airflow('POST', clear, '/dags/{dag_id}/clearTaskInstances', 200, { user: 'User', body: { ...range, only_failed: false } }))).toEqual(['p1', 'p2', 'p3']);
    const both = await call('POST', clear, { user: 'User', body: { ...range, only_running: true } });
    expect(both.status).toBe(400);
    expect(both.body.detail).toContain('only_failed and only_running both are set to True');
    expect(both.body.detail).toContain('body.only_running');
    await airflow('POST', clear, '/dags/{dag_id}/clearTaskInstances', 200, { user: 'User', body: { ...range, dry_run: false } });
    expect(await states()).toEqual(['none', 'none', 'running']);
    await db.pool.query("UPDATE task_instances SET state = 'none' WHERE dag_id = 'other_dag' AND run_id = 'p3' AND task_id = 't1'");
  });
});

describe('connections', () => {
  it('creates, lists, gets, updates and deletes connections as Op, never returning the password', async () => {
    const created = await airflow('POST', '/api/v1/connections', '/connections', 200, { user: 'Op', body: {
      connection_id: 'warehouse', conn_type: 'postgres', host: 'db.internal', login: 'etl', password: 's3cret-pw', port: 5432, schema: 'dw', extra: '{"sslmode": "require", "api_key": "k-123"}',
    } });
    expect(created).toEqual({ connection_id: 'warehouse', conn_type: 'postgres', description: null, host: 'db.internal', login: 'etl', schema: 'dw', port: 5432, extra: '{"sslmode": "require", "api_key": "***"}' });
    const stored = await db.pool.query<{ password: string; is_encrypted: boolean }>("SELECT password, is_encrypted FROM connections WHERE conn_id = 'warehouse'");
    expect(stored.rows[0]?.is_encrypted).toBe(true);
    expect(stored.rows[0]?.password).not.toContain('s3cret-pw');
    await airflow('POST', '/api/v1/connections', '/connections', 200, { user: 'Op', body: { connection_id: 'api', conn_type: 'http', host: 'example.com' } });

    const list = await airflow('GET', '/api/v1/connections?order_by=-connection_id', '/connections', 200, { user: 'Op' });
    expect(list).toEqual({ total_entries: 2, connections: [
      { connection_id: 'warehouse', conn_type: 'postgres', description: null, host: 'db.internal', login: 'etl', schema: 'dw', port: 5432 },
      { connection_id: 'api', conn_type: 'http', description: null, host: 'example.com', login: null, schema: null, port: null },
    ] });
    const one = await airflow('GET', '/api/v1/connections/warehouse', '/connections/{connection_id}', 200, { user: 'Op' });
    expect(JSON.stringify(one)).not.toContain('s3cret-pw');
    expect(one).not.toHaveProperty('password');
    await airflow('GET', '/api/v1/connections/nope', '/connections/{connection_id}', 404, { user: 'Op' });

    const patched = await airflow('PATCH', '/api/v1/connections/warehouse?update_mask=host', '/connections/{connection_id}', 200, { user: 'Op', body: { host: 'db2.internal', login: 'ignored' } });
    expect(patched).toMatchObject({ host: 'db2.internal', login: 'etl' });
    await airflow('PATCH', '/api/v1/connections/warehouse', '/connections/{connection_id}', 200, { user: 'Op', body: { password: 'new-pw' } });
    const renamed = await airflow('PATCH', '/api/v1/connections/warehouse', '/connections/{connection_id}', 400, { user: 'Op', body: { connection_id: 'other' } });
    expect(renamed.detail).toContain('body.connection_id');

    const badId = await airflow('POST', '/api/v1/connections', '/connections', 400, { user: 'Op', body: { connection_id: 'a b', conn_type: 'http' } });
    expect(badId.detail).toContain('body.connection_id');
    const noType = await airflow('POST', '/api/v1/connections', '/connections', 400, { user: 'Op', body: { connection_id: 'x' } });
    expect(noType.detail).toContain('body.conn_type');
    expect((await call('POST', '/api/v1/connections', { user: 'Op', body: { connection_id: 'api', conn_type: 'http' } })).status).toBe(409);

    await airflow('GET', '/api/v1/connections', '/connections', 403, { user: 'User' });
    await airflow('DELETE', '/api/v1/connections/api', '/connections/{connection_id}', 403, { user: 'User' });
    const deleted = await call('DELETE', '/api/v1/connections/api', { user: 'Op' });
    expect(deleted.status).toBe(204);
    await airflow('DELETE', '/api/v1/connections/api', '/connections/{connection_id}', 404, { user: 'Op' });
    const events = await call('GET', '/api/v1/eventLogs?owner=op&order_by=event_log_id');
    expect((events.body.event_logs as Array<{ event: string }>).map((e) => e.event).filter((e) => e.startsWith('connection'))).toEqual(['connection_create', 'connection_create', 'connection_update', 'connection_update', 'connection_delete']);
    expect(JSON.stringify(events.body)).not.toContain('new-pw');
  });
});

describe('pools, variables, import errors, health, version, event logs', () => {
  it('answers in Airflow shapes', async () => {
    const pools = await airflow('GET', '/api/v1/pools', '/pools', 200);
    expect(pools).toMatchObject({ total_entries: 1, pools: [{ name: 'default_pool', slots: 128, open_slots: 128 }] });
    await airflow('POST', '/api/v1/pools', '/pools', 200, { user: 'Op', body: { name: 'db', slots: 2, description: 'the database' } });
    await airflow('PATCH', '/api/v1/pools/db?update_mask=slots', '/pools/{pool_name}', 200, { user: 'Op', body: { slots: 3 } });
    expect(await airflow('GET', '/api/v1/pools/db', '/pools/{pool_name}', 200)).toMatchObject({ slots: 3, description: 'the database' });
    await airflow('GET', '/api/v1/pools/nope', '/pools/{pool_name}', 404);
    await db.pool.query("INSERT INTO variables (key, value, description) VALUES ('region', 'eu', 'where')");
    expect(await airflow('GET', '/api/v1/variables', '/variables', 200, { user: 'Op' })).toMatchObject({ total_entries: 1, variables: [{ key: 'region', description: 'where' }] });
    expect(await airflow('GET', '/api/v1/variables/region', '/variables/{variable_key}', 200, { user: 'Op' })).toMatchObject({ value: 'eu' });
    const errors = await airflow('GET', '/api/v1/importErrors', '/importErrors', 200);
    expect(errors).toMatchObject({ total_entries: 1, import_errors: [{ import_error_id: 1, filename: 'broken.py' }] });
    const health = await airflow('GET', '/api/v1/health', '/health', 200, { user: 'nobody' });
    expect(health).toMatchObject({ metadatabase: { status: 'healthy' } });
    await airflow('GET', '/api/v1/version', '/version', 200);
    const events = await airflow('GET', '/api/v1/eventLogs?order_by=-event_log_id&limit=100', '/eventLogs', 200);
    const kinds = (events.event_logs as Array<{ event: string; owner: string }>).map((e) => `${e.owner}:${e.event}`);
    expect(kinds).toEqual(expect.arrayContaining(['user:trigger', 'user:paused', 'user:clear', 'user:dagrun_failed', 'op:pool_create', 'op:pool_update']));
  });
});

describe('variables and pools, written', () => {
  it('creates, replaces, patches with update_mask and deletes variables as Op, one audit row each', async () => {
    const created = await airflow('POST', '/api/v1/variables', '/variables', 200, { user: 'Op', body: { key: 'bucket', value: 's3://raw', description: 'landing zone' } });
    expect(created).toEqual({ key: 'bucket', value: 's3://raw', description: 'landing zone' });
    // As Airflow's Variable.set: a POST of an existing key overwrites it, description included.
    expect(await airflow('POST', '/api/v1/variables', '/variables', 200, { user: 'Op', body: { key: 'bucket', value: 's3://raw2' } })).toEqual({ key: 'bucket', value: 's3://raw2' });
    expect(await airflow('GET', '/api/v1/variables/bucket', '/variables/{variable_key}', 200, { user: 'Op' })).toEqual({ key: 'bucket', value: 's3://raw2', description: null });
    const masked = await airflow('PATCH', '/api/v1/variables/bucket?update_mask=description', '/variables/{variable_key}', 200, { user: 'Op', body: { key: 'bucket', value: 'ignored', description: 'landing' } });
    expect(masked).toEqual({ key: 'bucket', value: 's3://raw2', description: 'landing' });
    const whole = await airflow('PATCH', '/api/v1/variables/bucket', '/variables/{variable_key}', 200, { user: 'Op', body: { key: 'bucket', value: 's3://raw3' } });
    expect(whole).toEqual({ key: 'bucket', value: 's3://raw3', description: 'landing' });
    expect((await store.listVariables()).bucket).toBe('s3://raw3');
    const list = await airflow('GET', '/api/v1/variables?order_by=-key', '/variables', 200, { user: 'Op' });
    expect((list.variables as Array<{ key: string }>).map((v) => v.key)).toEqual(['region', 'bucket']);

    expect((await badRequest('PATCH', '/api/v1/variables/bucket', '/variables/{variable_key}', { user: 'Op', body: { key: 'other', value: 'x' } })).detail).toContain('body.key');
    expect((await badRequest('PATCH', '/api/v1/variables/bucket?update_mask=key', '/variables/{variable_key}', { user: 'Op', body: { key: 'bucket', value: 'x' } })).detail).toContain('query.update_mask');
    expect((await badRequest('POST', '/api/v1/variables', '/variables', { user: 'Op', body: { key: 'n' } })).detail).toContain('body.value');
    expect((await badRequest('POST', '/api/v1/variables', '/variables', { user: 'Op', body: { key: 'n', value: 3 } })).detail).toContain('body.value');
    expect((await badRequest('POST', '/api/v1/variables', '/variables', { user: 'Op', body: { value: 'v' } })).detail).toContain('body.key');
    await airflow('PATCH', '/api/v1/variables/nope', '/variables/{variable_key}', 404, { user: 'Op', body: { key: 'nope', value: 'x' } });

    for (const role of ['Viewer', 'User'] as const) {
      await airflow('POST', '/api/v1/variables', '/variables', 403, { user: role, body: { key: 'k', value: 'v' } });
      await airflow('PATCH', '/api/v1/variables/bucket', '/variables/{variable_key}', 403, { user: role, body: { key: 'bucket', value: 'v' } });
      await airflow('DELETE', '/api/v1/variables/bucket', '/variables/{variable_key}', 403, { user: role });
    }
    expect((await call('DELETE', '/api/v1/variables/bucket', { user: 'Op' })).status).toBe(204);
    await airflow('DELETE', '/api/v1/variables/bucket', '/variables/{variable_key}', 404, { user: 'Op' });
    expect('bucket' in (await store.listVariables())).toBe(false);
    const events = await call('GET', '/api/v1/eventLogs?owner=op&order_by=event_log_id');
    const variableEvents = (events.body.event_logs as Array<{ event: string; extra: string }>).filter((e) => e.event.startsWith('variable'));
    expect(variableEvents.map((e) => e.event)).toEqual(['variable_create', 'variable_create', 'variable_update', 'variable_update', 'variable_delete']);
    expect(JSON.stringify(variableEvents)).not.toContain('s3://raw');
  });

  it('orders, renames, updates with update_mask and deletes pools; default_pool keeps its name and stays', async () => {
    await airflow('POST', '/api/v1/pools', '/pools', 200, { user: 'Op', body: { name: 'gpu', slots: 4 } });
    const bySlots = await airflow('GET', '/api/v1/pools?order_by=-slots', '/pools', 200);
    expect((bySlots.pools as Array<{ name: string }>)[0]?.name).toBe('default_pool');
    expect((await badRequest('GET', '/api/v1/pools?order_by=open_slots', '/pools')).detail).toContain('query.order_by');
    const masked = await airflow('PATCH', '/api/v1/pools/gpu?update_mask=slots', '/pools/{pool_name}', 200, { user: 'Op', body: { name: 'ignored', slots: 8, description: 'ignored' } });
    expect(masked).toMatchObject({ name: 'gpu', slots: 8, description: '' });
    expect((await badRequest('PATCH', '/api/v1/pools/gpu', '/pools/{pool_name}', { user: 'Op', body: { slots: 2 } })).detail).toContain('body.name');
    expect((await badRequest('PATCH', '/api/v1/pools/gpu?update_mask=occupied_slots', '/pools/{pool_name}', { user: 'Op', body: { name: 'gpu', slots: 2 } })).detail).toContain('update_mask');
    expect(await airflow('PATCH', '/api/v1/pools/gpu', '/pools/{pool_name}', 200, { user: 'Op', body: { name: 'accelerators', slots: 2, description: 'cards' } })).toMatchObject({ name: 'accelerators', slots: 2, description: 'cards' });
    await airflow('GET', '/api/v1/pools/gpu', '/pools/{pool_name}', 404);
    expect((await badRequest('PATCH', '/api/v1/pools/default_pool', '/pools/{pool_name}', { user: 'Op', body: { name: 'other', slots: 1 } })).detail).toBe("Default Pool's name can't be modified");
    expect(await airflow('PATCH', '/api/v1/pools/default_pool?update_mask=slots', '/pools/{pool_name}', 200, { user: 'Op', body: { slots: 64 } })).toMatchObject({ name: 'default_pool', slots: 64 });
    expect((await badRequest('DELETE', '/api/v1/pools/default_pool', '/pools/{pool_name}', { user: 'Op' })).detail).toBe("Default Pool can't be deleted");
    for (const role of ['Viewer', 'User'] as const) await airflow('DELETE', '/api/v1/pools/accelerators', '/pools/{pool_name}', 403, { user: role });
    expect((await call('DELETE', '/api/v1/pools/accelerators', { user: 'Op' })).status).toBe(204);
    await airflow('DELETE', '/api/v1/pools/accelerators', '/pools/{pool_name}', 404, { user: 'Op' });
    expect((await store.listPools()).map((p) => p.name)).not.toContain('accelerators');
    const events = await call('GET', '/api/v1/eventLogs?event=pool_delete');
    expect(events.body.event_logs).toMatchObject([{ owner: 'op', extra: JSON.stringify({ name: 'accelerators' }) }]);
  });
});

describe('roles', () => {
  it('needs credentials, and gives each role what Airflow gives it', async () => {
    const anonymous = await airflow('GET', '/api/v1/dags', '/dags', 401, { user: 'nobody' });
    expect(anonymous.detail).toContain('authentication required');
    expect((await call('GET', '/api/v1/dags', { headers: { authorization: `Basic ${Buffer.from('viewer:wrong-password').toString('base64')}` }, user: 'nobody' })).status).toBe(401);
    expect((await call('GET', '/api/v1/dags', { user: 'Viewer' })).status).toBe(200);
    const trigger = await airflow('POST', '/api/v1/dags/etl/dagRuns', '/dags/{dag_id}/dagRuns', 403, { user: 'Viewer', body: {} });
    expect(trigger.detail).toContain('role Viewer');
    await airflow('PATCH', '/api/v1/dags/etl', '/dags/{dag_id}', 403, { user: 'Viewer', body: { is_paused: true } });
    expect((await call('GET', '/api/v1/variables', { user: 'User' })).status).toBe(403);
    expect((await call('POST', '/api/v1/pools', { user: 'User', body: { name: 'x', slots: 1 } })).status).toBe(403);
    expect((await call('GET', '/api/v1/eventLogs', { user: 'Op' })).status).toBe(403);
    expect((await call('GET', '/api/v1/eventLogs', { user: 'Admin' })).status).toBe(200);
  });

  it('gives a UI session a CSRF token that every change must carry', async () => {
    const login = await app.inject({ method: 'POST', url: '/dagbridge/api/v1/login', payload: { username: 'user', password: PASSWORD } });
    expect(login.statusCode).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    expect(String(login.headers['set-cookie'])).toContain('HttpOnly');
    const csrf = (login.json() as { csrf_token: string }).csrf_token;
    expect((await app.inject({ method: 'GET', url: '/api/v1/dags', headers: { cookie } })).statusCode).toBe(200);
    const without = await app.inject({ method: 'PATCH', url: '/api/v1/dags/other_dag', headers: { cookie }, payload: { is_paused: true } });
    expect(without.statusCode).toBe(403);
    expect((without.json() as { detail: string }).detail).toContain('X-CSRF-Token');
    const withToken = await app.inject({ method: 'PATCH', url: '/api/v1/dags/other_dag', headers: { cookie, 'x-csrf-token': csrf }, payload: { is_paused: true } });
    expect(withToken.statusCode).toBe(200);
    await app.inject({ method: 'POST', url: '/dagbridge/api/v1/logout', headers: { cookie, 'x-csrf-token': csrf } });
    expect((await app.inject({ method: 'GET', url: '/api/v1/dags', headers: { cookie } })).statusCode).toBe(401);
    const wrong = await app.inject({ method: 'POST', url: '/dagbridge/api/v1/login', payload: { username: 'user', password: 'not it at all' } });
    expect(wrong.statusCode).toBe(401);
  });

  it('serves its own OpenAPI document listing exactly the implemented routes', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/dags', '/api/v1/dags/{dag_id}/dagRuns', '/dagbridge/api/v1/queues']));
    expect(Object.keys(doc.paths)).toContain('/api/v1/connections');
    expect(Object.keys(doc.paths)).toContain('/api/v1/datasets/queuedEvent/{uri}');
    expect(Object.keys(doc.paths)).not.toContain('/api/v1/plugins');
    for (const path of Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/'))) {
      for (const method of Object.keys(doc.paths[path] as object)) {
        const unprefixed = path.slice('/api/v1'.length);
        expect(() => airflowContractErrors(unprefixed, method.toUpperCase(), 200, {}), `${method} ${path}`).not.toThrow(/has no/);
      }
    }
  });
});
