/**
 * Cron expressions with Airflow's time-zone handling (its `CronMixin`, `airflow/timetables/_cron.py`).
 *
 * Airflow iterates cron with croniter on NAIVE wall-clock time, then attaches the zone with `make_aware`
 * (ambiguous times take the second occurrence, missing times move forward). Crons that fire at least once an
 * hour (hour field `*`) are instead stepped by the naive distance from the current instant, so an hourly
 * job also runs in the repeated hour when clocks go back. This module does the same: cron-parser runs in
 * UTC on naive times (`schedule-timezone.ts`), which reproduces croniter's strict next/previous semantics
 * (minute resolution, day-of-month OR day-of-week when both are restricted).
 *
 * Supported: 5-field expressions, croniter's 6-field form (seconds LAST), and the presets Airflow and
 * croniter know (`@hourly`, `@daily`, `@midnight`, `@weekly`, `@monthly`, `@quarterly`, `@yearly`,
 * `@annually`).
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { DagbridgeError } from '../lib/errors.js';
import { AIRFLOW_FACTS } from './airflow-facts.js';
import { assertTimezone, fromNaive, toNaive } from './schedule-timezone.js';

/** Airflow's `cron_presets` plus the two aliases croniter itself accepts (schemas/airflow-facts.json). */
export const CRON_PRESETS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.entries(AIRFLOW_FACTS.cronPresets.presets).map(([name, preset]) => [name, preset.cron])),
);

/** A parsed cron schedule bound to a time zone. Build it with {@link parseCron}. */
export interface CronSchedule {
  /** The expression as Airflow stores it (presets expanded). */
  readonly expression: string;
  readonly timezone: string;
  /** True when the hour field covers every hour (croniter normalises it to `*`): DST-fold stepping applies. */
  readonly coversEveryHour: boolean;
  /** cron-parser iterator in UTC over naive times; reset before every use. */
  readonly iterator: CronExpression;
}

const parsed = new Map<string, CronSchedule>();

function invalidCron(expression: string, why: string, cause?: unknown): DagbridgeError {
  return new DagbridgeError('BUNDLE_INVALID', `cron expression ${JSON.stringify(expression)} is not valid: ${why}`, { cause });
}

/**
 * Parses (and caches) a cron expression or preset for a zone. Throws a user-facing error naming the
 * expression when it is malformed, uses an unsupported field count, or uses `H` (hashed values need an id
 * Airflow never passes).
 */
export function parseCron(expressionOrPreset: string, timezone: string): CronSchedule {
  const key = `${timezone}\u0000${expressionOrPreset}`;
  const cached = parsed.get(key);
  if (cached) return cached;
  assertTimezone(timezone);
  const trimmed = expressionOrPreset.trim();
  const expression = CRON_PRESETS[trimmed.toLowerCase()] ?? trimmed;
  const fields = expression.split(/\s+/);
  if (expression.startsWith('@')) throw invalidCron(expressionOrPreset, 'unknown preset');
  if (fields.length !== 5 && fields.length !== 6) {
    throw invalidCron(expressionOrPreset, `expected 5 fields (or 6 with seconds last), found ${fields.length}`);
  }
  // `thu` is the only field name with an h in it.
  if (/h/i.test(expression.replace(/thu/gi, ''))) {
    throw invalidCron(expressionOrPreset, 'hashed values (H) are not supported');
  }
  // croniter reads a sixth field as seconds; cron-parser wants seconds first.
  const forParser = fields.length === 6 ? [fields[5], ...fields.slice(0, 5)].join(' ') : expression;
  let iterator: CronExpression;
  try {
    iterator = CronExpressionParser.parse(forParser, { tz: 'UTC', currentDate: new Date(0) });
  } catch (error) {
    throw invalidCron(expressionOrPreset, error instanceof Error ? error.message : String(error), error);
  }
  const schedule: CronSchedule = {
    expression,
    timezone,
    coversEveryHour: iterator.fields.hour.values.length === 24,
    iterator,
  };
  parsed.set(key, schedule);
  return schedule;
}

/** croniter `get_next` on a naive time: the first match strictly after it. */
export function naiveNext(cron: CronSchedule, naive: number): number {
  cron.iterator.reset(new Date(naive));
  return cron.iterator.next().getTime();
}

/** croniter `get_prev` on a naive time: the last match strictly before it. */
export function naivePrev(cron: CronSchedule, naive: number): number {
  cron.iterator.reset(new Date(naive));
  return cron.iterator.prev().getTime();
}

/** Airflow `CronMixin._get_next`: the first schedule after an instant, with DST fixed. */
export function cronNext(cron: CronSchedule, current: number): number {
  const naive = toNaive(cron.timezone, current);
  const scheduled = naiveNext(cron, naive);
  if (!cron.coversEveryHour) return fromNaive(cron.timezone, scheduled);
  return current + (scheduled - naive);
}

/** Airflow `CronMixin._get_prev`: the last schedule before an instant, with DST fixed. */
export function cronPrev(cron: CronSchedule, current: number): number {
  const naive = toNaive(cron.timezone, current);
  const scheduled = naivePrev(cron, naive);
  if (!cron.coversEveryHour) return fromNaive(cron.timezone, scheduled);
  return current - (naive - scheduled);
}

/** Airflow `_align_to_next`: `current` when it is on the schedule, else the next schedule. */
export function cronAlignToNext(cron: CronSchedule, current: number): number {
  const next = cronNext(cron, current);
  return cronPrev(cron, next) !== current ? next : current;
}

/** Airflow `_align_to_prev`: `current` when it is on the schedule, else the previous schedule. */
export function cronAlignToPrev(cron: CronSchedule, current: number): number {
  const prev = cronPrev(cron, current);
  return cronNext(cron, prev) !== current ? prev : current;
}
