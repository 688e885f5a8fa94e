/**
 * Airflow's timetables, ported: when the next automated DAG run happens and which data interval it covers.
 *
 * Sources (apache/airflow): `airflow/timetables/interval.py` (CronDataIntervalTimetable,
 * DeltaDataIntervalTimetable), `trigger.py` (CronTriggerTimetable, DeltaTriggerTimetable,
 * MultipleCronTriggerTimetable, Airflow 3 versions with `_calc_first_run`), `simple.py` (NullTimetable,
 * OnceTimetable, ContinuousTimetable, AssetTriggeredTimetable) and `base.py` (DagRunInfo: the logical date
 * is the data interval's start; `DagRunInfo.interval` runs after the interval's end).
 *
 * Pure: the current time is the `now` argument; all instants are epoch milliseconds (see `durations.ts`).
 */
import { DagbridgeError } from '../lib/errors.js';
import type { Schedule } from './bundle.js';
import { cronAlignToNext, cronAlignToPrev, cronNext, cronPrev, parseCron, type CronSchedule } from './cron.js';
import { MINUTE_MS, secondsToMs } from './durations.js';

/** A data interval `[start, end]`, epoch ms. For trigger timetables both ends are usually the same instant. */
export interface DataInterval {
  readonly start: number;
  readonly end: number;
}

/**
 * Airflow's `TimeRestriction`: runs must not be earlier than `earliest` (the DAG's start date) nor later than
 * `latest` (its end date), both inclusive; `catchup` false skips missed schedules.
 */
export interface TimeRestriction {
  readonly earliest: number | null;
  readonly latest: number | null;
  readonly catchup: boolean;
}

/** Airflow's `DagRunInfo`: the run may be created at `runAfter`; its logical date is `dataInterval.start`. */
export interface TimetableRunInfo {
  readonly runAfter: number;
  readonly dataInterval: DataInterval;
}

/**
 * Which meaning a plain cron string or timedelta gets. `data_interval` is Airflow 2's default
 * (CronDataIntervalTimetable / DeltaDataIntervalTimetable: the run covers the interval that just ended and
 * its logical date is the interval's start). `trigger` is Airflow 3's default
 * (`[scheduler] create_cron_data_intervals = False`: CronTriggerTimetable / DeltaTriggerTimetable, logical
 * date = run_after, empty data interval). Current Airflow reads that one setting for timedeltas too.
 */
export type ScheduleSemantics = 'data_interval' | 'trigger';

/** The timetable implementations dagbridge schedules with. */
export type TimetableKind =
  | 'null'
  | 'once'
  | 'continuous'
  | 'assets'
  | 'cron_data_interval'
  | 'delta_data_interval'
  | 'cron_trigger'
  | 'delta_trigger'
  | 'multiple_cron_trigger';

/** One timetable: the pure functions Airflow's scheduler asks a timetable. */
export interface Timetable {
  readonly kind: TimetableKind;
  /** Short text for displays: the cron expression, `@once`, `None`, the delta in seconds, ... */
  readonly summary: string;
  /** False for `none` and asset schedules: they never create runs by time. */
  readonly canBeScheduled: boolean;
  /** `@continuous` allows one active run at a time (Airflow's `active_runs_limit`); null otherwise. */
  readonly activeRunsLimit: number | null;
  /** Airflow `next_dagrun_info`. `last` is the data interval of the latest scheduled/backfill run. */
  nextDagRunInfo(last: DataInterval | null, restriction: TimeRestriction, now: number): TimetableRunInfo | null;
  /** Airflow `infer_manual_data_interval`: the data interval of a manual run with this logical date. */
  inferManualDataInterval(runAfter: number): DataInterval;
  /**
   * Airflow `DAG.infer_automated_data_interval`: the data interval of an automated run recorded without one.
   * Trigger timetables (where Airflow raises) get the exact instant.
   */
  inferAutomatedDataInterval(logicalDate: number): DataInterval;
}

function exact(at: number): DataInterval {
  return { start: at, end: at };
}

function intervalInfo(start: number, end: number): TimetableRunInfo {
  return { runAfter: end, dataInterval: { start, end } };
}

function exactInfo(at: number): TimetableRunInfo {
  return { runAfter: at, dataInterval: exact(at) };
}

/** The steps a periodic timetable is built from: cron or a fixed delta. */
interface Steps {
  next(current: number): number;
  prev(current: number): number;
  alignToNext(current: number): number;
  alignToPrev(current: number): number;
}

function cronSteps(cron: CronSchedule): Steps {
  return {
    next: (current) => cronNext(cron, current),
    prev: (current) => cronPrev(cron, current),
    alignToNext: (current) => cronAlignToNext(cron, current),
    alignToPrev: (current) => cronAlignToPrev(cron, current),
  };
}

function deltaSteps(deltaMs: number): Steps {
  return {
    next: (current) => current + deltaMs,
    prev: (current) => current - deltaMs,
    alignToNext: (current) => current,
    alignToPrev: (current) => current,
  };
}

/** Airflow `_DataIntervalTimetable.next_dagrun_info`, shared by the cron and delta variants. */
function dataIntervalNext(
  steps: Steps,
  skipToLatest: (earliest: number | null, now: number) => number,
  last: DataInterval | null,
  restriction: TimeRestriction,
  now: number,
): TimetableRunInfo | null {
  let earliest = restriction.earliest;
  if (!restriction.catchup) earliest = skipToLatest(earliest, now);
  else if (earliest !== null) earliest = steps.alignToNext(earliest);
  let start: number;
  if (last === null) {
    // First run: the first time matching the schedule, with a data interval created retrospectively.
    if (earliest === null) return null;
    start = earliest;
  } else {
    // Realign in case the schedule changed since the previous run.
    const alignedEnd = steps.alignToPrev(last.end);
    start = earliest === null ? alignedEnd : Math.max(alignedEnd, earliest);
  }
  if (restriction.latest !== null && start > restriction.latest) return null;
  return intervalInfo(start, steps.next(start));
}

function cronDataIntervalTimetable(cron: CronSchedule): Timetable {
  const steps = cronSteps(cron);
  // With catchup off, start from the latest COMPLETE interval; on a boundary that is the one ending now.
  const skipToLatest = (earliest: number | null, now: number): number => {
    const lastStart = steps.prev(now);
    const nextStart = steps.next(lastStart);
    let newStart: number;
    if (nextStart === now) newStart = lastStart;
    else if (nextStart > now) newStart = steps.prev(lastStart);
    else throw new DagbridgeError('INTERNAL', `cron ${cron.expression}: next schedule is earlier than now`, { userFacing: false });
    return earliest === null ? newStart : Math.max(newStart, steps.alignToNext(earliest));
  };
  return {
    kind: 'cron_data_interval',
    summary: cron.expression,
    canBeScheduled: true,
    activeRunsLimit: null,
    nextDagRunInfo: (last, restriction, now) => dataIntervalNext(steps, skipToLatest, last, restriction, now),
    inferManualDataInterval(runAfter) {
      // The last complete period before runAfter: a manual run at 01:00 of a daily DAG covers yesterday.
      const end = steps.alignToPrev(runAfter);
      return { start: steps.prev(end), end };
    },
    inferAutomatedDataInterval: (logicalDate) => ({ start: logicalDate, end: steps.next(logicalDate) }),
  };
}

function deltaDataIntervalTimetable(deltaMs: number): Timetable {
  const steps = deltaSteps(deltaMs);
  // Airflow (since 2.8) rounds now down to a multiple of the delta since the epoch, then steps back one.
  const skipToLatest = (earliest: number | null, now: number): number => {
    const rounded = now - (((now % deltaMs) + deltaMs) % deltaMs);
    const newStart = steps.prev(rounded);
    return earliest === null ? newStart : Math.max(newStart, earliest);
  };
  return {
    kind: 'delta_data_interval',
    summary: `${deltaMs / 1000}s`,
    canBeScheduled: true,
    activeRunsLimit: null,
    nextDagRunInfo: (last, restriction, now) => dataIntervalNext(steps, skipToLatest, last, restriction, now),
    inferManualDataInterval: (runAfter) => ({ start: steps.prev(runAfter), end: runAfter }),
    inferAutomatedDataInterval: (logicalDate) => ({ start: logicalDate, end: steps.next(logicalDate) }),
  };
}

/**
 * Airflow 3 `_TriggerTimetable.next_dagrun_info`. `calcFirstRun` is used when there is neither a previous
 * run nor a start date.
 */
function triggerNext(
  steps: Steps,
  intervalMs: number,
  calcFirstRun: (now: number) => number,
  last: DataInterval | null,
  restriction: TimeRestriction,
  now: number,
): TimetableRunInfo | null {
  let nextStart: number;
  if (restriction.catchup) {
    if (last !== null) nextStart = steps.next(last.end);
    else if (restriction.earliest === null) nextStart = calcFirstRun(now);
    else nextStart = steps.alignToNext(restriction.earliest);
  } else {
    const candidates = [steps.alignToPrev(now)];
    if (last !== null) candidates.push(steps.next(last.end));
    else if (restriction.earliest === null) candidates.push(calcFirstRun(now));
    if (restriction.earliest !== null) candidates.push(steps.alignToNext(restriction.earliest));
    nextStart = Math.max(...candidates);
  }
  if (restriction.latest !== null && restriction.latest < nextStart) return null;
  return intervalInfo(nextStart - intervalMs, nextStart);
}

/** `run_immediately` of CronTriggerTimetable: true, false, or a window in ms. */
export type RunImmediately = boolean | number;

function cronTriggerTimetable(cron: CronSchedule, intervalMs: number, runImmediately: RunImmediately): Timetable {
  const steps = cronSteps(cron);
  const calcFirstRun = (now: number): number => {
    const past = steps.alignToPrev(now);
    const next = steps.alignToNext(now);
    if (runImmediately === true) return past;
    // Airflow treats False like None here: the window is 10% of the gap between runs, at least 5 minutes.
    const buffer = typeof runImmediately === 'number' ? runImmediately : Math.max((next - past) / 10, 5 * MINUTE_MS);
    return now - past <= buffer ? past : next;
  };
  return {
    kind: 'cron_trigger',
    summary: cron.expression,
    canBeScheduled: true,
    activeRunsLimit: null,
    nextDagRunInfo: (last, restriction, now) => triggerNext(steps, intervalMs, calcFirstRun, last, restriction, now),
    inferManualDataInterval: (runAfter) => ({ start: runAfter - intervalMs, end: runAfter }),
    inferAutomatedDataInterval: exact,
  };
}

function deltaTriggerTimetable(deltaMs: number, intervalMs: number): Timetable {
  const steps = deltaSteps(deltaMs);
  return {
    kind: 'delta_trigger',
    summary: `${deltaMs / 1000}s`,
    canBeScheduled: true,
    activeRunsLimit: null,
    nextDagRunInfo: (last, restriction, now) => triggerNext(steps, intervalMs, (at) => steps.alignToPrev(at), last, restriction, now),
    inferManualDataInterval: (runAfter) => ({ start: runAfter - intervalMs, end: runAfter }),
    inferAutomatedDataInterval: exact,
  };
}

/** Airflow `MultipleCronTriggerTimetable`: the earliest (catchup) or latest-not-in-future run of several crons. */
function multipleCronTriggerTimetable(members: readonly Timetable[], summary: string): Timetable {
  return {
    kind: 'multiple_cron_trigger',
    summary,
    canBeScheduled: true,
    activeRunsLimit: null,
    nextDagRunInfo(last, restriction, now) {
      const sortKey = (info: TimetableRunInfo | null): number => {
        if (info === null) return Infinity;
        const at = info.dataInterval.start;
        if (restriction.catchup) return at;
        return at <= now ? -at : at;
      };
      let best: TimetableRunInfo | null = null;
      let bestKey = Infinity;
      for (const member of members) {
        const info = member.nextDagRunInfo(last, restriction, now);
        const key = sortKey(info);
        if (best === null || key < bestKey) {
          best = info;
          bestKey = key;
        }
      }
      return best;
    },
    inferManualDataInterval(runAfter) {
      let best: DataInterval | null = null;
      for (const member of members) {
        const interval = member.inferManualDataInterval(runAfter);
        if (best === null || interval.start < best.start) best = interval;
      }
      return best ?? exact(runAfter);
    },
    inferAutomatedDataInterval: exact,
  };
}

function trivial(kind: 'null' | 'assets', summary: string): Timetable {
  return {
    kind,
    summary,
    canBeScheduled: false,
    activeRunsLimit: null,
    nextDagRunInfo: () => null,
    inferManualDataInterval: exact,
    inferAutomatedDataInterval: exact,
  };
}

const onceTimetable: Timetable = {
  kind: 'once',
  summary: '@once',
  canBeScheduled: true,
  activeRunsLimit: null,
  nextDagRunInfo(last, restriction, now) {
    if (last !== null) return null; // already ran
    // "@once" runs at the start date whatever catchup says; without a start date it is ready now.
    const runAfter = restriction.earliest ?? now;
    if (restriction.latest !== null && runAfter > restriction.latest) return null;
    return exactInfo(runAfter);
  },
  inferManualDataInterval: exact,
  inferAutomatedDataInterval: exact,
};

const continuousTimetable: Timetable = {
  kind: 'continuous',
  summary: '@continuous',
  canBeScheduled: true,
  activeRunsLimit: 1,
  nextDagRunInfo(last, restriction, now) {
    const startDate = restriction.earliest ?? now;
    let start: number;
    let end: number;
    if (last !== null) {
      if (last.end > now) {
        // The start date lies in the future: keep the previous interval's length from there.
        start = startDate;
        end = start + (last.end - last.start);
      } else {
        start = last.end;
        end = now;
      }
    } else {
      start = startDate;
      end = Math.max(startDate, now);
    }
    if (restriction.latest !== null && end > restriction.latest) return null;
    return intervalInfo(start, end);
  },
  inferManualDataInterval: exact,
  inferAutomatedDataInterval: exact,
};

function unsupported(what: string): DagbridgeError {
  return new DagbridgeError(
    'BUNDLE_INVALID',
    `schedule: ${what} is not supported by the dagbridge scheduler; use a cron string, a preset, a timedelta, ` +
      '"@once", "@continuous", None, or one of CronTriggerTimetable, CronDataIntervalTimetable, ' +
      'DeltaTriggerTimetable, DeltaDataIntervalTimetable, MultipleCronTriggerTimetable',
  );
}

function argNumber(args: Record<string, unknown>, key: string, fallback: number | null): number | null {
  const value = args[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new DagbridgeError('BUNDLE_INVALID', `schedule.args.${key}: expected seconds as a number, got ${JSON.stringify(value)}`);
}

/** Airflow's `encode_timezone` writes a zone name, or a fixed offset in seconds. */
function argTimezone(args: Record<string, unknown>, fallback: string): string {
  const value = args.timezone;
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) {
    const sign = value < 0 ? '-' : '+';
    const minutes = Math.round(Math.abs(value) / 60);
    return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  }
  return fallback;
}

function timetableFromClass(schedule: Extract<Schedule, { type: 'timetable' }>, timezone: string): Timetable {
  const className = schedule.className.split('.').pop() ?? schedule.className;
  const args = schedule.args;
  const zone = argTimezone(args, timezone);
  const intervalMs = secondsToMs(argNumber(args, 'interval', 0) ?? 0);
  const expression = typeof args.expression === 'string' ? args.expression : schedule.summary;
  const runImmediately = (): RunImmediately => {
    const value = args.run_immediately ?? args.runImmediately;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return secondsToMs(value);
    return false;
  };
  const delta = (): number => {
    const seconds = argNumber(args, 'delta', null);
    if (seconds === null || seconds <= 0) throw new DagbridgeError('BUNDLE_INVALID', `schedule.args.delta of ${className} must be positive seconds`);
    return secondsToMs(seconds);
  };
  switch (className) {
    case 'NullTimetable':
      return trivial('null', 'None');
    case 'OnceTimetable':
      return onceTimetable;
    case 'ContinuousTimetable':
      return continuousTimetable;
    case 'CronDataIntervalTimetable':
      if (!expression) throw unsupported(`${className} without an expression`);
      return cronDataIntervalTimetable(parseCron(expression, zone));
    case 'CronTriggerTimetable':
      if (!expression) throw unsupported(`${className} without an expression`);
      return cronTriggerTimetable(parseCron(expression, zone), intervalMs, runImmediately());
    case 'DeltaDataIntervalTimetable':
      return deltaDataIntervalTimetable(delta());
    case 'DeltaTriggerTimetable':
      return deltaTriggerTimetable(delta(), intervalMs);
    case 'MultipleCronTriggerTimetable': {
      const expressions = Array.isArray(args.expressions) ? args.expressions.filter((e): e is string => typeof e === 'string') : [];
      if (expressions.length === 0) throw unsupported(`${className} without expressions`);
      const members = expressions.map((e) => cronTriggerTimetable(parseCron(e, zone), intervalMs, runImmediately()));
      return multipleCronTriggerTimetable(members, expressions.join(', '));
    }
    default:
      throw unsupported(`the timetable class ${schedule.className}`);
  }
}

/**
 * Builds the timetable Airflow would build for a DAG's schedule (`_create_timetable`): `none` -> Null,
 * `once` -> Once, `continuous` -> Continuous, cron and timedelta by `semantics`, asset schedules run by time only
 * through the timetable of DatasetOrTimeSchedule / AssetOrTimeSchedule, and the common timetable classes from their serialized arguments (`expression`, `timezone`,
 * `interval`/`delta` in seconds, `run_immediately`). Throws a user-facing error for anything else.
 */
export function createTimetable(schedule: Schedule, timezone: string, semantics: ScheduleSemantics): Timetable {
  switch (schedule.type) {
    case 'none':
      return trivial('null', 'None');
    case 'once':
      return onceTimetable;
    case 'continuous':
      return continuousTimetable;
    case 'assets': {
      // DatasetOrTimeSchedule / AssetOrTimeSchedule run by their timetable too (airflow/timetables/datasets.py).
      if (schedule.timetable === null) return trivial('assets', 'Asset');
      const time = createTimetable(schedule.timetable, timezone, semantics);
      return { ...time, summary: `Asset or ${time.summary}` };
    }
    case 'cron': {
      const cron = parseCron(schedule.expression, timezone);
      return semantics === 'data_interval' ? cronDataIntervalTimetable(cron) : cronTriggerTimetable(cron, 0, false);
    }
    case 'timedelta': {
      const deltaMs = secondsToMs(schedule.seconds);
      return semantics === 'data_interval' ? deltaDataIntervalTimetable(deltaMs) : deltaTriggerTimetable(deltaMs, 0);
    }
    case 'timetable':
      return timetableFromClass(schedule, timezone);
    case 'custom':
      // Its own Python answers for it (run-creator.ts asks the shim): nothing to compute here.
      throw new DagbridgeError('TIMETABLE_FAILED', `schedule: the custom timetable ${schedule.className} is evaluated by its own Python for scheduled, manual and backfill runs only; the other date computations do not support it yet (docs/scheduling.md)`);
  }
}
