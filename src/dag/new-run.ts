/**
 * What every new DAG run must satisfy, whoever asks for it (`dags trigger`, `dags backfill`, the schedule, a
 * TriggerDagRunOperator, the REST API): both store adapters check it in `createDagRun`, the one function that
 * creates runs, and migration 0002 repeats the run-id rule as a CHECK constraint so no other writer can store
 * a run id that templates (`{{ run_id }}` in a bash command), log lines or tables would misread.
 */
import { UsageError } from '../lib/errors.js';
import type { TaskInstanceState } from './states.js';
import type { ParamSpec } from './bundle.js';
import { ALLOWED_RUN_ID_PATTERN, ID_MAX_LENGTH, runIdProblem } from './ids.js';
import { runParamsProblem } from './run-params.js';

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
  conf?: Record<string, unknown>;
}

/** The params of the current version of a DAG, or undefined for a DAG the store does not know. */
export type ParamsOf = (dagId: string) => Readonly<Record<string, ParamSpec>> | undefined;

/**
 * Why a task's run request cannot be honoured, or null: a logical date that is no instant, a run id outside
 * Airflow's rule, or (given `paramsOf`) a conf the triggered DAG's params refuse (`runParamsProblem`, as
 * Airflow's `trigger_dag` -> `create_dagrun` raises ParamValidationError in the task).
 */
export function requestedRunProblem(request: RequestedRun, paramsOf?: ParamsOf): string | null {
  if (request.logicalDate !== null && !Number.isFinite(Date.parse(request.logicalDate))) {
    return `logical_date ${JSON.stringify(request.logicalDate.slice(0, 40))} is not an ISO 8601 instant`;
  }
  const idProblem = request.runId === null ? null : newRunProblem({ dagId: request.dagId, runId: request.runId });
  if (idProblem !== null) return idProblem;
  const params = paramsOf?.(request.dagId);
  return params === undefined ? null : runParamsProblem(params, request.conf);
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
export function refuseInvalidRunRequests<T extends OutcomeWithRequests>(outcome: T, paramsOf?: ParamsOf): T {
  for (const request of outcome.triggerDagRuns) {
    const problem = requestedRunProblem(request, paramsOf);
    if (problem === null) continue;
    const message = `TriggerDagRunOperator asked for a run of DAG ${request.dagId} that cannot be created: ${problem}`;
    const type = problem.startsWith('Invalid input for param ') ? 'ParamValidationError' : 'ValueError';
    return {
      ...outcome,
      state: 'failed',
      error: { type, message, traceback: '', retryable: false },
      exitReason: 'invalid DAG run request',
      skipTaskIds: [],
      nextRetryAt: null,
      rescheduleAt: null,
      triggerDagRuns: [],
    };
  }
  return outcome;
}
