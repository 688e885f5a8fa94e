/**
 * Retrying an operation that must not be lost (recording a task's outcome) across a database or network outage:
 * capped exponential backoff until it succeeds or `maxElapsedMs` has passed.
 */
import { errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import { sleep } from './sleep.js';
import { isUnreachable } from './unreachable.js';

/** Options of {@link retrying}. */
export interface RetryOptions {
  /** What is being done, for the log line ("record the outcome of ..."). */
  what: string;
  log: Logger;
  /** Give up (rethrow the last error) after this long. Default 10 minutes. */
  maxElapsedMs?: number;
  /** First delay; doubles up to `maxDelayMs`. Defaults 200 ms and 10 s. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Which errors are worth another try; the others are thrown at once. Default: every error. */
  retryIf?: (error: unknown) => boolean;
}

/** Runs `operation` until it resolves; rethrows once `maxElapsedMs` has passed. */
export async function retrying<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const started = Date.now();
  let delay = options.firstDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (options.retryIf && !options.retryIf(error)) throw error;
      if (Date.now() - started + delay > (options.maxElapsedMs ?? 600_000)) throw error;
      options.log.warn(`could not ${options.what}; retrying`, { attempt, retryInMs: delay, error: errorMessage(error) });
      await sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 10_000);
    }
  }
}

/**
 * Runs a store operation of start-up, waiting with backoff (and a log line per attempt naming what it waits for)
 * while PostgreSQL is unreachable, for up to 10 minutes; any other error is thrown at once.
 */
export function waitForStore<T>(what: string, operation: () => Promise<T>, log: Logger): Promise<T> {
  return retrying(operation, { what: `${what} (waiting for PostgreSQL)`, log, retryIf: isUnreachable, maxElapsedMs: 600_000, maxDelayMs: 5_000 });
}
