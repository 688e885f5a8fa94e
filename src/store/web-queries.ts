/**
 * Read queries the webserver needs beyond the MetadataStore (pages with totals, filters and orderings, tries,
 * pool occupancy, DAG statistics) and its own tables: users, UI sessions and the audit log (migration 0003).
 * Writes to the Airflow model (pause, trigger, clear, run state) go through the MetadataStore, never here.
 *
 * Every filter is a parameter; `ORDER BY` columns come only from the allow-lists below (`*_ORDER`), never from
 * the request text itself.
 */
import type { DagSpec } from '../dag/bundle.js';
import type { DagRecord, DagRunRecord, TaskInstanceKey, TaskInstanceRecord } from '../ports/metadata-store.js';
import type { Queryable } from './db.js';
import { isoSql, jsonParam, mapRun, mapTaskInstance, RUN_COLUMNS, TI_COLUMNS, toMs, toMsOrNull, type RunRow, type TaskInstanceRow } from './rows.js';

/** A page request: `orderBy` is a key of the listing's order allow-list, `-` in front for descending. */
export interface PageRequest {
  limit: number;
  offset: number;
  orderBy?: string;
}

/** One page and the count of every row that matched before paging (Airflow's `total_entries`). */
export interface Page<T> {
  items: T[];
  total: number;
}

/** Thrown for an `order_by` the listing does not allow; the message names the allowed keys. */
export class OrderByError extends Error {
  constructor(readonly field: string, readonly allowed: readonly string[]) {
    super(`order_by "${field}" is not allowed; use one of ${allowed.join(', ')} (prefix - for descending)`);
  }
}

/** The ORDER BY of `requested` (a key of `order`, `-` in front for descending), or of `fallback` without one. */
export function orderClause(order: Readonly<Record<string, string>>, requested: string | undefined, fallback: string): string {
  if (!requested) return order[fallback] as string;
  const descending = requested.startsWith('-');
  const key = descending ? requested.slice(1) : requested;
  const column = order[key];
  if (!column) throw new OrderByError(requested, Object.keys(order));
  return `${column} ${descending ? 'DESC' : 'ASC'}`;
}

/**
 * The WHERE clause of a listing, its conditions joined with AND: each `?` in a condition becomes the next `$n`
 * placeholder, and the values travel as parameters, never in the SQL text.
 */
export class Where {
  readonly values: unknown[] = [];
  readonly #conditions: string[] = [];

  /** Adds `condition`; each `?` in it takes the next of `values`. */
  add(condition: string, ...values: unknown[]): this {
    let next = 0;
    this.#conditions.push(condition.replace(/\?(?![|&])/g, () => {
      this.values.push(values[next]);
      next += 1;
      return `$${this.values.length}`;
    }));
    return this;
  }

  /** `WHERE ...`, or '' when there is no condition. */
  get sql(): string {
    return this.#conditions.length > 0 ? `WHERE ${this.#conditions.join(' AND ')}` : '';
  }

  /** The placeholders of LIMIT and OFFSET, after the conditions' values. */
  page(request: PageRequest): { sql: string; values: unknown[] } {
    const n = this.values.length;
    return { sql: `LIMIT $${n + 1} OFFSET $${n + 2}`, values: [...this.values, request.limit, request.offset] };
  }
}

// ---- DAGs ----

/** `order_by` keys of the DAG listing (Airflow's field names). */
export const DAG_ORDER: Readonly<Record<string, string>> = {
  dag_id: 'd.dag_id',
  is_paused: 'd.is_paused',
  is_active: 'd.is_active',
  last_parsed_time: 'd.last_parsed_at',
  fileloc: 'd.file',
};

/** A DAG with the file it came from. */
export type DagRow = DagRecord & { file: string };

export interface DagFilter extends PageRequest {
  tags?: string[];
  /** Substring of the DAG id (Airflow: `dag_id ILIKE %pattern%`). */
  dagIdPattern?: string;
  onlyActive?: boolean;
  paused?: boolean;
}

export async function listDagsPage(client: Queryable, filter: DagFilter): Promise<Page<DagRow>> {
  const where = new Where();
  if (filter.onlyActive ?? true) where.add('d.is_active');
  if (filter.paused !== undefined) where.add('d.is_paused = ?', filter.paused);
  if (filter.dagIdPattern) where.add("d.dag_id ILIKE '%' || ? || '%'", filter.dagIdPattern.replace(/[\\%_]/g, (c) => `\\${c}`));
  if (filter.tags && filter.tags.length > 0) where.add("(v.spec -> 'tags') ?| ?::text[]", filter.tags);
  const order = orderClause(DAG_ORDER, filter.orderBy, 'dag_id');
  const from = 'FROM dags d JOIN dag_versions v ON v.dag_id = d.dag_id AND v.version_hash = d.version_hash';
  const total = await client.query<{ n: string }>(`SELECT count(*) AS n ${from} ${where.sql}`, where.values);
  const page = where.page(filter);
  const rows = await client.query<{ dag_id: string; version_hash: string; spec: DagSpec; is_paused: boolean; is_active: boolean; last_parsed_at: Date; file: string }>(
    `SELECT d.dag_id, d.version_hash, v.spec, d.is_paused, d.is_active, d.last_parsed_at, d.file ${from} ${where.sql}
      ORDER BY ${order}, d.dag_id ${page.sql}`,
    page.values,
  );
  return {
    total: Number(total.rows[0]?.n ?? 0),
    items: rows.rows.map((row) => ({
      dagId: row.dag_id, versionHash: row.version_hash, spec: row.spec, isPaused: row.is_paused, isActive: row.is_active,
      lastParsedAt: toMs(row.last_parsed_at), file: row.file,
    })),
  };
}

/** The ids of the first `limit` active DAGs by id (the DAG list's default page), without their specs. */
export async function activeDagIds(client: Queryable, limit: number): Promise<string[]> {
  const rows = await client.query<{ dag_id: string }>('SELECT dag_id FROM dags WHERE is_active ORDER BY dag_id LIMIT $1', [limit]);
  return rows.rows.map((row) => row.dag_id);
}

/** The file a DAG was parsed from (null when the DAG is unknown). */
export async function dagFile(client: Queryable, dagId: string): Promise<string | null> {
  const result = await client.query<{ file: string }>('SELECT file FROM dags WHERE dag_id = $1', [dagId]);
  return result.rows[0]?.file ?? null;
}

// ---- DAG runs ----

/** `order_by` keys of the DAG run listing. */
export const RUN_ORDER: Readonly<Record<string, string>> = {
  id: 'r.queued_at',
  dag_run_id: 'r.run_id',
  dag_id: 'r.dag_id',
  state: 'r.state',
  logical_date: 'COALESCE(r.logical_date, r.run_after)',
  execution_date: 'COALESCE(r.logical_date, r.run_after)',
  start_date: 'r.start_date',
  end_date: 'r.end_date',
  run_type: 'r.run_type',
};

export interface RunFilter extends PageRequest {
  /** Absent: every DAG (`~`). */
  dagId?: string;
  states?: string[];
  /** Only the run of this logical date (ISO 8601). */
  logicalDate?: string;
}

export async function listRunsPage(client: Queryable, filter: RunFilter): Promise<Page<DagRunRecord>> {
  const where = new Where();
  if (filter.dagId !== undefined) where.add('r.dag_id = ?', filter.dagId);
  if (filter.states && filter.states.length > 0) where.add('r.state = ANY(?::text[])', filter.states);
  if (filter.logicalDate !== undefined) where.add('r.logical_date = ?::timestamptz', filter.logicalDate);
  const order = orderClause(RUN_ORDER, filter.orderBy, 'id');
  const total = await client.query<{ n: string }>(`SELECT count(*) AS n FROM dag_runs r ${where.sql}`, where.values);
  const page = where.page(filter);
  // The page is cut before its columns are formatted (isoSql), so only the page's rows pay for it, not every match.
  const rows = await client.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM (SELECT * FROM dag_runs r ${where.sql} ORDER BY ${order}, r.dag_id, r.run_id ${page.sql}) r
      ORDER BY ${order}, r.dag_id, r.run_id`,
    page.values,
  );
  return { total: Number(total.rows[0]?.n ?? 0), items: rows.rows.map(mapRun) };
}

/** The run id and state of the latest `perDag` runs of each DAG (newest first), for the DAG list's "last runs". */
export async function latestRunsByDag(client: Queryable, dagIds: readonly string[], perDag: number): Promise<Map<string, Array<{ runId: string; state: string }>>> {
  const out = new Map<string, Array<{ runId: string; state: string }>>();
  if (dagIds.length === 0) return out;
  const rows = await client.query<{ dag_id: string; run_id: string; state: string }>(
    `SELECT ids.dag_id, r.run_id, r.state FROM unnest($1::text[]) AS ids(dag_id)
       CROSS JOIN LATERAL (SELECT x.run_id, x.state FROM dag_runs x WHERE x.dag_id = ids.dag_id
                            ORDER BY COALESCE(x.logical_date, x.run_after) DESC, x.run_after DESC, x.run_id DESC LIMIT $2) r`,
    [dagIds, perDag],
  );
  for (const row of rows.rows) out.set(row.dag_id, [...(out.get(row.dag_id) ?? []), { runId: row.run_id, state: row.state }]);
  return out;
}

/** Run counts per DAG and state (Airflow's dagStats). */
export async function dagRunStats(client: Queryable, dagIds: readonly string[]): Promise<Array<{ dagId: string; state: string; count: number }>> {
  const rows = await client.query<{ dag_id: string; state: string; n: string }>(
    'SELECT dag_id, state, count(*) AS n FROM dag_runs WHERE dag_id = ANY($1::text[]) GROUP BY dag_id, state',
    [dagIds],
  );
  return rows.rows.map((row) => ({ dagId: row.dag_id, state: row.state, count: Number(row.n) }));
}

// ---- Task instances ----

/** A task instance with its run's logical date (Airflow's `execution_date`). */
export type ListedTaskInstance = TaskInstanceRecord & { logicalDate: string | null };

/** `order_by` keys of the task instance listing. */
export const TI_ORDER: Readonly<Record<string, string>> = {
  task_id: 'ti.task_id',
  map_index: 'ti.map_index',
  state: 'ti.state',
  start_date: 'ti.start_date',
  end_date: 'ti.end_date',
  priority_weight: 'ti.priority_weight',
  try_number: 'ti.try_number',
};

export interface TaskInstanceFilter extends PageRequest {
  dagId?: string;
  runId?: string;
  taskId?: string;
  /** Only expanded instances of mapped tasks (map index >= 0). */
  mappedOnly?: boolean;
  states?: string[];
  pools?: string[];
  queues?: string[];
}

export async function listTaskInstancesPage(client: Queryable, filter: TaskInstanceFilter): Promise<Page<ListedTaskInstance>> {
  const where = new Where();
  if (filter.dagId !== undefined) where.add('ti.dag_id = ?', filter.dagId);
  if (filter.runId !== undefined) where.add('ti.run_id = ?', filter.runId);
  if (filter.taskId !== undefined) where.add('ti.task_id = ?', filter.taskId);
  if (filter.mappedOnly) where.add('ti.map_index >= 0');
  // Airflow's `none` is a stored state name in dagbridge.
  if (filter.states && filter.states.length > 0) where.add('ti.state = ANY(?::text[])', filter.states);
  if (filter.pools && filter.pools.length > 0) where.add('ti.pool = ANY(?::text[])', filter.pools);
  if (filter.queues && filter.queues.length > 0) where.add('ti.queue = ANY(?::text[])', filter.queues);
  const order = orderClause(TI_ORDER, filter.orderBy, 'task_id');
  // Every condition is on the instance and every instance has its run (a foreign key), so the count and the page
  // read task_instances alone; only the page's rows are joined to their run for the logical date.
  const total = await client.query<{ n: string }>(`SELECT count(*) AS n FROM task_instances ti ${where.sql}`, where.values);
  const page = where.page(filter);
  const key = `${order}, ti.dag_id, ti.run_id, ti.task_id, ti.map_index`;
  const rows = await client.query<TaskInstanceRow & { logical_date: string | null }>(
    `SELECT ${TI_COLUMNS}, ${isoSql('COALESCE(r.logical_date, r.run_after)')} AS logical_date
       FROM (SELECT * FROM task_instances ti ${where.sql} ORDER BY ${key} ${page.sql}) ti
       JOIN dag_runs r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
      ORDER BY ${key}`,
    page.values,
  );
  return { total: Number(total.rows[0]?.n ?? 0), items: rows.rows.map((row) => ({ ...mapTaskInstance(row), logicalDate: row.logical_date })) };
}

/** One try of a task instance (`task_instance_tries`). */
export interface TryRow {
  tryNumber: number;
  state: string;
  workerId: string | null;
  hostname: string | null;
  pid: number | null;
  startDate: number | null;
  endDate: number | null;
  durationSeconds: number | null;
  exitReason: string | null;
  logLines: number;
  /** The template fields as this try rendered them; null: it reported none. */
  renderedFields: Record<string, unknown> | null;
}

export async function listTries(client: Queryable, key: TaskInstanceKey): Promise<TryRow[]> {
  const rows = await client.query<{ try_number: number; state: string; worker_id: string | null; hostname: string | null; pid: number | null; start_date: Date | null; end_date: Date | null; duration_seconds: number | null; exit_reason: string | null; log_lines: string; rendered_fields: Record<string, unknown> | null }>(
    `SELECT try_number, state, worker_id, hostname, pid, start_date, end_date, duration_seconds, exit_reason, log_lines, rendered_fields
       FROM task_instance_tries WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 ORDER BY try_number`,
    [key.dagId, key.runId, key.taskId, key.mapIndex],
  );
  return rows.rows.map((row) => ({
    tryNumber: row.try_number, state: row.state, workerId: row.worker_id, hostname: row.hostname, pid: row.pid,
    startDate: toMsOrNull(row.start_date), endDate: toMsOrNull(row.end_date), durationSeconds: row.duration_seconds,
    exitReason: row.exit_reason, logLines: Number(row.log_lines), renderedFields: row.rendered_fields,
  }));
}

/**
 * The rendered template fields of the latest try that reported them, with that try's number (Airflow keeps one
 * `rendered_task_instance_fields` row per instance, replaced by each try that renders); null: none yet.
 */
export async function latestRenderedFields(client: Queryable, key: TaskInstanceKey): Promise<{ tryNumber: number; fields: Record<string, unknown> } | null> {
  const rows = await client.query<{ try_number: number; rendered_fields: Record<string, unknown> }>(
    `SELECT try_number, rendered_fields FROM task_instance_tries
      WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND rendered_fields IS NOT NULL
      ORDER BY try_number DESC LIMIT 1`,
    [key.dagId, key.runId, key.taskId, key.mapIndex],
  );
  const row = rows.rows[0];
  return row ? { tryNumber: row.try_number, fields: row.rendered_fields } : null;
}

/** XComs of one task instance, by key. */
export async function listTaskXcoms(client: Queryable, key: TaskInstanceKey): Promise<Array<{ key: string; value: unknown; updatedAt: number }>> {
  const rows = await client.query<{ key: string; value: unknown; updated_at: Date }>(
    'SELECT key, value, updated_at FROM xcoms WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 ORDER BY key',
    [key.dagId, key.runId, key.taskId, key.mapIndex],
  );
  return rows.rows.map((row) => ({ key: row.key, value: row.value, updatedAt: toMs(row.updated_at) }));
}

// ---- Pools, variables, import errors ----

/** A pool with the slots its task instances hold, by state. */
export interface PoolUsage {
  name: string;
  slots: number;
  description: string;
  running: number;
  queued: number;
  scheduled: number;
}

export async function listPoolUsage(client: Queryable): Promise<PoolUsage[]> {
  const rows = await client.query<{ name: string; slots: number; description: string; running: string; queued: string; scheduled: string }>(
    `SELECT p.name, p.slots, p.description,
            COALESCE(sum(ti.pool_slots) FILTER (WHERE ti.state = 'running'), 0) AS running,
            COALESCE(sum(ti.pool_slots) FILTER (WHERE ti.state = 'queued'), 0) AS queued,
            COALESCE(sum(ti.pool_slots) FILTER (WHERE ti.state = 'scheduled'), 0) AS scheduled
       FROM pools p LEFT JOIN task_instances ti ON ti.pool = p.name AND ti.state IN ('running', 'queued', 'scheduled')
      GROUP BY p.name, p.slots, p.description ORDER BY p.name`,
  );
  return rows.rows.map((row) => ({ name: row.name, slots: row.slots, description: row.description, running: Number(row.running), queued: Number(row.queued), scheduled: Number(row.scheduled) }));
}

export async function listVariableRows(client: Queryable): Promise<Array<{ key: string; value: string; description: string | null }>> {
  const rows = await client.query<{ key: string; value: string; description: string | null }>('SELECT key, value, description FROM variables ORDER BY key');
  return rows.rows;
}

/** Import errors in file order; the id is the position (1-based) in that order. */
export async function listImportErrorRows(client: Queryable): Promise<Array<{ id: number; file: string; type: string; message: string; traceback: string; updatedAt: number }>> {
  const rows = await client.query<{ file: string; type: string; message: string; traceback: string; updated_at: Date }>(
    'SELECT file, type, message, traceback, updated_at FROM import_errors ORDER BY file',
  );
  return rows.rows.map((row, index) => ({ id: index + 1, file: row.file, type: row.type, message: row.message, traceback: row.traceback, updatedAt: toMs(row.updated_at) }));
}

// ---- Users and sessions ----

/** Airflow's four roles, weakest first. */
export const ROLES = ['Viewer', 'User', 'Op', 'Admin'] as const;
export type Role = (typeof ROLES)[number];

export interface UserRow {
  username: string;
  role: Role;
  passwordHash: string;
  createdAt: number;
}

export async function insertUser(client: Queryable, username: string, role: Role, passwordHash: string): Promise<boolean> {
  const result = await client.query('INSERT INTO web_users (username, role, password_hash) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING', [username, role, passwordHash]);
  return (result.rowCount ?? 0) > 0;
}

export async function getUser(client: Queryable, username: string): Promise<UserRow | null> {
  const rows = await client.query<{ username: string; role: Role; password_hash: string; created_at: Date }>('SELECT username, role, password_hash, created_at FROM web_users WHERE username = $1', [username]);
  const row = rows.rows[0];
  return row ? { username: row.username, role: row.role, passwordHash: row.password_hash, createdAt: toMs(row.created_at) } : null;
}

export async function listUsers(client: Queryable): Promise<Array<Omit<UserRow, 'passwordHash'>>> {
  const rows = await client.query<{ username: string; role: Role; created_at: Date }>('SELECT username, role, created_at FROM web_users ORDER BY username');
  return rows.rows.map((row) => ({ username: row.username, role: row.role, createdAt: toMs(row.created_at) }));
}

export async function countUsers(client: Queryable): Promise<number> {
  const rows = await client.query<{ n: string }>('SELECT count(*) AS n FROM web_users');
  return Number(rows.rows[0]?.n ?? 0);
}

export async function deleteUser(client: Queryable, username: string): Promise<boolean> {
  const result = await client.query('DELETE FROM web_users WHERE username = $1', [username]);
  return (result.rowCount ?? 0) > 0;
}

/** Replaces a user's password hash and ends their sessions. */
export async function setPasswordHash(client: Queryable, username: string, passwordHash: string): Promise<boolean> {
  const result = await client.query(
    `WITH u AS (UPDATE web_users SET password_hash = $2, updated_at = now() WHERE username = $1 RETURNING username)
     , s AS (DELETE FROM web_sessions WHERE username IN (SELECT username FROM u))
     SELECT username FROM u`,
    [username, passwordHash],
  );
  return (result.rowCount ?? 0) > 0;
}

export async function insertSession(client: Queryable, tokenHash: string, username: string, csrfToken: string, expiresAt: number): Promise<void> {
  await client.query('INSERT INTO web_sessions (token_hash, username, csrf_token, expires_at) VALUES ($1, $2, $3, $4)', [tokenHash, username, csrfToken, new Date(expiresAt)]);
}

/** The live session of a token hash with its user's current role, or null (unknown or expired). */
export async function getSession(client: Queryable, tokenHash: string, now: number): Promise<{ username: string; role: Role; csrfToken: string } | null> {
  const rows = await client.query<{ username: string; role: Role; csrf_token: string }>(
    `SELECT s.username, u.role, s.csrf_token FROM web_sessions s JOIN web_users u ON u.username = s.username
      WHERE s.token_hash = $1 AND s.expires_at > $2`,
    [tokenHash, new Date(now)],
  );
  const row = rows.rows[0];
  return row ? { username: row.username, role: row.role, csrfToken: row.csrf_token } : null;
}

/** Deletes a session, and every expired one while at it. */
export async function deleteSession(client: Queryable, tokenHash: string, now: number): Promise<void> {
  await client.query('DELETE FROM web_sessions WHERE token_hash = $1 OR expires_at <= $2', [tokenHash, new Date(now)]);
}

// ---- Audit log ----

export interface AuditEntry {
  username: string | null;
  event: string;
  dagId?: string | null;
  runId?: string | null;
  taskId?: string | null;
  mapIndex?: number | null;
  tryNumber?: number | null;
  extra?: Record<string, unknown> | null;
}

export interface AuditRow extends Required<AuditEntry> {
  id: number;
  at: number;
}

export async function insertAudit(client: Queryable, entry: AuditEntry): Promise<void> {
  await client.query(
    'INSERT INTO audit_log (username, event, dag_id, run_id, task_id, map_index, try_number, extra) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)',
    [entry.username, entry.event, entry.dagId ?? null, entry.runId ?? null, entry.taskId ?? null, entry.mapIndex ?? null, entry.tryNumber ?? null, entry.extra ? jsonParam(entry.extra) : null],
  );
}

/** `order_by` keys of the audit log (Airflow's event log field names). */
export const AUDIT_ORDER: Readonly<Record<string, string>> = { event_log_id: 'a.id', when: 'a.at', event: 'a.event', dag_id: 'a.dag_id', owner: 'a.username' };

export interface AuditFilter extends PageRequest {
  dagId?: string;
  event?: string;
  username?: string;
}

export async function listAuditPage(client: Queryable, filter: AuditFilter): Promise<Page<AuditRow>> {
  const where = new Where();
  for (const [column, value] of [['a.dag_id', filter.dagId], ['a.event', filter.event], ['a.username', filter.username]] as const) {
    if (value !== undefined) where.add(`${column} = ?`, value);
  }
  const order = orderClause(AUDIT_ORDER, filter.orderBy, 'event_log_id');
  const total = await client.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log a ${where.sql}`, where.values);
  const page = where.page(filter);
  const rows = await client.query<{ id: string; at: Date; username: string | null; event: string; dag_id: string | null; run_id: string | null; task_id: string | null; map_index: number | null; try_number: number | null; extra: Record<string, unknown> | null }>(
    `SELECT a.* FROM audit_log a ${where.sql} ORDER BY ${order}, a.id ${page.sql}`,
    page.values,
  );
  return {
    total: Number(total.rows[0]?.n ?? 0),
    items: rows.rows.map((row) => ({
      id: Number(row.id), at: toMs(row.at), username: row.username, event: row.event, dagId: row.dag_id, runId: row.run_id,
      taskId: row.task_id, mapIndex: row.map_index, tryNumber: row.try_number, extra: row.extra,
    })),
  };
}

/** One run of the UI's grid, oldest first. */
export interface GridRun {
  runId: string;
  state: string;
  runType: string;
  logicalDate: string | null;
}

/** One task's row of the UI's grid: for each run it has instances in, the run's position and the cell. */
export interface GridTaskRow {
  taskId: string;
  /** Positions in the runs list (oldest first, 0-based), ascending. */
  positions: number[];
  /** Per position, the 1-based rank in `attention` of the state most in need of attention among its instances. */
  ranks: number[];
  /** Per position, how many instances (more than one only for a mapped task). */
  counts: number[];
}

/**
 * A DAG's latest `limit` runs (oldest first) and, per task, the cell of each run: the task's instances counted,
 * and the state that comes first in `attention` (a mapped task's instances in one cell; states not in the list
 * rank last). One row per task, aggregated in PostgreSQL, so a 1,000-task DAG with 50 runs is 1,000 rows.
 */
export async function gridRows(client: Queryable, dagId: string, limit: number, attention: readonly string[]): Promise<{ runs: GridRun[]; tasks: GridTaskRow[] }> {
  const runs = await client.query<{ run_id: string; state: string; run_type: string; logical_date: string | null }>(
    `SELECT run_id, state, run_type, ${isoSql('logical_date')} AS logical_date FROM (
       SELECT * FROM dag_runs WHERE dag_id = $1
        ORDER BY COALESCE(logical_date, run_after) DESC, run_after DESC, run_id DESC LIMIT $2) r
      ORDER BY COALESCE(logical_date, run_after), run_after, run_id`,
    [dagId, limit],
  );
  const runIds = runs.rows.map((row) => row.run_id);
  const cells = await client.query<{ task_id: string; positions: number[]; ranks: number[]; counts: number[] }>(
    `WITH runs AS (SELECT run_id, ord - 1 AS pos FROM unnest($2::text[]) WITH ORDINALITY AS x(run_id, ord)),
          cells AS (SELECT ti.task_id, runs.pos, min(COALESCE(array_position($3::text[], ti.state), $4)) AS rank, count(*)::int AS n
                      FROM task_instances ti JOIN runs ON runs.run_id = ti.run_id
                     WHERE ti.dag_id = $1 GROUP BY ti.task_id, runs.pos)
     SELECT task_id, array_agg(pos ORDER BY pos) AS positions, array_agg(rank ORDER BY pos) AS ranks, array_agg(n ORDER BY pos) AS counts
       FROM cells GROUP BY task_id`,
    [dagId, runIds, attention, attention.length + 1],
  );
  return {
    runs: runs.rows.map((row) => ({ runId: row.run_id, state: row.state, runType: row.run_type, logicalDate: row.logical_date })),
    tasks: cells.rows.map((row) => ({ taskId: row.task_id, positions: row.positions.map(Number), ranks: row.ranks.map(Number), counts: row.counts.map(Number) })),
  };
}

/** The latest scheduled or backfill run of each DAG (the DAG list's next run is computed from it). */
export async function lastAutomatedRuns(client: Queryable, dagIds: readonly string[]): Promise<Map<string, { logicalDate: string; dataIntervalStart: string | null; dataIntervalEnd: string | null }>> {
  const rows = await client.query<{ dag_id: string; logical_date: string; data_interval_start: string | null; data_interval_end: string | null }>(
    `SELECT ids.dag_id, ${isoSql('r.logical_date')} AS logical_date, ${isoSql('r.data_interval_start')} AS data_interval_start, ${isoSql('r.data_interval_end')} AS data_interval_end
       FROM unnest($1::text[]) AS ids(dag_id)
       CROSS JOIN LATERAL (SELECT x.logical_date, x.data_interval_start, x.data_interval_end FROM dag_runs x
                            WHERE x.dag_id = ids.dag_id AND x.run_type IN ('scheduled', 'backfill') AND x.logical_date IS NOT NULL
                            ORDER BY x.logical_date DESC LIMIT 1) r`,
    [dagIds],
  );
  return new Map(rows.rows.map((row) => [row.dag_id, { logicalDate: row.logical_date, dataIntervalStart: row.data_interval_start, dataIntervalEnd: row.data_interval_end }]));
}
