/**
 * When a failed task instance may run again: Airflow's `TaskInstance.next_retry_datetime`
 * (`airflow/models/taskinstance.py`, Airflow 2.10+ and 3.x), reproduced exactly, jitter included.
 *
 * - Without exponential backoff the delay is `retry_delay`, uncapped.
 * - With it, `min_backoff = ceil(retry_delay * 2 ** (try_number - 1))` (at least 1 second), and the delay is
 *   `min_backoff + sha1(f"{dag_id}#{task_id}#{logical_date}#{try_number}") % min_backoff` seconds: a
 *   deterministic jitter between 1x and 2x, the same on every scheduler. That is capped at
 *   `MAX_RETRY_DELAY` (24 h) and then at the task's `max_retry_delay` when one is set (non-zero).
 * - `try_number` is the attempt that just failed, 1 for the first (Airflow >= 2.10 numbering).
 * - `logical_date` is hashed as Python prints a datetime read from the metadata database
 *   (`2024-01-01 00:00:00+00:00`), or `None` for an Airflow 3 run without a logical date.
 * - Airflow 3.2 generalised the base 2 into a numeric `retry_exponential_backoff` multiplier; a number here
 *   is used the same way (`true` means 2, `false`, 0 and 1 mean no backoff).
 *
 * Pure: the SHA-1 below is a plain implementation (no `node:crypto`); time is an argument.
 */
import { formatPythonDatetime, parseOptionalInstant, secondsToMs, type EpochMs, type InstantInput } from './durations.js';

/** Airflow's `MAX_RETRY_DELAY`: 24 hours, the cap on an exponential backoff delay. */
export const MAX_RETRY_DELAY_SECONDS = 24 * 60 * 60;

/** A task's retry settings, as the bundle's `TaskSpec` carries them. */
export interface RetrySettings {
  readonly retryDelaySeconds: number;
  /** `true` doubles the delay per try (Airflow's flag); a number is Airflow 3.2's multiplier. */
  readonly retryExponentialBackoff: boolean | number;
  /** Upper bound for the exponential delay; null or 0 means none (only the 24 h cap applies). */
  readonly maxRetryDelaySeconds: number | null;
}

/** The parts of the task-instance key the jitter hash reads. */
export interface RetryKey {
  readonly dagId: string;
  readonly taskId: string;
  /** The DAG run's logical date; null for an Airflow 3 manual run without one. */
  readonly logicalDate: InstantInput | null;
}

function utf8(text: string): number[] {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return bytes;
}

/** SHA-1 (FIPS 180-4) of a string's UTF-8 bytes; returns the 20-byte digest. */
export function sha1(text: string): Uint8Array {
  const message = utf8(text);
  const bitLength = message.length * 8;
  message.push(0x80);
  while (message.length % 64 !== 56) message.push(0);
  // 64-bit big-endian length; strings here are far below 2^32 bits.
  message.push(0, 0, 0, 0, (bitLength >>> 24) & 0xff, (bitLength >>> 16) & 0xff, (bitLength >>> 8) & 0xff, bitLength & 0xff);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  for (let offset = 0; offset < message.length; offset += 64) {
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      w[i] = ((message[j] ?? 0) << 24) | ((message[j + 1] ?? 0) << 16) | ((message[j + 2] ?? 0) << 8) | (message[j + 3] ?? 0);
    }
    for (let i = 16; i < 80; i++) {
      const x = (w[i - 3] ?? 0) ^ (w[i - 8] ?? 0) ^ (w[i - 14] ?? 0) ^ (w[i - 16] ?? 0);
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + (w[i] ?? 0)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const digest = new Uint8Array(20);
  [h0, h1, h2, h3, h4].forEach((h, i) => {
    digest[i * 4] = (h >>> 24) & 0xff;
    digest[i * 4 + 1] = (h >>> 16) & 0xff;
    digest[i * 4 + 2] = (h >>> 8) & 0xff;
    digest[i * 4 + 3] = h & 0xff;
  });
  return digest;
}

/** `int(digest_hex, 16) % modulus` without big integers (modulus <= MAX_RETRY_DELAY_SECONDS). */
function digestModulo(digest: Uint8Array, modulus: number): number {
  let remainder = 0;
  for (const byte of digest) remainder = (remainder * 256 + byte) % modulus;
  return remainder;
}

/** The string Airflow hashes for the jitter of one try. */
export function retryHashKey(key: RetryKey, tryNumber: number): string {
  const logicalDate = parseOptionalInstant(key.logicalDate, 'logicalDate');
  const dateText = logicalDate === null ? 'None' : formatPythonDatetime(logicalDate);
  return `${key.dagId}#${key.taskId}#${dateText}#${tryNumber}`;
}

function multiplierOf(backoff: boolean | number): number {
  if (backoff === true) return 2;
  if (backoff === false) return 1;
  return backoff > 0 ? backoff : 1;
}

/**
 * The wait before the next try, in milliseconds, after attempt `tryNumber` (1-based) failed.
 * See the module comment for the formula.
 */
export function retryDelayMs(settings: RetrySettings, tryNumber: number, key: RetryKey): number {
  const multiplier = multiplierOf(settings.retryExponentialBackoff);
  if (multiplier === 1) return secondsToMs(settings.retryDelaySeconds);
  let minBackoff = Math.ceil(settings.retryDelaySeconds * multiplier ** (tryNumber - 1));
  if (!(minBackoff >= 1)) minBackoff = 1; // also catches NaN
  // min_backoff + hash % min_backoff >= min_backoff: at or beyond the cap the hash cannot matter.
  let delaySeconds = minBackoff >= MAX_RETRY_DELAY_SECONDS
    ? MAX_RETRY_DELAY_SECONDS
    : Math.min(minBackoff + digestModulo(sha1(retryHashKey(key, tryNumber)), minBackoff), MAX_RETRY_DELAY_SECONDS);
  if (settings.maxRetryDelaySeconds) delaySeconds = Math.min(settings.maxRetryDelaySeconds, delaySeconds);
  return secondsToMs(delaySeconds);
}

/**
 * Airflow's `next_retry_datetime`: the earliest instant (epoch ms) the task may be tried again, counted from
 * the failed attempt's end date.
 */
export function nextRetryAt(settings: RetrySettings, tryNumber: number, endDateMs: EpochMs, key: RetryKey): EpochMs {
  return endDateMs + retryDelayMs(settings, tryNumber, key);
}
