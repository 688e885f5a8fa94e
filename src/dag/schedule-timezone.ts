/**
 * Time zones for schedules: wall-clock ("naive") time <-> instants, with Airflow's rules around DST.
 *
 * A naive time here is "epoch milliseconds of the wall clock read as if it were UTC", which lets cron
 * iteration run on plain UTC arithmetic exactly like croniter runs on naive datetimes in Airflow.
 *
 * Converting a naive time back to an instant follows Airflow's `make_aware` (it sets `fold=1` and lets
 * pendulum convert):
 * - an ambiguous wall time (clocks go back, the hour happens twice) resolves to the SECOND occurrence, i.e.
 *   the offset after the transition;
 * - a wall time that does not exist (clocks go forward) is read with the offset from before the transition,
 *   which moves it forward by the size of the gap (02:30 on a spring-forward night becomes 03:30).
 *
 * Zones are IANA names resolved through `Intl` (part of the JavaScript language, no `node:*`), `UTC`, or a
 * fixed offset such as `+05:30`.
 */
import { DagbridgeError } from '../lib/errors.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from './durations.js';

type OffsetLookup = (instant: number) => number;

const lookups = new Map<string, OffsetLookup>();

const FIXED_OFFSET = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/;
const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Z', 'Universal', 'Zulu', 'Etc/Universal', 'Etc/Zulu']);

function intlLookup(timezone: string): OffsetLookup {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (error) {
    throw new DagbridgeError(
      'USAGE',
      `timezone ${JSON.stringify(timezone)} is not a known IANA time zone (use a name such as "Europe/Amsterdam" or "UTC")`,
      { cause: error },
    );
  }
  // Since 1970 every transition in the tz database falls on a whole minute, so offsets can be cached per
  // minute; the cache is bounded because backfills walk many instants.
  const cache = new Map<number, number>();
  const compute = (instant: number): number => {
    // Offsets are whole seconds at most; comparing at second resolution keeps the subtraction exact.
    const whole = Math.floor(instant / SECOND_MS) * SECOND_MS;
    const fields: Record<string, number> = {};
    let bc = false;
    for (const part of format.formatToParts(new Date(whole))) {
      if (part.type === 'era') bc = part.value.startsWith('B');
      else if (part.type !== 'literal') fields[part.type] = Number(part.value);
    }
    const year = bc ? 1 - (fields.year ?? 0) : (fields.year ?? 0);
    const wall = Date.UTC(year, (fields.month ?? 1) - 1, fields.day ?? 1, fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0);
    // Date.UTC maps years 0..99 to 1900..1999; schedules never live there, but stay correct anyway.
    const fixed = year >= 0 && year < 100 ? new Date(wall).setUTCFullYear(year) : wall;
    return fixed - whole;
  };
  return (instant: number): number => {
    if (instant < 0) return compute(instant);
    const minute = Math.floor(instant / MINUTE_MS);
    let offset = cache.get(minute);
    if (offset === undefined) {
      if (cache.size >= 50_000) cache.clear();
      offset = compute(minute * MINUTE_MS);
      cache.set(minute, offset);
    }
    return offset;
  };
}

function offsetLookup(timezone: string): OffsetLookup {
  const cached = lookups.get(timezone);
  if (cached) return cached;
  let lookup: OffsetLookup;
  const fixed = FIXED_OFFSET.exec(timezone);
  if (UTC_NAMES.has(timezone)) {
    lookup = () => 0;
  } else if (fixed) {
    const [, sign, hours = '0', minutes = '0'] = fixed;
    const offset = (sign === '-' ? -1 : 1) * (Number(hours) * HOUR_MS + Number(minutes) * MINUTE_MS);
    lookup = () => offset;
  } else {
    lookup = intlLookup(timezone);
  }
  lookups.set(timezone, lookup);
  return lookup;
}

/** Throws a user-facing error naming the zone when it cannot be resolved. */
export function assertTimezone(timezone: string): void {
  offsetLookup(timezone)(0);
}

/** The zone's UTC offset in milliseconds at an instant (positive east of Greenwich). */
export function utcOffsetMs(timezone: string, instant: number): number {
  return offsetLookup(timezone)(instant);
}

/** Wall-clock time of an instant in a zone, as naive epoch milliseconds (Airflow's `make_naive`). */
export function toNaive(timezone: string, instant: number): number {
  return instant + utcOffsetMs(timezone, instant);
}

/**
 * The instant of a wall-clock time in a zone (Airflow's `make_aware`, which uses `fold=1`): see the module
 * comment for ambiguous and missing times.
 */
export function fromNaive(timezone: string, naive: number): number {
  const lookup = offsetLookup(timezone);
  // Any instant for this wall time lies within +-14 h of it; 36 h either side brackets the transition.
  const before = lookup(naive - 1.5 * DAY_MS);
  const after = lookup(naive + 1.5 * DAY_MS);
  if (before === after) {
    const instant = naive - before;
    if (lookup(instant) === before) return instant;
  }
  const withBefore = naive - before;
  const withAfter = naive - after;
  const beforeValid = lookup(withBefore) === before;
  const afterValid = lookup(withAfter) === after;
  if (afterValid) return withAfter; // unique with the later offset, or ambiguous: fold=1 takes the second
  if (beforeValid) return withBefore;
  // A gap: pendulum moves the wall time forward by the gap, i.e. reads it with the earlier offset.
  return withBefore;
}
