/**
 * Attempts, the worker side: the exactly-once start of a try, its outcome, handing a try back, and the DAG
 * runs an attempt asks for (TriggerDagRunOperator).
 */
import type { DagSpec, ParamSpec } from '../dag/bundle.js';
import { refuseInvalidRunRequests, type ParamsOf } from '../dag/new-run.js';
import { assertTransition, canTransition } from '../dag/states.js';
import type { AttemptOutcome, DagRunRecord, StartResult, TaskInstanceKey, WorkerIdentity } from '../ports/metadata-store.js';
import type { TriggerRequest } from '../ports/task-run-contract.js';
import { METADATA_CHANGES_CHANNEL, type Queryable } from './db.js';
import { recordOutletEvents } from './dataset-queries.js';
import { createDagRun } from './run-queries.js';
import { jsonParam, mapRun, mapTaskInstance, msToAirflowIso, RUN_COLUMNS, textParam, TI_COLUMNS, type RunRow, type TaskInstanceRow } from './rows.js';
import { getTaskInstance } from './task-instance-queries.js';

const KEY_MATCH = 'dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4';

function keyParams(key: TaskInstanceKey): [string, string, string, number] {
  return [key.dagId, key.runId, key.taskId, key.mapIndex];
}

/**
 * `queued -> running` iff the instance is queued on `tryNumber` (the compare-and-set that makes a duplicated
 * or redelivered message harmless), in one statement that also: records the worker, sets the first-poke
 * time of the try when unset, upserts the try's history row (a try handed back and started again keeps one
 * row, with the latest start), deletes the instance's XComs (as Airflow does before each execution), and
 * reads the run.
 */
export async function startTry(client: Queryable, key: TaskInstanceKey, tryNumber: number, worker: WorkerIdentity, now: number): Promise<StartResult> {
  const result = await client.query<TaskInstanceRow & { run: RunRow }>(
    `WITH started AS (
       UPDATE task_instances
          SET state = 'running', start_date = $6, end_date = NULL, worker_id = $7, hostname = $8, pid = $9, note = NULL,
              sensor_first_poke_at = COALESCE(sensor_first_poke_at, $6), updated_at = $6
        WHERE ${KEY_MATCH} AND state = 'queued' AND try_number = $5
        RETURNING *
     ), history AS (
       INSERT INTO task_instance_tries AS h (dag_id, run_id, task_id, map_index, try_number, worker_id, hostname, pid, start_date, state)
       SELECT dag_id, run_id, task_id, map_index, try_number, worker_id, hostname, pid, start_date, 'running' FROM started
       ON CONFLICT (dag_id, run_id, task_id, map_index, try_number) DO UPDATE
         SET worker_id = EXCLUDED.worker_id, hostname = EXCLUDED.hostname, pid = EXCLUDED.pid, start_date = EXCLUDED.start_date,
             end_date = NULL, duration_seconds = NULL, state = 'running', exit_code = NULL, signal = NULL, exit_reason = NULL, error = NULL
     ), cleared AS (
       DELETE FROM xcoms x USING started s
        WHERE x.dag_id = s.dag_id AND x.run_id = s.run_id AND x.task_id = s.task_id AND x.map_index = s.map_index
     )
     SELECT ${TI_COLUMNS},
            (SELECT to_jsonb(run) FROM (SELECT ${RUN_COLUMNS} FROM dag_runs r WHERE r.dag_id = ti.dag_id AND r.run_id = ti.run_id) run) AS run
       FROM started ti`,
    [...keyParams(key), tryNumber, new Date(now), worker.workerId, worker.hostname, worker.pid],
  );
  const row = result.rows[0];
  if (row) return { started: true, instance: mapTaskInstance(row), run: mapRun(row.run) };
  const current = await getTaskInstance(client, key);
  const reason = current
    ? `task instance is ${current.state} on try ${current.tryNumber}, not queued on try ${tryNumber}`
    : 'task instance does not exist';
  return { started: false, reason };
}

/** Options of `finishTry`. */
export interface FinishOptions {
  /** Data interval of a run created by TriggerDagRunOperator; default: both ends at the logical date. */
  inferManualDataInterval?: (dagId: string, logicalDate: string) => Promise<{ start: string; end: string } | null> | { start: string; end: string } | null;
}

/**
 * Records a finished attempt inside the caller's transaction. The instance must still be `running` (or
 * `restarting`: cleared while it ran) on `outcome.tryNumber`, else nothing is written and the result is false.
 *
 * - running: the instance takes `outcome.state` (end date, retry/reschedule time, note from the error or exit
 *   reason; the first-poke time survives only `up_for_reschedule`, the next try's sensor timeout starts anew); XComs are upserted; `skipTaskIds` instances (at `skipMapIndex` when set) in any state but skipped/removed become `skipped`; requested
 *   DAG runs are created (manual, `manual__<logical date>` unless a run id is given); a request that cannot
 *   be created (run id outside Airflow's rule) fails the try instead (`refuseInvalidRunRequests`); a success
 *   records its dataset events and queues their consumers (`recordOutletEvents`).
 * - restarting: like Airflow (a task cleared while running is always eligible for retry) the instance goes to
 *   `up_for_retry`, retry-able at once, and nothing else of the outcome applies: the try was cleared.
 *
 * The try's history row gets the outcome (and the rendered template fields) either way, and the change is
 * announced on METADATA_CHANGES_CHANNEL (delivered when the caller's transaction commits).
 */
export async function finishTry(client: Queryable, reported: AttemptOutcome, options: FinishOptions = {}): Promise<boolean> {
  const outcome = refuseInvalidRunRequests(reported, await paramsOfTriggeredDags(client, reported.triggerDagRuns));
  const { key, tryNumber } = outcome;
  const subject = `${key.dagId}/${key.runId}/${key.taskId}[${key.mapIndex}]`;
  const legal = canTransition('running', outcome.state);
  const endDate = new Date(outcome.endDate);
  const note = outcome.error ? `${outcome.error.type}: ${outcome.error.message}` : outcome.state === 'success' ? null : outcome.exitReason;
  const xcoms = outcome.xcoms.map((xcom) => ({ key: xcom.key, value: xcom.value === undefined ? null : xcom.value }));
  // One statement: the compare-and-set on the instance (locked first, so that a concurrent change is seen), its
  // new state (a restarting instance: up_for_retry, nothing else of the outcome), the XComs, the try's history
  // row, and the change announcement (delivered at commit). An illegal transition matches no running row.
  const finished = await client.query<{ was: string }>(
    `WITH old AS (
       SELECT state FROM task_instances
        WHERE ${KEY_MATCH} AND try_number = $5 AND (state = 'restarting' OR (state = 'running' AND $6::boolean))
          FOR UPDATE
     ), ti AS (
       UPDATE task_instances t
          SET state = CASE WHEN old.state = 'restarting' THEN 'up_for_retry' ELSE $7::text END,
              end_date = $8, updated_at = $8,
              note = CASE WHEN old.state = 'restarting' THEN 'cleared while running: retrying' ELSE $9::text END,
              next_retry_at = CASE WHEN old.state = 'restarting' THEN $8 WHEN $7::text = 'up_for_retry' THEN $10::timestamptz END,
              max_tries = CASE WHEN old.state = 'restarting' THEN GREATEST(t.max_tries, t.try_number) ELSE t.max_tries END,
              reschedule_at = CASE WHEN old.state = 'restarting' THEN t.reschedule_at WHEN $7::text = 'up_for_reschedule' THEN $11::timestamptz END,
              sensor_first_poke_at = CASE WHEN old.state = 'running' AND $7::text = 'up_for_reschedule' THEN t.sensor_first_poke_at END,
              rendered_map_index = CASE WHEN old.state = 'restarting' THEN t.rendered_map_index ELSE COALESCE($12, t.rendered_map_index) END
         FROM old
        WHERE t.dag_id = $1 AND t.run_id = $2 AND t.task_id = $3 AND t.map_index = $4
        RETURNING old.state AS was, t.state
     ), pushed AS (
       INSERT INTO xcoms (dag_id, run_id, task_id, map_index, key, value, updated_at)
       SELECT $1, $2, $3, $4, x.key, x.value, $8 FROM ti, jsonb_to_recordset($13::jsonb) AS x(key text, value jsonb)
        WHERE ti.was = 'running'
       ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
     ), tried AS (
       UPDATE task_instance_tries h
          SET end_date = $8, state = ti.state, exit_code = $14, signal = $15, exit_reason = $16, error = $17::jsonb,
              rendered_fields = COALESCE($19::jsonb, h.rendered_fields),
              duration_seconds = CASE WHEN h.start_date IS NULL THEN NULL ELSE extract(epoch FROM ($8::timestamptz - h.start_date))::float8 END
         FROM ti
        WHERE h.dag_id = $1 AND h.run_id = $2 AND h.task_id = $3 AND h.map_index = $4 AND h.try_number = $5
     )
     SELECT ti.was, pg_notify($18, 'task_finished') FROM ti`,
    [
      ...keyParams(key),
      tryNumber,
      legal,
      outcome.state,
      endDate,
      textParam(note),
      outcome.nextRetryAt === null ? null : new Date(outcome.nextRetryAt),
      outcome.rescheduleAt === null ? null : new Date(outcome.rescheduleAt),
      textParam(outcome.renderedMapIndex ?? null),
      jsonParam(dedupeXcoms(xcoms)),
      outcome.exitCode,
      outcome.signal,
      textParam(outcome.exitReason),
      outcome.error === null ? null : jsonParam(outcome.error),
      METADATA_CHANGES_CHANNEL,
      outcome.renderedFields && Object.keys(outcome.renderedFields).length > 0 ? jsonParam(outcome.renderedFields) : null,
    ],
  );
  const was = finished.rows[0]?.was;
  if (was === undefined) {
    if (!legal) {
      // Nothing matched: when that is because the outcome is not a state a running try may take, say so.
      const current = await getTaskInstance(client, key);
      if (current && current.state === 'running' && current.tryNumber === tryNumber) assertTransition(subject, 'running', outcome.state);
    }
    return false;
  }
  if (was === 'restarting') return true;
  if (outcome.skipTaskIds.length > 0) {
    await client.query(
      `UPDATE task_instances
          SET state = 'skipped', start_date = COALESCE(start_date, $4), end_date = $4, note = $5, updated_at = $4
        WHERE dag_id = $1 AND run_id = $2 AND task_id = ANY($3::text[]) AND state NOT IN ('skipped', 'removed')
          AND ($6::integer IS NULL OR map_index = $6)`,
      [key.dagId, key.runId, outcome.skipTaskIds, endDate, `skipped by ${key.taskId}`, outcome.skipMapIndex ?? null],
    );
  }
  for (const request of outcome.triggerDagRuns) await triggerDagRun(client, request, outcome.endDate, options);
  if (outcome.state === 'success') await recordOutletEvents(client, key, outcome.outletEvents ?? [], outcome.endDate);
  return true;
}

/**
 * Whether `finishTry` of this outcome writes in one statement (no skips, DAG runs to trigger or dataset events),
 * so that on its own it needs no transaction around it.
 */
export function finishTryIsOneStatement(outcome: AttemptOutcome): boolean {
  return outcome.skipTaskIds.length === 0 && outcome.triggerDagRuns.length === 0 && (outcome.state !== 'success' || (outcome.outletEvents ?? []).length === 0);
}

/** The params of the current version of each DAG a TriggerDagRunOperator asks a run of (none asked: no query). */
async function paramsOfTriggeredDags(client: Queryable, requests: readonly TriggerRequest[]): Promise<ParamsOf> {
  if (requests.length === 0) return () => undefined;
  const rows = await client.query<{ dag_id: string; params: Record<string, ParamSpec> | null }>(
    `SELECT d.dag_id, v.spec->'params' AS params
       FROM dags d JOIN dag_versions v ON v.dag_id = d.dag_id AND v.version_hash = d.version_hash
      WHERE d.dag_id = ANY($1::text[])`,
    [[...new Set(requests.map((request) => request.dagId))]],
  );
  const byDag = new Map(rows.rows.map((row) => [row.dag_id, row.params ?? {}]));
  return (dagId) => byDag.get(dagId);
}

function dedupeXcoms<T extends { key: string }>(xcoms: readonly T[]): T[] {
  // One row per key: a key pushed twice in one attempt keeps its last value, as successive xcom_push calls would.
  return [...new Map(xcoms.map((xcom) => [xcom.key, xcom])).values()];
}

/**
 * Creates the run a TriggerDagRunOperator asked for (insert-if-absent). With `resetDagRun` an existing run of
 * that id is cleared instead. A request for a DAG the database does not know creates nothing.
 */
export async function triggerDagRun(client: Queryable, request: TriggerRequest, now: number, options: FinishOptions = {}): Promise<{ created: boolean; run: DagRunRecord | null }> {
  const dag = await client.query<{ version_hash: string }>('SELECT version_hash FROM dags WHERE dag_id = $1', [request.dagId]);
  const versionHash = dag.rows[0]?.version_hash;
  if (!versionHash) return { created: false, run: null };
  const logicalDate = request.logicalDate ?? msToAirflowIso(now);
  const runId = request.runId ?? `manual__${logicalDate}`;
  const interval = (await options.inferManualDataInterval?.(request.dagId, logicalDate)) ?? { start: logicalDate, end: logicalDate };
  const { created, run } = await createDagRun(
    client,
    {
      dagId: request.dagId,
      runId,
      versionHash,
      runType: 'manual',
      logicalDate,
      dataIntervalStart: interval.start,
      dataIntervalEnd: interval.end,
      runAfter: logicalDate,
      conf: request.conf,
      queuedAt: now,
    },
    now,
  );
  if (!created && request.resetDagRun && run && run.runId === runId) {
    await clearDagRun(client, { dagId: run.dagId, runId: run.runId }, now);
  }
  return { created, run };
}

/** See MetadataStore.triggerDagRunForTry; inside the caller's transaction. */
export async function triggerDagRunForTry(
  client: Queryable,
  key: TaskInstanceKey,
  tryNumber: number,
  request: TriggerRequest,
  now: number,
  options: FinishOptions = {},
): Promise<{ created: boolean; run: DagRunRecord | null } | null> {
  // FOR SHARE: a finishTry or clear of this instance waits until the run exists (or the check failed).
  const owned = await client.query(`SELECT 1 FROM task_instances WHERE ${KEY_MATCH} AND state = 'running' AND try_number = $5 FOR SHARE`, [...keyParams(key), tryNumber]);
  if (owned.rowCount === 0) return null;
  return triggerDagRun(client, request, now, options);
}

/**
 * The SET clause of a clear (Airflow's clear_task_instances), for `task_instances ti` with `$3` = now and
 * `retries` an SQL expression giving the task's retries (NULL when unknown). Running instances become
 * `restarting` (the try's outcome is then turned into a retry by finishTry); the others `none`, their dates
 * reset and `max_tries = try_number + retries`, so the task gets its retries again.
 */
function clearSet(retries: string): string {
  return `state = CASE WHEN ti.state = 'running' THEN 'restarting' ELSE 'none' END,
            max_tries = CASE WHEN ti.state = 'running' THEN ti.max_tries
                             ELSE COALESCE(ti.try_number + (${retries}), GREATEST(ti.max_tries, ti.try_number)) END,
            queued_at = CASE WHEN ti.state = 'running' THEN ti.queued_at END,
            start_date = CASE WHEN ti.state = 'running' THEN ti.start_date END,
            end_date = CASE WHEN ti.state = 'running' THEN ti.end_date END,
            next_retry_at = NULL, reschedule_at = NULL,
            sensor_first_poke_at = CASE WHEN ti.state = 'running' THEN ti.sensor_first_poke_at END,
            note = $4, updated_at = $3`;
}

function clearNote(now: number): string {
  return `cleared at ${new Date(now).toISOString()}`;
}

/**
 * Clears the given task instances of a run (`none` instances are left alone and not counted); retries come
 * from `spec`. Returns how many instances changed.
 */
export async function clearTaskInstances(
  client: Queryable,
  run: { dagId: string; runId: string },
  spec: DagSpec,
  targets: ReadonlyArray<{ taskId: string; mapIndex: number }>,
  now: number,
): Promise<number> {
  if (targets.length === 0) return 0;
  const retries = new Map(spec.tasks.map((task) => [task.taskId, task.retries]));
  const result = await client.query(
    `UPDATE task_instances ti
        SET ${clearSet('c.retries')}
       FROM unnest($5::text[], $6::int[], $7::int[]) AS c(task_id, map_index, retries)
      WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = c.task_id AND ti.map_index = c.map_index AND ti.state <> 'none'`,
    [
      run.dagId,
      run.runId,
      new Date(now),
      clearNote(now),
      targets.map((target) => target.taskId),
      targets.map((target) => target.mapIndex),
      targets.map((target) => retries.get(target.taskId) ?? null),
    ],
  );
  return result.rowCount ?? 0;
}

/**
 * Clears a whole run (TriggerDagRunOperator's reset_dag_run: every task instance cleared, the run back to
 * `queued`), with each task's retries read from the run's DAG version.
 */
export async function clearDagRun(client: Queryable, key: { dagId: string; runId: string }, now: number): Promise<number> {
  const nowDate = new Date(now);
  const retries = `SELECT (t.task->>'retries')::int
                     FROM dag_runs r
                     JOIN dag_versions v ON v.dag_id = r.dag_id AND v.version_hash = r.version_hash
                     CROSS JOIN LATERAL jsonb_array_elements(v.spec->'tasks') AS t(task)
                    WHERE r.dag_id = ti.dag_id AND r.run_id = ti.run_id AND t.task->>'taskId' = ti.task_id
                    LIMIT 1`;
  const result = await client.query(
    `UPDATE task_instances ti SET ${clearSet(retries)}
      WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.state <> 'none'`,
    [key.dagId, key.runId, nowDate, clearNote(now)],
  );
  await client.query(
    `UPDATE dag_runs SET state = 'queued', queued_at = $3, start_date = NULL, end_date = NULL, updated_at = $3
      WHERE dag_id = $1 AND run_id = $2`,
    [key.dagId, key.runId, nowDate],
  );
  return result.rowCount ?? 0;
}

/**
 * Hands a try back (worker stopping, lease expired): `queued|running -> scheduled` iff the instance is in
 * `from` on `tryNumber`, as a new try (`try_number + 1`) with `max_tries + 1`, so the handed-back attempt does
 * not count against the task's retries and every message of the old try is stale. The old try's history row
 * is closed as `handed_back` with the note as its exit reason.
 */
export async function requeueTry(
  client: Queryable,
  key: TaskInstanceKey,
  tryNumber: number,
  from: 'queued' | 'running',
  note: string,
  now: number,
): Promise<boolean> {
  const result = await client.query<{ moved: number }>(
    `WITH moved AS (
       UPDATE task_instances
          SET state = 'scheduled', try_number = try_number + 1, max_tries = max_tries + 1, note = $7, queued_at = NULL,
              end_date = NULL, worker_id = NULL, hostname = NULL, pid = NULL, sensor_first_poke_at = NULL, updated_at = $8
        WHERE ${KEY_MATCH} AND state = $6 AND try_number = $5
        RETURNING dag_id, run_id, task_id, map_index
     ), history AS (
       UPDATE task_instance_tries h
          SET end_date = $8, state = 'handed_back', exit_reason = $7,
              duration_seconds = CASE WHEN h.start_date IS NULL THEN NULL ELSE extract(epoch FROM ($8::timestamptz - h.start_date))::float8 END
         FROM moved m
        WHERE h.dag_id = m.dag_id AND h.run_id = m.run_id AND h.task_id = m.task_id AND h.map_index = m.map_index
          AND h.try_number = $5 AND h.end_date IS NULL
     )
     SELECT count(*)::int AS moved FROM moved`,
    [...keyParams(key), tryNumber, from, textParam(note), new Date(now)],
  );
  return (result.rows[0]?.moved ?? 0) > 0;
}

/** How many tries of a task instance were handed back, over its whole history. */
export async function countHandBacks(client: Queryable, key: TaskInstanceKey): Promise<number> {
  const result = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM task_instance_tries WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND state = 'handed_back'`,
    [key.dagId, key.runId, key.taskId, key.mapIndex],
  );
  return result.rows[0]?.n ?? 0;
}
