/**
 * What every new DAG run must satisfy, whoever asks for it (`dags trigger`, `dags backfill`, the schedule, a
 * TriggerDagRunOperator, the REST API): both store adapters check it in `createDagRun`, the one function that
 * creates runs, and migration 0002 repeats the run-id rule as a CHECK constraint so no other writer can store
 * a run id that templates (`{{ run_id }}` in a bash command), log lines or tables would misread.
 */
import { UsageError } from '../lib/errors.js';
import type { TaskInstanceState } from './states.js';
import { ALLOWED_RUN_ID_PATTERN, ID_MAX_LENGTH, runIdProblem } from './ids.js';

/** The parts of a new run that are checked. */
export interface NewRunInput {
  dagId: string;
  runId: string;
}

/** Why a run cannot be created, or null. */
export function newRunProblem(run: NewRunInput): string | null {
  const problem = runIdProblem(run.runId);
  return problem === null ? null : `${problem} (Airflow's allowed_run_id_pattern ${ALLOWED_RUN_ID_PATTERN.source}, at most ${ID_MAX_LENGTH} characters)`;
}

/** Throws a UsageError naming the DAG and the fix when the run cannot be created. */
export function assertNewRun(run: NewRunInput): void {
  const problem = newRunProblem(run);
  if (problem !== null) throw new UsageError(`cannot create a run of DAG ${run.dagId}: ${problem}`);
}

/** A DAG run a finished task asks for (TriggerDagRunOperator), as far as it is checked. */
export interface RequestedRun {
  dagId: string;
  runId: string | null;
  logicalDate: string | null;
}

/** Why a task's run request cannot be honoured, or null. */
export function requestedRunProblem(request: RequestedRun): string | null {
  if (request.logicalDate !== null && !Number.isFinite(Date.parse(request.logicalDate))) {
    return `logical_date ${JSON.stringify(request.logicalDate.slice(0, 40))} is not an ISO 8601 instant`;
  }
  return request.runId === null ? null : newRunProblem({ dagId: request.dagId, runId: request.runId });
}

/** The parts of a finished attempt's outcome that a refused run request changes. */
export interface OutcomeWithRequests {
  state: TaskInstanceState;
  error: { type: string; message: string; traceback: string; retryable: boolean } | null;
  exitReason: string | null;
  skipTaskIds: string[];
  nextRetryAt: number | null;
  rescheduleAt: number | null;
  triggerDagRuns: RequestedRun[];
}

/**
 * The outcome to record for an attempt whose TriggerDagRunOperator asked for a run that cannot exist: the
 * try fails without a retry (the same request would be refused again) and says why, and none of its
 * requests, skips or retries apply, as when Airflow's trigger raises inside the task. Unchanged otherwise.
 */
export function refuseInvalidRunRequests<T extends OutcomeWithRequests>(outcome: T): T {
  for (const request of outcome.triggerDagRuns) {
    const problem = requestedRunProblem(request);
    if (problem === null) continue;
    const message = `TriggerDagRunOperator asked for a run of DAG ${request.dagId} that cannot be created: ${problem}`;
    return {
      ...outcome,
      state: 'failed',
      error: { type: 'ValueError', message, traceback: '', retryable: false },
      exitReason: 'invalid DAG run request',
      skipTaskIds: [],
      nextRetryAt: null,
      rescheduleAt: null,
      triggerDagRuns: [],
    };
  }
  return outcome;
}
