/**
 * Dataset-triggered runs, the pure part: whether a consumer DAG's queue of updated datasets satisfies its
 * condition, and the run Airflow creates for it.
 *
 * Airflow 2.10.5 (jobs/scheduler_job_runner.py `_create_dag_runs_dataset_triggered`, models/dag.py
 * `dags_needing_dagruns`, timetables/simple.py `DatasetTriggeredTimetable`): the logical date is the time of the
 * newest queue row; the run consumes the events of the datasets it is scheduled on with a timestamp after the
 * previous dataset-triggered run's logical date and up to that time; its data interval spans the source runs'
 * data intervals of those events (an event without a source run counts as its timestamp; no events: the logical
 * date twice); its run id is `dataset_triggered__<logical date isoformat>`.
 *
 * Airflow 3 (`_create_dag_runs_asset_triggered`): no logical date and no data interval, `run_after` is the time
 * of the newest queue row, the previous run is found by `run_after`, and the run id is
 * `asset_triggered__<run_after isoformat>_<random>`. Which one applies follows the DAG file's style.
 */
import type { DagSpec } from './bundle.js';
import { conditionAliases, conditionUris, evaluateCondition } from './datasets.js';
import { pythonIsoUtc } from './ids.js';

/** One row of a consumer's queue: a dataset updated since the consumer's last dataset-triggered run. */
export interface QueuedDataset {
  uri: string;
  /** When the first event since that run queued it (epoch ms). */
  createdAt: number;
}

/** Whether the queued datasets satisfy the DAG's schedule condition (false for a DAG not scheduled on datasets). */
export function queueSatisfies(spec: DagSpec, queued: readonly QueuedDataset[], aliases: ReadonlyMap<string, readonly string[]>): boolean {
  if (spec.schedule.type !== 'assets' || queued.length === 0) return false;
  return evaluateCondition(spec.schedule.condition, new Set(queued.map((row) => row.uri)), aliases);
}

/**
 * The URIs whose events a run of `spec` consumes: the datasets its condition names and those its aliases
 * resolved to (Airflow resolves an alias of the schedule into schedule references of its datasets).
 */
export function consumedUris(spec: DagSpec, aliases: ReadonlyMap<string, readonly string[]>): string[] {
  if (spec.schedule.type !== 'assets') return [];
  const uris = new Set(conditionUris(spec.schedule.condition));
  for (const name of conditionAliases(spec.schedule.condition)) for (const uri of aliases.get(name) ?? []) uris.add(uri);
  return [...uris];
}

/** The time the run is for: the newest queue row (Airflow's `dataset_triggered_dag_info[dag_id][1]`). */
export function triggeredAt(queued: readonly QueuedDataset[]): number {
  if (queued.length === 0) throw new RangeError('a dataset-triggered run needs at least one queued dataset');
  return Math.max(...queued.map((row) => row.createdAt));
}

/** An event as the data interval needs it: its time and its source run's data interval, when it has one. */
export interface ConsumedEvent {
  timestamp: number;
  sourceDataIntervalStart: string | null;
  sourceDataIntervalEnd: string | null;
}

/** The dates and id of a dataset-triggered run. Instants are ISO 8601 as the store keeps them. */
export interface DatasetTriggeredRunInfo {
  runId: string;
  logicalDate: string | null;
  dataIntervalStart: string | null;
  dataIntervalEnd: string | null;
  runAfter: string;
}

/**
 * The run for `events` triggered at `at`. `suffix` (letters and digits) ends an Airflow 3 run id, as Airflow's
 * random string does; Airflow 2 run ids have none.
 */
export function datasetTriggeredRunInfo(airflowStyle: 2 | 3, at: number, events: readonly ConsumedEvent[], suffix: string): DatasetTriggeredRunInfo {
  const when = pythonIsoUtc(at);
  if (airflowStyle === 3) {
    if (!/^[A-Za-z0-9]+$/.test(suffix)) throw new RangeError(`run id suffix ${JSON.stringify(suffix)} must be letters and digits`);
    return { runId: `asset_triggered__${when}_${suffix}`, logicalDate: null, dataIntervalStart: null, dataIntervalEnd: null, runAfter: when };
  }
  let start = at;
  let end = at;
  if (events.length > 0) {
    const starts = events.map((event) => instantOr(event.sourceDataIntervalStart, event.timestamp));
    const ends = events.map((event) => instantOr(event.sourceDataIntervalEnd, event.timestamp));
    start = Math.min(...starts);
    end = Math.max(...ends);
  }
  return { runId: `dataset_triggered__${when}`, logicalDate: when, dataIntervalStart: pythonIsoUtc(start), dataIntervalEnd: pythonIsoUtc(end), runAfter: when };
}

function instantOr(value: string | null, fallback: number): number {
  if (value === null) return fallback;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : fallback;
}
