import { describe, expect, it } from 'vitest';
import { MAX_RETRY_DELAY_SECONDS, nextRetryAt, retryDelayMs, retryHashKey, sha1, type RetryKey } from './retry.js';

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

describe('sha1', () => {
  it.each([
    ['', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['a'.repeat(1000), '291e9a6c66994949b57ba5e650361e98fc36b1ba'],
    ['données', '9c27dd571fd0cbb11354921be5a748a3d79f8a22'],
  ])('sha1(%j)', (input, digest) => {
    expect(hex(sha1(input))).toBe(digest);
  });
});

describe('retryHashKey', () => {
  it('prints the logical date the way Python prints a datetime from the database', () => {
    expect(retryHashKey({ dagId: 'etl', taskId: 'load', logicalDate: '2024-03-05T08:08:09.123+01:00' }, 2)).toBe(
      'etl#load#2024-03-05 07:08:09.123000+00:00#2',
    );
    expect(retryHashKey({ dagId: 'etl', taskId: 'load', logicalDate: '2024-01-01T00:00:00Z' }, 1)).toBe('etl#load#2024-01-01 00:00:00+00:00#1');
    expect(retryHashKey({ dagId: 'etl', taskId: 'load', logicalDate: null }, 3)).toBe('etl#load#None#3');
  });
});

/**
 * Expected delays computed with Airflow's `next_retry_datetime` formula in Python (hashlib.sha1 over
 * f"{dag_id}#{task_id}#{logical_date}#{try_number}", min_backoff = ceil(delay * 2 ** (try - 1)), capped at
 * 24 h, then max_retry_delay).
 */
const LD = '2024-01-01T00:00:00+00:00';
const cases: [string, RetryKey, number, number, boolean | number, number | null, number][] = [
  // name, key, tryNumber, retryDelaySeconds, exponential, maxRetryDelaySeconds, expected delay ms
  ['linear 300 s, first retry', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 1, 300, false, null, 300_000],
  ['linear does not grow', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 5, 300, false, null, 300_000],
  ['linear ignores max_retry_delay', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 3, 300, false, 10, 300_000],
  ['exponential 300 s, try 1: between 300 and 600 s', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 1, 300, true, null, 404_000],
  ['exponential 300 s, try 2', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 2, 300, true, null, 775_000],
  ['exponential 300 s, try 3', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 3, 300, true, null, 2_173_000],
  ['exponential 300 s, try 4', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 4, 300, true, null, 4_130_000],
  ['exponential 300 s, try 8', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 8, 300, true, null, 56_670_000],
  ['exponential 300 s, try 9: the jitter crosses the 24 h cap', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 9, 300, true, null, 86_400_000],
  ['exponential 300 s, try 12: capped at 24 h', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 12, 300, true, null, 86_400_000],
  ['a max_retry_delay above the cap keeps 24 h', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 12, 300, true, 172_800, 86_400_000],
  ['exponential 10 s, try 1', { dagId: 'retry_example', taskId: 't1', logicalDate: LD }, 1, 10, true, null, 11_000],
  ['exponential 10 s, try 5', { dagId: 'retry_example', taskId: 't1', logicalDate: LD }, 5, 10, true, null, 315_000],
  ['max_retry_delay 2 h', { dagId: 'retry_example', taskId: 't1', logicalDate: LD }, 10, 10, true, 7200, 7_200_000],
  ['zero delay: at least 1 s', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 1, 0, true, null, 1_000],
  ['fractional delay rounds up', { dagId: 'etl', taskId: 'extract', logicalDate: LD }, 2, 0.4, true, null, 1_000],
  ['logical date with milliseconds', { dagId: 'etl', taskId: 'load', logicalDate: '2024-03-05T07:08:09.123Z' }, 2, 60, true, null, 220_000],
  ['no logical date (hashes "None")', { dagId: 'etl', taskId: 'load', logicalDate: null }, 2, 60, true, null, 199_000],
  ['non-ASCII ids hash as UTF-8', { dagId: 'données', taskId: 'tâche_é', logicalDate: LD }, 3, 30, true, null, 154_000],
];

describe('retryDelayMs / nextRetryAt', () => {
  it.each(cases)('%s', (_name, key, tryNumber, retryDelaySeconds, retryExponentialBackoff, maxRetryDelaySeconds, expected) => {
    const settings = { retryDelaySeconds, retryExponentialBackoff, maxRetryDelaySeconds };
    expect(retryDelayMs(settings, tryNumber, key)).toBe(expected);
    const end = Date.UTC(2024, 0, 1, 12);
    expect(nextRetryAt(settings, tryNumber, end, key)).toBe(end + expected);
  });

  it('is the same on every call (deterministic jitter)', () => {
    const settings = { retryDelaySeconds: 300, retryExponentialBackoff: true, maxRetryDelaySeconds: null };
    const key = { dagId: 'etl', taskId: 'extract', logicalDate: LD };
    expect(new Set(Array.from({ length: 5 }, () => retryDelayMs(settings, 3, key)))).toEqual(new Set([2_173_000]));
  });

  it('stays at the cap for absurd try numbers instead of overflowing', () => {
    const settings = { retryDelaySeconds: 300, retryExponentialBackoff: true, maxRetryDelaySeconds: null };
    expect(retryDelayMs(settings, 5000, { dagId: 'd', taskId: 't', logicalDate: LD })).toBe(MAX_RETRY_DELAY_SECONDS * 1000);
  });

  it('treats a multiplier of 1 or 0 as no backoff and uses another number as the base (Airflow 3.2)', () => {
    const key = { dagId: 'etl', taskId: 'extract', logicalDate: LD };
    expect(retryDelayMs({ retryDelaySeconds: 300, retryExponentialBackoff: 1, maxRetryDelaySeconds: null }, 4, key)).toBe(300_000);
    expect(retryDelayMs({ retryDelaySeconds: 300, retryExponentialBackoff: 0, maxRetryDelaySeconds: null }, 4, key)).toBe(300_000);
    // base 2 as a number is the same as `true`
    expect(retryDelayMs({ retryDelaySeconds: 300, retryExponentialBackoff: 2, maxRetryDelaySeconds: null }, 3, key)).toBe(2_173_000);
  });
});
