/**
 * Row mapping between PostgreSQL and the MetadataStore interface. The interface speaks epoch milliseconds for
 * dagbridge's own times and ISO 8601 strings for Airflow's instants (logical dates, data intervals); the
 * tables hold timestamptz for both. Airflow instants are read back in UTC as Python's `isoformat()` writes
 * them (`2024-01-01T00:00:00+00:00`, microseconds only when not zero), formatted by the server so no
 * precision is lost.
 */
import type { DagRunState, TaskInstanceState } from '../dag/states.js';
import type { DagRunRecord, RunType, TaskInstanceRecord } from '../ports/metadata-store.js';

/** A timestamptz as epoch ms (pg returns Date; tolerate strings and numbers from custom type parsers). */
export function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return new Date(value).getTime();
  throw new TypeError(`not a timestamp: ${String(value)}`);
}

/** Like `toMs`, with null kept. */
export function toMsOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toMs(value);
}

/** An epoch-ms parameter as a Date (null kept), so pg sends an exact timestamptz. */
export function msParam(value: number | null | undefined): Date | null {
  return value === null || value === undefined ? null : new Date(value);
}

/**
 * SQL expression that formats a timestamptz column as Airflow's UTC ISO string (`...+00:00`), or NULL.
 * `column` is a trusted identifier from this module's callers, never user input.
 */
export function isoSql(column: string): string {
  return `(regexp_replace(to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\\.000000$', '') || '+00:00')`;
}

/** Epoch ms as Airflow's UTC ISO string (`2024-01-01T00:00:00+00:00`, or `...00.123000+00:00`). */
export function msToAirflowIso(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-01-01T00:00:00.123Z
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 19)}${millis === '000' ? '' : `.${millis}000`}+00:00`;
}

/** Columns of `dag_runs r` in the shape `mapRun` reads. */
export const RUN_COLUMNS = `r.dag_id, r.run_id, r.version_hash, r.run_type, r.state,
  ${isoSql('r.logical_date')} AS logical_date,
  ${isoSql('r.data_interval_start')} AS data_interval_start,
  ${isoSql('r.data_interval_end')} AS data_interval_end,
  ${isoSql('r.run_after')} AS run_after,
  r.conf, r.queued_at, r.start_date, r.end_date`;

/** A `dag_runs` row as selected with RUN_COLUMNS. */
export interface RunRow {
  dag_id: string;
  run_id: string;
  version_hash: string;
  run_type: string;
  state: string;
  logical_date: string | null;
  data_interval_start: string | null;
  data_interval_end: string | null;
  run_after: string;
  conf: Record<string, unknown> | null;
  queued_at: Date;
  start_date: Date | null;
  end_date: Date | null;
}

export function mapRun(row: RunRow): DagRunRecord {
  return {
    dagId: row.dag_id,
    runId: row.run_id,
    versionHash: row.version_hash,
    runType: row.run_type as RunType,
    state: row.state as DagRunState,
    logicalDate: row.logical_date,
    dataIntervalStart: row.data_interval_start,
    dataIntervalEnd: row.data_interval_end,
    runAfter: row.run_after,
    conf: row.conf ?? {},
    queuedAt: toMs(row.queued_at),
    startDate: toMsOrNull(row.start_date),
    endDate: toMsOrNull(row.end_date),
  };
}

/** Columns of `task_instances ti` in the shape `mapTaskInstance` reads. */
export const TI_COLUMNS = `ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.state, ti.try_number, ti.max_tries, ti.queue, ti.pool,
  ti.pool_slots, ti.priority_weight, ti.queued_at, ti.start_date, ti.end_date, ti.next_retry_at, ti.reschedule_at,
  ti.sensor_first_poke_at, ti.worker_id, ti.hostname, ti.pid, ti.note, ti.rendered_map_index`;

/** A `task_instances` row as selected with TI_COLUMNS. */
export interface TaskInstanceRow {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  state: string;
  try_number: number;
  max_tries: number;
  queue: string;
  pool: string;
  pool_slots: number;
  priority_weight: number;
  queued_at: Date | null;
  start_date: Date | null;
  end_date: Date | null;
  next_retry_at: Date | null;
  reschedule_at: Date | null;
  sensor_first_poke_at: Date | null;
  worker_id: string | null;
  hostname: string | null;
  pid: number | null;
  note: string | null;
  rendered_map_index: string | null;
}

export function mapTaskInstance(row: TaskInstanceRow): TaskInstanceRecord {
  return {
    dagId: row.dag_id,
    runId: row.run_id,
    taskId: row.task_id,
    mapIndex: row.map_index,
    state: row.state as TaskInstanceState,
    tryNumber: row.try_number,
    maxTries: row.max_tries,
    queue: row.queue,
    pool: row.pool,
    poolSlots: row.pool_slots,
    priorityWeight: row.priority_weight,
    queuedAt: toMsOrNull(row.queued_at),
    startDate: toMsOrNull(row.start_date),
    endDate: toMsOrNull(row.end_date),
    nextRetryAt: toMsOrNull(row.next_retry_at),
    rescheduleAt: toMsOrNull(row.reschedule_at),
    sensorFirstPokeAt: toMsOrNull(row.sensor_first_poke_at),
    workerId: row.worker_id,
    hostname: row.hostname,
    pid: row.pid,
    note: row.note,
    renderedMapIndex: row.rendered_map_index,
  };
}

/**
 * JSON text for a `jsonb` parameter. PostgreSQL refuses the NUL character in `jsonb` and `text`, and tasks do
 * print and return it (binary output, C strings): each NUL becomes U+FFFD instead of failing the whole write
 * (a task's outcome or its log must never be lost to one byte).
 */
export function jsonParam(value: unknown): string {
  // In JSON text a NUL is always written `\u0000`; the lookbehind skips an escaped backslash followed by `u0000`.
  return JSON.stringify(value === undefined ? null : value).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

/** A `text` parameter with NUL characters replaced by U+FFFD (see jsonParam). */
export function textParam<T extends string | null | undefined>(value: T): T {
  return (typeof value === 'string' ? value.replaceAll('\u0000', '\ufffd') : value) as T;
}
