/**
 * The local executor wired to the worker's attempt code: what `dagbridge standalone` and `dagbridge dags test`
 * both run their task instances with.
 */
import { LocalExecutor, type RunAttempt } from '../executor/local-executor.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { runAttempt, type AttemptContext } from '../worker/attempt.js';

/** Settings of {@link localAttemptExecutor}. */
export interface LocalAttemptOptions {
  context: AttemptContext;
  concurrency: number;
  /** Called whenever an attempt settles: the scheduler decides what runs next. */
  onSettled: () => void;
  log: Logger;
  /** Replaces the attempt runner (tests). */
  runAttempt?: RunAttempt;
}

/** A local pool whose slots run each queued task instance's current try through {@link runAttempt}. */
export function localAttemptExecutor(options: LocalAttemptOptions): LocalExecutor {
  return new LocalExecutor({
    concurrency: options.concurrency,
    runAttempt: options.runAttempt ?? (async (ti, signal) => void (await runAttempt(options.context, ti, ti.tryNumber, signal))),
    onAttemptSettled: () => options.onSettled(),
    onAttemptError: (ti, error) =>
      options.log.error('attempt failed unexpectedly', { dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, error: errorMessage(error) }),
  });
}
