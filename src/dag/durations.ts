/**
 * Instants and durations for the pure scheduling code (schedules, retries, admission).
 *
 * Convention: every instant this code returns is an **epoch millisecond number** (UTC, an integer). Inputs
 * may be epoch milliseconds or ISO 8601 strings that carry a zone (`2024-01-01T00:00:00+00:00`, `...Z`);
 * a string without a zone is refused, because a naive time has no single meaning. Durations are seconds in
 * fields named `...Seconds` (the bundle contract) and milliseconds in fields named `...Ms`.
 * Sub-millisecond digits (Python keeps microseconds) are truncated.
 */
import { DagbridgeError } from '../lib/errors.js';

/** Epoch milliseconds, UTC. */
export type EpochMs = number;

/** An instant as accepted on input: epoch milliseconds or an ISO 8601 string with a zone. */
export type InstantInput = EpochMs | string;

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Reads an instant. Numbers must be finite integers (epoch ms); strings must be ISO 8601 with a zone.
 * `field` names the input in the error (`startDate`, `logicalDate`, ...).
 */
export function parseInstant(value: InstantInput, field = 'instant'): EpochMs {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidInstant(field, String(value), 'not a finite number');
    return Math.trunc(value);
  }
  const match = ISO_PATTERN.exec(value.trim());
  if (!match) {
    throw invalidInstant(field, value, 'expected ISO 8601 with a zone, e.g. 2024-01-01T00:00:00+00:00');
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw invalidInstant(field, value, 'a date or time field is out of range');
  }
  const millis = Number((frac + '000').slice(0, 3));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return local - zoneOffsetMs(zone);
}

function zoneOffsetMs(zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * HOUR_MS + minutes * MINUTE_MS);
}

function invalidInstant(field: string, value: string, why: string): DagbridgeError {
  return new DagbridgeError('USAGE', `${field}: ${JSON.stringify(value)} is not a valid instant (${why})`);
}

/** Reads an optional instant: `null`/`undefined` stay `null`. */
export function parseOptionalInstant(value: InstantInput | null | undefined, field: string): EpochMs | null {
  return value === null || value === undefined ? null : parseInstant(value, field);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function formatUtc(ms: EpochMs, separator: string): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw new DagbridgeError('INTERNAL', `instant ${ms} is out of range`, { userFacing: false });
  const head =
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `${separator}${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`;
  const millis = date.getUTCMilliseconds();
  // Python prints microseconds only when they are not zero, always with six digits.
  return `${head}${millis === 0 ? '' : `.${pad(millis, 3)}000`}+00:00`;
}

/**
 * The contract's instant format: ISO 8601 in UTC with an explicit `+00:00`, like Python's
 * `datetime.isoformat()` of an aware UTC datetime (`2024-01-01T00:00:00+00:00`).
 */
export function formatInstant(ms: EpochMs): string {
  return formatUtc(ms, 'T');
}

/**
 * `str(datetime)` of an aware UTC datetime loaded from Airflow's metadata database
 * (`2024-01-01 00:00:00+00:00`): the form Airflow hashes for retry jitter.
 */
export function formatPythonDatetime(ms: EpochMs): string {
  return formatUtc(ms, ' ');
}

/**
 * Seconds (a bundle duration) to milliseconds. Python's `timedelta(seconds=x)` keeps microseconds; this
 * rounds to the nearest millisecond, which is the resolution of every instant here.
 */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * SECOND_MS);
}
