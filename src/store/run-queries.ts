/**
 * DAG runs. Creation is insert-if-absent (two schedulers race safely); state changes are compare-and-set.
 */
import { assertNewRun } from '../dag/new-run.js';
import { assertDagRunTransition, type DagRunState } from '../dag/states.js';
import { NotFoundError } from '../lib/errors.js';
import type { DagCallbackRequest } from '../dag/dag-callbacks.js';
import type { DagRunHook, DagRunListenerCall } from '../dag/dag-run-listeners.js';
import { LISTENER_CALL_HOLD_MS, type DagCallbackClaim, type DagCallbackRecord, type DagRunListenerClaim, type DagRunListenerRecord, type DagRunRecord, type RunChangeStamp, type RunKey } from '../ports/metadata-store.js';
import { notifyChange, PG_ERROR, pgErrorCode, type Queryable } from './db.js';
import { jsonParam, mapRun, msParam, RUN_COLUMNS, type RunRow } from './rows.js';

/** What `createDagRun` takes: a run without dates, state default `queued`. */
export type NewDagRun = Omit<DagRunRecord, 'startDate' | 'endDate' | 'state'> & { state?: DagRunState };

/**
 * Inserts a run unless one with the same run id, or a non-manual one with the same logical date, exists
 * (`ON CONFLICT DO NOTHING` covers both unique indexes): of two concurrent calls exactly one gets
 * `created: true`. When not created, `run` is the run that was there (same run id first). A created run is
 * announced on METADATA_CHANGES_CHANNEL. A run id outside Airflow's rule is refused with a UsageError before
 * anything is written (the CHECK constraint of migration 0002 is the backstop for other writers).
 */
export async function createDagRun(client: Queryable, run: NewDagRun, now: number): Promise<{ created: boolean; run: DagRunRecord | null }> {
  assertNewRun(run);
  const state = run.state ?? 'queued';
  let inserted;
  try {
    inserted = await client.query<RunRow>(
      `INSERT INTO dag_runs AS r (dag_id, run_id, version_hash, run_type, state, logical_date, data_interval_start,
                                  data_interval_end, run_after, conf, queued_at, start_date, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz, $8::timestamptz, $9::timestamptz, $10::jsonb, $11,
               CASE WHEN $5 = 'running' THEN $12::timestamptz END, $12)
       ON CONFLICT DO NOTHING
       RETURNING ${RUN_COLUMNS}`,
      [
        run.dagId,
        run.runId,
        run.versionHash,
        run.runType,
        state,
        run.logicalDate,
        run.dataIntervalStart,
        run.dataIntervalEnd,
        run.runAfter,
        jsonParam(run.conf ?? {}),
        msParam(run.queuedAt),
        new Date(now),
      ],
    );
  } catch (error) {
    if (pgErrorCode(error) === PG_ERROR.foreignKeyViolation) {
      throw new NotFoundError(`cannot create run ${run.runId}: DAG ${run.dagId} version ${run.versionHash.slice(0, 12)} is not in the metadata database`);
    }
    throw error;
  }
  if (inserted.rows[0]) {
    await notifyChange(client, 'run_created');
    return { created: true, run: mapRun(inserted.rows[0]) };
  }
  const existing = await client.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM dag_runs r
      WHERE r.dag_id = $1 AND (r.run_id = $2 OR ($3::timestamptz IS NOT NULL AND r.logical_date = $3::timestamptz AND r.run_type <> 'manual' AND $4 <> 'manual'))
      ORDER BY (r.run_id = $2) DESC LIMIT 1`,
    [run.dagId, run.runId, run.logicalDate, run.runType],
  );
  return { created: false, run: existing.rows[0] ? mapRun(existing.rows[0]) : null };
}

export async function getDagRun(client: Queryable, key: RunKey): Promise<DagRunRecord | null> {
  const result = await client.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM dag_runs r WHERE r.dag_id = $1 AND r.run_id = $2`, [key.dagId, key.runId]);
  return result.rows[0] ? mapRun(result.rows[0]) : null;
}

/** Runs in `queued` or `running`, oldest `run_after` first (the order the scheduler starts them in). */
export async function listActiveRuns(client: Queryable): Promise<DagRunRecord[]> {
  const result = await client.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM dag_runs r WHERE r.state IN ('queued', 'running') ORDER BY r.run_after, r.queued_at, r.dag_id, r.run_id`,
  );
  return result.rows.map(mapRun);
}

/** Runs newest first (by logical date, else run_after), optionally of one DAG and limited. */
export async function listDagRuns(client: Queryable, filter: { dagId?: string; limit?: number }): Promise<DagRunRecord[]> {
  const result = await client.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM dag_runs r
      WHERE ($1::text IS NULL OR r.dag_id = $1)
      ORDER BY COALESCE(r.logical_date, r.run_after) DESC, r.run_after DESC, r.run_id DESC
      LIMIT $2`,
    [filter.dagId ?? null, filter.limit ?? null],
  );
  return result.rows.map(mapRun);
}

/** The scheduled/backfill run with the latest logical date. */
export async function lastAutomatedRun(client: Queryable, dagId: string): Promise<DagRunRecord | null> {
  const result = await client.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM dag_runs r
      WHERE r.dag_id = $1 AND r.run_type IN ('scheduled', 'backfill') AND r.logical_date IS NOT NULL
      ORDER BY r.logical_date DESC LIMIT 1`,
    [dagId],
  );
  return result.rows[0] ? mapRun(result.rows[0]) : null;
}

/**
 * The run just before `run` in the DAG's order: (logical date, or run_after when there is none), then
 * run_after, then run id. Total, so every run but the first has exactly one previous run.
 */
export async function previousRun(client: Queryable, run: DagRunRecord, state?: DagRunState): Promise<DagRunRecord | null> {
  const result = await client.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM dag_runs r
      WHERE r.dag_id = $1
        AND (COALESCE(r.logical_date, r.run_after), r.run_after, r.run_id)
            < (COALESCE($2::timestamptz, $3::timestamptz), $3::timestamptz, $4::text)
        AND ($5::text IS NULL OR r.state = $5)
      ORDER BY COALESCE(r.logical_date, r.run_after) DESC, r.run_after DESC, r.run_id DESC
      LIMIT 1`,
    [run.dagId, run.logicalDate, run.runAfter, run.runId, state ?? null],
  );
  return result.rows[0] ? mapRun(result.rows[0]) : null;
}

/** See MetadataStore.countTaskInstances. */
export async function countTaskInstances(client: Queryable, query: { dagId: string; logicalDates: readonly string[]; states: readonly string[] | null; taskIds: readonly string[] }): Promise<number> {
  const result = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM task_instances ti JOIN dag_runs r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
      WHERE ti.dag_id = $1 AND r.logical_date = ANY($2::timestamptz[]) AND ($3::text[] IS NULL OR ti.state = ANY($3::text[]))
        AND ti.task_id = ANY($4::text[])`,
    [query.dagId, query.logicalDates, query.states, query.taskIds],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** See MetadataStore.countDagRuns. */
export async function countDagRuns(client: Queryable, query: { dagId: string; logicalDates: readonly string[]; states: readonly string[] }): Promise<number> {
  const result = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM dag_runs WHERE dag_id = $1 AND logical_date = ANY($2::timestamptz[]) AND state = ANY($3::text[])',
    [query.dagId, query.logicalDates, query.states],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * Compare-and-set of a run's state, with Airflow's date rules (DagRun.set_state): entering `queued` sets
 * queued_at and clears start/end; entering `running` sets start_date and clears end_date; a finished state
 * sets end_date. With `callback`, the same statement records the DAG callback as pending, only for the row it
 * moved (MetadataStore.setDagRunState).
 */
export async function setDagRunState(
  client: Queryable, key: RunKey, from: DagRunState, to: DagRunState, now: number,
  callback?: DagCallbackRequest | null, listener?: DagRunListenerCall | null,
): Promise<boolean> {
  assertDagRunTransition(`${key.dagId}/${key.runId}`, from, to);
  const update = `UPDATE dag_runs
        SET state = $4,
            queued_at = CASE WHEN $4 = 'queued' THEN $5 ELSE queued_at END,
            start_date = CASE WHEN $4 = 'queued' THEN NULL WHEN $4 = 'running' THEN $5 ELSE start_date END,
            end_date = CASE WHEN $4 IN ('success', 'failed') THEN $5::timestamptz ELSE NULL END,
            updated_at = $5
      WHERE dag_id = $1 AND run_id = $2 AND state = $3`;
  const params: unknown[] = [key.dagId, key.runId, from, to, new Date(now)];
  if (!callback && !listener) {
    const result = await client.query(update, params);
    return (result.rowCount ?? 0) > 0;
  }
  // Each side effect is written only for the row the compare-and-set moved (zero rows: none is written).
  const effects: string[] = [];
  if (callback) {
    params.push(callback.kind, callback.reason);
    effects.push(`recorded AS (
            INSERT INTO dag_run_callbacks (dag_id, run_id, kind, reason, state, created_at, updated_at)
            SELECT dag_id, run_id, $${params.length - 1}, $${params.length}, 'pending', $5, $5 FROM moved
            ON CONFLICT (dag_id, run_id) DO UPDATE
              SET kind = EXCLUDED.kind, reason = EXCLUDED.reason, state = 'pending', error = NULL, output = '',
                  created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at)`);
  }
  if (listener) {
    params.push(listener.hook, listener.msg);
    effects.push(`notified AS (
            INSERT INTO dag_run_listener_calls (dag_id, run_id, hook, msg, state, created_at, updated_at)
            SELECT dag_id, run_id, $${params.length - 1}, $${params.length}, 'pending', $5, $5 FROM moved)`);
  }
  const result = await client.query<{ n: string }>(
    `WITH moved AS (${update} RETURNING dag_id, run_id), ${effects.join(', ')}
     SELECT count(*) AS n FROM moved`,
    params,
  );
  return Number(result.rows[0]?.n ?? 0) > 0;
}

/** See MetadataStore.claimDagRunListenerCalls. */
export async function claimDagRunListenerCalls(client: Queryable, limit: number, now: number): Promise<DagRunListenerClaim[]> {
  const result = await client.query<{ id: string; dag_id: string; run_id: string; hook: DagRunHook; msg: string }>(
    `UPDATE dag_run_listener_calls c SET state = 'running', updated_at = $2
      WHERE c.id IN (
        SELECT p.id FROM dag_run_listener_calls p
         WHERE p.state = 'pending'
           AND NOT EXISTS (
             SELECT 1 FROM dag_run_listener_calls e
              WHERE e.dag_id = p.dag_id AND e.run_id = p.run_id AND e.id < p.id
                AND (e.state = 'pending' OR (e.state = 'running' AND e.updated_at > $2::timestamptz - make_interval(secs => $3))))
         ORDER BY p.id LIMIT $1 FOR UPDATE SKIP LOCKED)
        AND c.state = 'pending'
      RETURNING c.id, c.dag_id, c.run_id, c.hook, c.msg`,
    [limit, new Date(now), LISTENER_CALL_HOLD_MS / 1000],
  );
  return result.rows
    .map((row) => ({ id: Number(row.id), dagId: row.dag_id, runId: row.run_id, hook: row.hook, msg: row.msg }))
    .sort((a, b) => a.id - b.id);
}

/** See MetadataStore.finishDagRunListenerCall. */
export async function finishDagRunListenerCall(client: Queryable, id: number, outcome: { error: string | null; output: string }, now: number): Promise<void> {
  await client.query(
    `UPDATE dag_run_listener_calls SET state = 'done', error = $2, output = $3, updated_at = $4 WHERE id = $1 AND state = 'running'`,
    [id, outcome.error, outcome.output, new Date(now)],
  );
}

/** See MetadataStore.listDagRunListenerCalls. */
export async function listDagRunListenerCalls(client: Queryable, key: RunKey): Promise<DagRunListenerRecord[]> {
  const result = await client.query<{ id: string; hook: DagRunHook; msg: string; state: DagRunListenerRecord['state']; error: string | null; output: string }>(
    'SELECT id, hook, msg, state, error, output FROM dag_run_listener_calls WHERE dag_id = $1 AND run_id = $2 ORDER BY id',
    [key.dagId, key.runId],
  );
  return result.rows.map((row) => ({ ...row, id: Number(row.id), dagId: key.dagId, runId: key.runId }));
}

/** See MetadataStore.claimDagCallbacks. */
export async function claimDagCallbacks(client: Queryable, limit: number, now: number): Promise<DagCallbackClaim[]> {
  const result = await client.query<{ dag_id: string; run_id: string; kind: 'success' | 'failure'; reason: DagCallbackRequest['reason'] }>(
    `UPDATE dag_run_callbacks c SET state = 'running', updated_at = $2
      WHERE (c.dag_id, c.run_id) IN (
        SELECT dag_id, run_id FROM dag_run_callbacks WHERE state = 'pending' ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        AND c.state = 'pending'
      RETURNING c.dag_id, c.run_id, c.kind, c.reason`,
    [limit, new Date(now)],
  );
  return result.rows.map((row) => ({ dagId: row.dag_id, runId: row.run_id, kind: row.kind, reason: row.reason }));
}

/** See MetadataStore.finishDagCallback. */
export async function finishDagCallback(client: Queryable, key: RunKey, outcome: { error: string | null; output: string }, now: number): Promise<void> {
  await client.query(
    `UPDATE dag_run_callbacks SET state = 'done', error = $3, output = $4, updated_at = $5
      WHERE dag_id = $1 AND run_id = $2 AND state = 'running'`,
    [key.dagId, key.runId, outcome.error, outcome.output, new Date(now)],
  );
}

/** See MetadataStore.getDagCallback. */
export async function getDagCallback(client: Queryable, key: RunKey): Promise<DagCallbackRecord | null> {
  const result = await client.query<{ kind: 'success' | 'failure'; reason: DagCallbackRequest['reason']; state: DagCallbackRecord['state']; error: string | null; output: string }>(
    'SELECT kind, reason, state, error, output FROM dag_run_callbacks WHERE dag_id = $1 AND run_id = $2',
    [key.dagId, key.runId],
  );
  const row = result.rows[0];
  return row ? { dagId: key.dagId, runId: key.runId, ...row } : null;
}

/** Runs with more rows than this in `dag_run_changes` have them folded into one when their stamps are read. */
const FOLD_CHANGES_ABOVE = 32;

/**
 * The change stamp of every queued or running run (migration 0011): the sum of its change rows, which only grows
 * when a change commits, and the newest row's id, which tells a run from an earlier run of the same id. Runs
 * with many rows then have them folded into one (same sum), so the read stays proportional to the active runs.
 */
export async function runChangeStamps(client: Queryable): Promise<RunChangeStamp[]> {
  const result = await client.query<{ dag_id: string; run_id: string; stamp: string; rows: number }>(
    `SELECT c.dag_id, c.run_id, sum(c.changes)::text || ':' || max(c.id)::text AS stamp, count(*)::int AS rows
       FROM dag_runs r JOIN dag_run_changes c ON c.dag_id = r.dag_id AND c.run_id = r.run_id
      WHERE r.state IN ('queued', 'running')
      GROUP BY c.dag_id, c.run_id`,
  );
  const crowded = result.rows.filter((row) => row.rows > FOLD_CHANGES_ABOVE);
  if (crowded.length > 0) {
    await client.query('SELECT compact_dag_run_changes(k.dag_id, k.run_id) FROM unnest($1::text[], $2::text[]) AS k(dag_id, run_id)', [
      crowded.map((row) => row.dag_id),
      crowded.map((row) => row.run_id),
    ]);
  }
  return result.rows.map((row) => ({ dagId: row.dag_id, runId: row.run_id, stamp: row.stamp }));
}
