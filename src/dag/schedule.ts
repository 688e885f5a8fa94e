/**
 * When a DAG runs: the next automated run, the dates of a manual run, and the runs of a backfill, with
 * Airflow's semantics (see `timetable.ts` for the per-schedule rules and their Airflow sources).
 *
 * Time convention (see `durations.ts`): inputs are epoch milliseconds or ISO 8601 strings with a zone;
 * every returned instant is epoch milliseconds (UTC). Format with `formatInstant` for the contracts'
 * `2024-01-01T00:00:00+00:00` form. The current time is always an argument: nothing here reads a clock.
 */
import { DagbridgeError } from '../lib/errors.js';
import type { DagSpec, Schedule } from './bundle.js';
import { parseInstant, parseOptionalInstant, type EpochMs, type InstantInput } from './durations.js';
import { createTimetable, type DataInterval, type ScheduleSemantics, type TimeRestriction, type Timetable } from './timetable.js';

export type { ScheduleSemantics } from './timetable.js';

/** The DAG settings that decide its runs (the matching `DagSpec` fields plus the semantics choice). */
export interface ScheduleSettings {
  readonly schedule: Schedule;
  /** The DAG's `start_date` (Airflow's `TimeRestriction.earliest`); null when not set. */
  readonly startDate: InstantInput | null;
  /** The DAG's `end_date` (inclusive upper bound for logical dates / trigger times); null when not set. */
  readonly endDate: InstantInput | null;
  readonly catchup: boolean;
  /** IANA zone the cron expression is read in (the DAG's timezone); `UTC` or `+05:30` also work. */
  readonly timezone: string;
  /** How plain cron strings and timedeltas are read; see {@link ScheduleSemantics}. */
  readonly semantics: ScheduleSemantics;
}

/** The latest scheduled or backfill run of the DAG (manual runs do not count, as in Airflow). */
export interface LastAutomatedRun {
  readonly logicalDate: InstantInput;
  /** Null for runs recorded without a data interval: it is then inferred from the logical date. */
  readonly dataIntervalStart: InstantInput | null;
  readonly dataIntervalEnd: InstantInput | null;
}

/** The next automated run: created once `now >= runAfter`. All epoch ms. */
export interface DagRunInfo {
  readonly logicalDate: EpochMs;
  readonly dataIntervalStart: EpochMs;
  readonly dataIntervalEnd: EpochMs;
  readonly runAfter: EpochMs;
}

/** The dates of a manual run. Airflow 3 allows a manual run without a logical date (then no interval). */
export interface ManualRunInfo {
  readonly logicalDate: EpochMs | null;
  readonly dataIntervalStart: EpochMs | null;
  readonly dataIntervalEnd: EpochMs | null;
  readonly runAfter: EpochMs;
}

/**
 * The semantics a DAG's plain cron string or timedelta gets by default: Airflow 2 style DAG files get data
 * intervals, Airflow 3 style files get trigger semantics (`create_cron_data_intervals = False`).
 * A deployment that sets `AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS` overrides this.
 */
export function defaultSemantics(airflowStyle: 2 | 3): ScheduleSemantics {
  return airflowStyle === 3 ? 'trigger' : 'data_interval';
}

/** The fields of a bundle `DagSpec` that decide its schedule. */
export type DagScheduleFields = Pick<DagSpec, 'schedule' | 'startDate' | 'endDate' | 'catchup' | 'timezone' | 'airflowStyle'>;

/** {@link ScheduleSettings} from a bundle `DagSpec`; `semantics` defaults from its `airflowStyle`. */
export function scheduleSettingsOf(dag: DagScheduleFields, semantics: ScheduleSemantics = defaultSemantics(dag.airflowStyle)): ScheduleSettings {
  return { schedule: dag.schedule, startDate: dag.startDate, endDate: dag.endDate, catchup: dag.catchup, timezone: dag.timezone, semantics };
}

/** The timetable for these settings (throws a user-facing error for an unsupported schedule). */
export function timetableOf(settings: ScheduleSettings): Timetable {
  return createTimetable(settings.schedule, settings.timezone, settings.semantics);
}

/** A custom timetable schedule (see `bundle.ts`): evaluated by its own Python, not by `timetable.ts`. */
export type CustomSchedule = Extract<Schedule, { type: 'custom' }>;

/**
 * The custom timetable that decides a schedule's runs by time: the schedule itself, or the time part of
 * DatasetOrTimeSchedule / AssetOrTimeSchedule; null when the built-in timetables decide them.
 */
export function customScheduleOf(schedule: Schedule): CustomSchedule | null {
  if (schedule.type === 'custom') return schedule;
  if (schedule.type === 'assets' && schedule.timetable?.type === 'custom') return schedule.timetable;
  return null;
}

/** Airflow's `DAG._time_restriction`: the DAG's start date, end date and catchup. */
export function restrictionOf(settings: ScheduleSettings): TimeRestriction {
  return {
    earliest: parseOptionalInstant(settings.startDate, 'startDate'),
    latest: parseOptionalInstant(settings.endDate, 'endDate'),
    catchup: settings.catchup,
  };
}

function toRunInfo(info: { runAfter: number; dataInterval: DataInterval }): DagRunInfo {
  return {
    logicalDate: info.dataInterval.start,
    dataIntervalStart: info.dataInterval.start,
    dataIntervalEnd: info.dataInterval.end,
    runAfter: info.runAfter,
  };
}

/**
 * The data interval Airflow uses for a previous automated run: its recorded interval, or, for a run recorded
 * without one, the interval inferred from its logical date (`DAG.get_run_data_interval`).
 */
export function lastRunDataInterval(timetable: Timetable, run: LastAutomatedRun): DataInterval {
  const start = parseOptionalInstant(run.dataIntervalStart, 'dataIntervalStart');
  const end = parseOptionalInstant(run.dataIntervalEnd, 'dataIntervalEnd');
  if (start !== null && end !== null) return { start, end };
  return timetable.inferAutomatedDataInterval(parseInstant(run.logicalDate, 'logicalDate'));
}

/**
 * Airflow's `DAG.next_dagrun_info`: the next automated run after `lastAutomatedRun` (null: the DAG has not
 * run yet), or null when there is none (no schedule, `@once` done, past `endDate`, no start date for a
 * data-interval schedule). `now` only matters for catchup=false, `@continuous`, and a missing start date.
 */
export function nextDagRunInfo(settings: ScheduleSettings, lastAutomatedRun: LastAutomatedRun | null, now: InstantInput): DagRunInfo | null {
  const timetable = timetableOf(settings);
  const last = lastAutomatedRun === null ? null : lastRunDataInterval(timetable, lastAutomatedRun);
  const info = timetable.nextDagRunInfo(last, restrictionOf(settings), parseInstant(now, 'now'));
  return info === null ? null : toRunInfo(info);
}

/**
 * The data interval of the run that follows `run`, as LatestOnlyOperator asks for it in Airflow 2.10.5
 * (airflow/operators/latest_only.py: `dag.next_dagrun_info(dag.get_run_data_interval(dag_run), restricted=False)`):
 * the DAG's start date, end date and catchup do not restrict it. Null when the timetable has no next run
 * (no schedule, `@once`) or the run has no logical date.
 */
export function nextDataIntervalAfter(settings: ScheduleSettings, run: { logicalDate: InstantInput | null; dataIntervalStart: InstantInput | null; dataIntervalEnd: InstantInput | null }): DataInterval | null {
  if (run.logicalDate === null) return null;
  const timetable = timetableOf(settings);
  const last = lastRunDataInterval(timetable, { logicalDate: run.logicalDate, dataIntervalStart: run.dataIntervalStart, dataIntervalEnd: run.dataIntervalEnd });
  const info = timetable.nextDagRunInfo(last, { earliest: null, latest: null, catchup: true }, last.end);
  return info === null ? null : info.dataInterval;
}

/**
 * The dates of a manually triggered run (Airflow's `infer_manual_data_interval`). With a logical date the
 * data interval is inferred from it (a daily data-interval DAG triggered for 01:00 on the 25th covers the
 * 24th); without one (Airflow 3) there is no data interval. The run may start at once: `runAfter` is `now`.
 */
export function manualRunInfo(settings: ScheduleSettings, logicalDate: InstantInput | null, now: InstantInput): ManualRunInfo {
  const runAfter = parseInstant(now, 'now');
  if (logicalDate === null) return { logicalDate: null, dataIntervalStart: null, dataIntervalEnd: null, runAfter };
  const at = parseInstant(logicalDate, 'logicalDate');
  const interval = timetableOf(settings).inferManualDataInterval(at);
  return { logicalDate: at, dataIntervalStart: interval.start, dataIntervalEnd: interval.end, runAfter };
}

/** Options of {@link backfillRunInfos}. */
export interface BackfillOptions {
  /** Airflow 3 leaves out runs whose data interval has not ended yet (`end < now`); omit to keep all. */
  readonly now?: InstantInput;
  /** Newest first, like `--run-backwards`. */
  readonly reverse?: boolean;
  /** Refuse ranges with more runs than this (a typo such as a year 2042 should not hang the CLI). Default 100000. */
  readonly maxRuns?: number;
}

/**
 * Every run a backfill from `from` to `to` (both inclusive, logical dates) creates, in order: Airflow's
 * `DAG.iter_dagrun_infos_between(from, to, align=True)` (catchup on, aligned to the schedule; `from` null
 * means the DAG's start date). Schedules without time-based runs (`none`, assets) give an empty list.
 */
export function backfillRunInfos(
  settings: ScheduleSettings,
  from: InstantInput | null,
  to: InstantInput,
  options: BackfillOptions = {},
): DagRunInfo[] {
  const timetable = timetableOf(settings);
  if (timetable.kind === 'continuous') {
    throw new DagbridgeError('USAGE', 'backfill: a "@continuous" DAG has no schedule to backfill; trigger runs instead');
  }
  const earliest = from === null ? parseOptionalInstant(settings.startDate, 'startDate') : parseInstant(from, 'from');
  if (earliest === null) {
    throw new DagbridgeError('USAGE', 'backfill: no start given and the DAG has no start_date; pass --from');
  }
  const restriction: TimeRestriction = { earliest, latest: parseInstant(to, 'to'), catchup: true };
  const now = options.now === undefined ? null : parseInstant(options.now, 'now');
  const maxRuns = options.maxRuns ?? 100_000;
  const infos: DagRunInfo[] = [];
  // `now` feeds only schedules that need it when there is no start (never here: earliest is set).
  const clock = now ?? restriction.earliest ?? 0;
  let info = timetable.nextDagRunInfo(null, restriction, clock);
  let previousStart = -Infinity;
  while (info !== null) {
    if (info.dataInterval.start <= previousStart) break; // a schedule that stops advancing
    previousStart = info.dataInterval.start;
    // Runs come in order, so the first interval that has not ended ends the list.
    if (now !== null && info.dataInterval.end >= now) break;
    if (infos.length >= maxRuns) {
      throw new DagbridgeError('USAGE', `backfill: the range holds more than ${maxRuns} runs; narrow --from/--to`);
    }
    infos.push(toRunInfo(info));
    info = timetable.nextDagRunInfo(info.dataInterval, restriction, clock);
  }
  return options.reverse ? infos.reverse() : infos;
}
