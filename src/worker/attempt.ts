/**
 * One attempt of one task instance, shared by the worker and the local executor:
 * start (compare-and-set `queued -> running` on the expected try) -> run the task subprocess with its log
 * streamed to the store -> decide the instance's next state with Airflow's rules -> record it (compare-and-set
 * from `running` on the same try). A message for a try that already started is dropped at the first step,
 * which is what makes redelivery harmless.
 */
import { userInfo } from 'node:os';
import path from 'node:path';
import { applyTaskResult } from '../dag/apply-result.js';
import type { DagSpec, TaskSpec } from '../dag/bundle.js';
import { buildGraph, type DagGraph } from '../dag/graph.js';
import { nextRetryAt } from '../dag/retry.js';
import { nextDataIntervalAfter, scheduleSettingsOf } from '../dag/schedule.js';
import type { TaskInstanceState } from '../dag/states.js';
import { errorMessage } from '../lib/errors.js';
import { FileHashes } from '../lib/file-hash.js';
import { CONF_LIMIT_SETTINGS, DEFAULT_JSON_LIMITS, describeJsonLimitProblem, jsonLimitProblem, xcomLimitMessage, type JsonLimits } from '../lib/json-limits.js';
import type { Logger } from '../lib/logger.js';
import { retrying } from '../lib/retry.js';
import type { AttemptOutcome, DagRunRecord, MetadataStore, TaskInstanceKey, TaskInstanceRecord, WorkerIdentity } from '../ports/metadata-store.js';
import { LogBatcher } from './log-batcher.js';
import { taskDatasetEvents } from './task-dataset-events.js';
import { withheldVariableHint, type TaskEnvSettings } from './task-env.js';
import type { ForkServers } from './fork-server.js';
import { runTaskProcess, TaskSpecError, type TaskProcessOutcome } from './task-process.js';
import { TASK_RUN_CONTRACT_VERSION, type TaskRunInput, type TaskRunResult } from '../ports/task-run-contract.js';
import type { ConnectionSource } from '../ports/connections.js';
import type { ChannelLimits } from '../ports/task-channel.js';
import { taskChannelHandlers } from './channel-handlers.js';

/** What an attempt needs from its host (worker or local executor). */
export interface AttemptContext {
  store: MetadataStore;
  identity: WorkerIdentity;
  /** The interpreter's real executable. */
  python: string;
  dagsFolder: string;
  noAirflow: boolean;
  env: TaskEnvSettings;
  killGraceMs: number;
  logCapBytes: number;
  workBaseDir?: string;
  /**
   * Users tasks may run as (`--run-as-user`): the first for tasks without `run_as_user`, any listed one for a task
   * that names it. Empty or absent: tasks run as this process's user, and one that names a user fails.
   */
  runAsUsers?: readonly string[];
  log: Logger;
  clock?: () => number;
  /** Fork attempts from these warm servers (fork-server.ts); none: a fresh interpreter per attempt. */
  forkServers?: ForkServers | null;
  /** `tasks test`: the context's test_mode. */
  testMode?: boolean;
  /**
   * Where the channel's `connection.get` looks up Connections (the metadata table, a secrets file). Absent: it
   * answers null and the task sees only `AIRFLOW_CONN_*` variables.
   */
  connections?: ConnectionSource | null;
  /**
   * Bounds of the JSON a task hands back (settings maxXcomBytes, maxConfBytes, maxJsonDepth): a larger XCom fails
   * the task (retries apply, as for any exception the task raises), a run it triggers with a larger conf fails it
   * without retry. Default DEFAULT_JSON_LIMITS.
   */
  jsonLimits?: JsonLimits;
  /** Caps of each attempt's supervisor channel (tests lower them). Default DEFAULT_CHANNEL_LIMITS. */
  channelLimits?: Partial<ChannelLimits>;
  /** `dags test`: its manual run is not externally triggered (Airflow 2.10.5's DAG.test leaves external_trigger False). */
  dagTest?: boolean;
  /** Every stored log line, as it is written (live output of `tasks test`). */
  onLogLine?: (key: TaskInstanceKey, line: { stream: string; line: string; at: number }) => void;
}

/** How an attempt ended, for the caller's bookkeeping (the store already has the truth). */
export type AttemptReport =
  | { status: 'not_started'; reason: string }
  | { status: 'finished'; state: TaskInstanceState; recorded: boolean; durationMs: number }
  | { status: 'handed_back'; reason: string };

/** The abort reason of an attempt whose task instance was set to another state while it ran. */
export class TaskInstanceChanged extends Error {
  override name = 'TaskInstanceChanged';
}

const graphs = new Map<string, { spec: DagSpec; graph: DagGraph }>();

/** The DAG version a run was created with, and its graph (memoised per version). */
async function specOf(store: MetadataStore, run: DagRunRecord): Promise<{ spec: DagSpec; graph: DagGraph } | null> {
  const id = `${run.dagId}\u0000${run.versionHash}`;
  const cached = graphs.get(id);
  if (cached) return cached;
  const spec = await store.getDagVersion(run.dagId, run.versionHash);
  if (!spec) return null;
  const entry = { spec, graph: buildGraph(spec) };
  if (graphs.size > 256) graphs.clear();
  graphs.set(id, entry);
  return entry;
}

/** The task-run input document for one attempt. */
export function buildRunInput(
  run: DagRunRecord,
  instance: TaskInstanceRecord,
  xcoms: TaskRunInput['xcoms'],
  variables: Record<string, string>,
  testMode: boolean,
  options: { dagTest?: boolean; nextDataInterval?: { start: string; end: string } | null; previousSuccess?: DagRunRecord | null } = {},
): TaskRunInput {
  const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
  const previousSuccess = options.previousSuccess ?? null;
  return {
    version: TASK_RUN_CONTRACT_VERSION,
    dagId: run.dagId,
    taskId: instance.taskId,
    runId: run.runId,
    mapIndex: instance.mapIndex,
    tryNumber: instance.tryNumber,
    maxTries: instance.maxTries,
    runType: run.runType,
    logicalDate: run.logicalDate,
    dataIntervalStart: run.dataIntervalStart,
    dataIntervalEnd: run.dataIntervalEnd,
    runAfter: run.runAfter,
    dagRunStartDate: run.startDate === null ? null : new Date(run.startDate).toISOString(),
    conf: run.conf,
    xcoms,
    variables,
    testMode,
    sensorFirstPokeAt: instance.sensorFirstPokeAt === null ? null : new Date(instance.sensorFirstPokeAt).toISOString(),
    prevDataIntervalStartSuccess: previousSuccess?.dataIntervalStart ?? null,
    prevDataIntervalEndSuccess: previousSuccess?.dataIntervalEnd ?? null,
    prevStartDateSuccess: iso(previousSuccess?.startDate),
    prevEndDateSuccess: iso(previousSuccess?.endDate),
    externalTrigger: run.runType === 'manual' && !(options.dagTest ?? false),
    nextDataInterval: options.nextDataInterval,
    dagRunQueuedAt: iso(run.queuedAt),
    dagRunEndDate: iso(run.endDate),
    dagHash: run.versionHash,
  };
}

/** The next run's data interval for LatestOnlyOperator; undefined (the shim's own estimate) when the schedule cannot say. */
function nextIntervalOf(spec: DagSpec, run: DagRunRecord): { start: string; end: string } | null | undefined {
  try {
    const next = nextDataIntervalAfter(scheduleSettingsOf(spec), run);
    return next === null ? null : { start: new Date(next.start).toISOString(), end: new Date(next.end).toISOString() };
  } catch {
    // A schedule dagbridge cannot evaluate (such a DAG gets no scheduled runs): leave the estimate to the shim.
    return undefined;
  }
}

/** A failure to record when the subprocess gave no result. */
function processFailure(outcome: TaskProcessOutcome): { result: TaskRunResult; exitReason: string } {
  const failure = outcome.failure ?? { type: 'TaskResultMissing', message: 'the task process gave no result', retryable: true };
  return {
    exitReason: failure.message,
    result: {
      version: TASK_RUN_CONTRACT_VERSION,
      state: 'failed',
      xcoms: [],
      followTaskIds: null,
      skipTaskIds: [],
      rescheduleAt: null,
      error: { type: failure.type, message: failure.message, traceback: '', retryable: failure.retryable },
      renderedFields: {},
      triggerDagRuns: [],
      outletEvents: [],
      renderedMapIndex: null,
    },
  };
}

/**
 * The task instances applyTaskResult needs: the run's other instances only when a success skips some of them
 * (branch, short-circuit, LatestOnly); otherwise the instance as startTry returned it, not read again: what the
 * result needs of it (running on this try, its max tries) changes while it runs only by a clear (restarting) or
 * a state set by hand, and finishTry's compare-and-set decides those. Reading the whole run for every attempt
 * made each task cost O(tasks in the run) in database reads.
 */
async function instancesForResult(store: MetadataStore, run: DagRunRecord, started: TaskInstanceRecord, result: TaskRunResult): Promise<TaskInstanceRecord[]> {
  if (result.state === 'success' && (result.skipTaskIds.length > 0 || result.followTaskIds !== null)) return store.listTaskInstances(run);
  return [started];
}

/** Runs one attempt of `key` on try `tryNumber`. Never throws for task failures. */
export async function runAttempt(ctx: AttemptContext, key: TaskInstanceKey, tryNumber: number, signal?: AbortSignal): Promise<AttemptReport> {
  const now = ctx.clock ?? Date.now;
  const log = ctx.log.child({ dagId: key.dagId, runId: key.runId, taskId: key.taskId, mapIndex: key.mapIndex, tryNumber });
  const start = await ctx.store.startTry(key, tryNumber, ctx.identity, now());
  if (!start.started) {
    log.info('not starting: the message is stale or a duplicate', { reason: start.reason });
    return { status: 'not_started', reason: start.reason };
  }
  const { run, instance } = start;
  const logs = new LogBatcher(ctx.store, key, tryNumber, log, {
    onLine: ctx.onLogLine ? (line) => ctx.onLogLine?.(key, line) : undefined,
  });
  const finish = async (state: TaskInstanceState, outcome: Omit<AttemptOutcome, 'key' | 'tryNumber' | 'state' | 'endDate'>, durationMs: number): Promise<AttemptReport> => {
    logs.add('system', `dagbridge: try ${tryNumber} finished: ${state}${outcome.exitReason ? ` (${outcome.exitReason})` : ''}`, now());
    await logs.close();
    // The outcome must survive a database outage: the worker keeps trying while it lives.
    const endDate = now();
    const recorded = await retrying(() => ctx.store.finishTry({ key, tryNumber, state, endDate, ...outcome }), {
      what: `record the outcome of ${key.dagId}.${key.taskId} try ${tryNumber}`,
      log,
    });
    if (!recorded) log.warn('the outcome was not recorded: the task instance changed while it ran (cleared or handed to another worker)');
    return { status: 'finished', state, recorded, durationMs };
  };

  // From here on the try is started: whatever goes wrong in this worker must end it with an outcome, or the
  // instance would stay `running` for as long as this worker heartbeats (nothing else repairs it).
  let finishing = false;
  const finishOnce: typeof finish = (...args) => {
    finishing = true;
    return finish(...args);
  };
  try {
    return await runStarted({ ctx, key, tryNumber, signal, run, instance, logs, log, now, finish: finishOnce });
  } catch (thrown) {
    if (finishing) throw thrown;
    // Not retryable: the same worker code would refuse the same task again (an id it cannot pass to the shim, a
    // DAG version it cannot read). Store outages do not land here: the reads before the run ride them out.
    const message = `the worker could not run this try: ${errorMessage(thrown)}`;
    log.error('task attempt failed in the worker; recording the try as failed', { error: errorMessage(thrown) });
    logs.add('system', `dagbridge: ${message}`, now());
    return finishOnce('failed', {
      xcoms: [], skipTaskIds: [], nextRetryAt: null, rescheduleAt: null, exitCode: null, signal: null, exitReason: message, triggerDagRuns: [],
      error: { type: thrown instanceof TaskSpecError ? 'TaskSpecError' : 'WorkerError', message, traceback: '', retryable: false },
    }, 0);
  }
}

interface StartedTry {
  ctx: AttemptContext;
  key: TaskInstanceKey;
  tryNumber: number;
  signal: AbortSignal | undefined;
  run: DagRunRecord;
  instance: TaskInstanceRecord;
  logs: LogBatcher;
  log: Logger;
  now: () => number;
  finish: (state: TaskInstanceState, outcome: Omit<AttemptOutcome, 'key' | 'tryNumber' | 'state' | 'endDate'>, durationMs: number) => Promise<AttemptReport>;
}

/** The part of an attempt after `startTry` succeeded. Throws only for errors of this worker, never for the task's. */
async function runStarted({ ctx, key, tryNumber, signal, run, instance, logs, log, now, finish }: StartedTry): Promise<AttemptReport> {
  const read = <T>(what: string, operation: () => Promise<T>): Promise<T> =>
    retrying(operation, { what: `read ${what} for ${key.dagId}.${key.taskId} try ${tryNumber}`, log, maxElapsedMs: 60_000 });
  const entry = await read('the DAG version', () => specOf(ctx.store, run));
  const task: TaskSpec | undefined = entry?.graph.tasks.get(key.taskId);
  if (!entry || !task) {
    const message = `task ${key.taskId} is not in the version of DAG ${key.dagId} this run was created with`;
    return finish('failed', {
      xcoms: [], skipTaskIds: [], nextRetryAt: null, rescheduleAt: null, exitCode: null, signal: null, exitReason: message, triggerDagRuns: [],
      error: { type: 'TaskNotFound', message, traceback: '', retryable: false },
    }, 0);
  }

  // XComs and Variables are read when the task asks, over the supervisor channel (xcom.pull, variable.get):
  // nothing of the run's XComs is loaded up front, whatever their size.
  // prev_*_success: Airflow's get_previous_dagrun(state=SUCCESS), the latest successful run before this one.
  const previousSuccess = await read('the previous successful run', () => ctx.store.previousRun(run, 'success'));
  const datasetEvents = await read('dataset events', () => taskDatasetEvents(ctx.store, run, task));
  const input = {
    ...buildRunInput(run, instance, [], {}, ctx.testMode ?? false, {
      dagTest: ctx.dagTest,
      nextDataInterval: task.kind === 'latest_only' ? nextIntervalOf(entry.spec, run) : undefined,
      previousSuccess,
    }),
    ...datasetEvents,
  };
  logs.add('system', `dagbridge: starting try ${tryNumber} of ${key.taskId} on ${ctx.identity.hostname} (worker ${ctx.identity.workerId})`, now());
  const drift = await fileDrift(ctx.dagsFolder, entry.spec.file, entry.spec.fileHash);
  if (drift) {
    // The task runs the code this worker has; the log says it is not the code the run was scheduled from.
    logs.add('system', `dagbridge: warning: ${drift}`, now());
    log.warn(drift);
  }

  const user = chooseRunAsUser(task.runAsUser, ctx.runAsUsers ?? [], () => userInfo().username);
  if ('refused' in user) {
    return finish('failed', {
      xcoms: [], skipTaskIds: [], nextRetryAt: null, rescheduleAt: null, exitCode: null, signal: null, exitReason: user.refused, triggerDagRuns: [],
      error: { type: 'RunAsUserError', message: user.refused, traceback: '', retryable: false },
    }, 0);
  }
  // A task whose callable runs in another interpreter gains nothing from a warm parent: its shim starts fresh.
  // A warm fork server parses the DAG file without a channel: it is given the variables table to parse with
  // (parsed DAGs are cached per table digest), as a fresh interpreter's parse reads the table over the channel.
  const forkServers = task.kind === 'external_python' || task.kind === 'virtualenv' ? null : ctx.forkServers ?? null;
  const parseVariables = forkServers ? await read('the variables', () => ctx.store.listVariables()) : undefined;
  const outcome = await runTaskProcess(
    {
      input,
      command: { kind: 'shim', python: ctx.python, dagsFolder: ctx.dagsFolder, file: entry.spec.file, noAirflow: ctx.noAirflow, fileHash: entry.spec.fileHash },
      forkServers,
      ...(parseVariables ? { parseVariables } : {}),
      owner: task.owner,
      executionTimeoutSeconds: task.executionTimeoutSeconds,
      killGraceMs: ctx.killGraceMs,
      workBaseDir: ctx.workBaseDir,
      runAsUser: user.user,
      env: ctx.env,
      logLimitBytes: ctx.logCapBytes,
      signal,
      channel: { handlers: taskChannelHandlers({ store: ctx.store, connections: ctx.connections, limits: ctx.jsonLimits }), limits: ctx.channelLimits },
    },
    { onLogLine: (line) => logs.add(line.stream, line.line, line.at), now },
  );

  if (outcome.aborted) {
    if (signal?.reason instanceof TaskInstanceChanged) {
      // Not the worker's to hand back: the instance is already in another state (requeueTry would refuse).
      logs.add('system', `dagbridge: ${signal.reason.message}`, now());
      await logs.close();
      return { status: 'handed_back', reason: signal.reason.message };
    }
    await logs.close();
    const reason = 'handed back: the worker stopped before the task finished';
    const handedBack = await retrying(() => ctx.store.requeueTry(key, tryNumber, 'running', reason, now()), { what: `hand back ${key.dagId}.${key.taskId}`, log, maxElapsedMs: 30_000 });
    log.info('task handed back', { handedBack });
    return { status: 'handed_back', reason };
  }

  const { result, exitReason } = outcome.result
    ? { result: withinJsonLimits(outcome.result, key, ctx.jsonLimits ?? DEFAULT_JSON_LIMITS), exitReason: outcome.exitCode !== 0 ? `exit code ${outcome.exitCode}` : null }
    : processFailure(outcome);
  const error = result.error;

  let state: TaskInstanceState;
  let skipTaskIds: string[] = [];
  let skipMapIndex: number | null = null;
  let retryAt: number | null = null;
  let rescheduleAt: number | null = null;
  try {
    const tis = await instancesForResult(ctx.store, run, instance, result);
    const decision = applyTaskResult(entry.spec, tis, {
      taskId: key.taskId,
      mapIndex: key.mapIndex,
      state: result.state,
      followTaskIds: result.followTaskIds,
      skipTaskIds: result.skipTaskIds,
      retryable: error?.retryable ?? true,
      rescheduleAt: result.rescheduleAt ? Date.parse(result.rescheduleAt) : null,
      now: now(),
      nextRetryAt: (t, n, endMs) => nextRetryAt(t, n, endMs, { dagId: key.dagId, taskId: key.taskId, logicalDate: run.logicalDate }),
    }, entry.graph);
    const [own, ...others] = decision.transitions;
    state = own?.to ?? 'failed';
    retryAt = own?.nextRetryAt ?? null;
    rescheduleAt = own?.rescheduleAt ?? null;
    skipTaskIds = [...new Set(others.filter((t) => t.to === 'skipped').map((t) => t.taskId))];
    skipMapIndex = decision.skipMapIndex;
    if (decision.unknownSkipTaskIds.length > 0) {
      logs.add('system', `dagbridge: ignoring skip of unknown task ids: ${decision.unknownSkipTaskIds.join(', ')}`, now());
    }
  } catch (thrown) {
    // The instance is no longer running on this try (cleared meanwhile): finishTry's compare-and-set refuses it too.
    log.warn('could not apply the task result', { error: errorMessage(thrown) });
    state = result.state;
  }
  if (error) logs.add('system', `dagbridge: ${error.type}: ${error.message}`, now());
  const withheld = error ? withheldVariableHint(error, process.env, ctx.env) : null;
  if (withheld) logs.add('system', `dagbridge: ${withheld}`, now());
  if (outcome.droppedLogBytes > 0) logs.add('system', `dagbridge: ${outcome.droppedLogBytes} bytes of output were not stored (log cap)`, now());

  return finish(state, {
    xcoms: result.xcoms.map((x) => ({ key: x.key, value: x.value })),
    skipTaskIds,
    skipMapIndex,
    nextRetryAt: retryAt,
    rescheduleAt,
    error,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    exitReason,
    triggerDagRuns: result.triggerDagRuns,
    outletEvents: result.outletEvents,
    renderedMapIndex: result.renderedMapIndex,
    renderedFields: result.renderedFields,
  }, outcome.durationMs);
}

/**
 * The result, or a failed one when it hands back more than the limits allow: an XCom value past maxXcomBytes or
 * maxJsonDepth (retryable, as the exception Airflow's XCom serialization raises in the task), or a triggered run's
 * conf past maxConfBytes or maxJsonDepth (not retryable: the same conf would be refused again). Nothing of a
 * refused result is stored or triggered.
 */
export function withinJsonLimits(result: TaskRunResult, key: TaskInstanceKey, limits: JsonLimits): TaskRunResult {
  const fail = (type: string, message: string, retryable: boolean): TaskRunResult => ({
    ...result, state: 'failed', xcoms: [], triggerDagRuns: [], outletEvents: [], followTaskIds: null, skipTaskIds: [], rescheduleAt: null,
    error: { type, message: `${key.dagId}.${key.taskId}: ${message}`, traceback: '', retryable },
  });
  for (const xcom of result.xcoms) {
    const tooBig = xcomLimitMessage(xcom.key, xcom.value, limits);
    if (tooBig) return fail('XComLimitExceeded', tooBig, true);
  }
  for (const trigger of result.triggerDagRuns) {
    const problem = jsonLimitProblem(trigger.conf, { maxBytes: limits.maxConfBytes, maxDepth: limits.maxJsonDepth });
    if (problem) return fail('AirflowFailException', describeJsonLimitProblem(`the conf of the run of DAG ${trigger.dagId} it triggers`, problem, CONF_LIMIT_SETTINGS), false);
  }
  return result;
}

/**
 * The user a task runs as: its own `run_as_user` when the worker allows that user, else the worker's first
 * allowed user, else null (the worker's own user). A task that names a user the worker does not allow is refused:
 * a DAG author must not pick the worker's user (often root) or anyone else the operator did not list. As in
 * Airflow (base_task_runner.py: no sudo when `run_as_user` is the current user), a worker without
 * `--run-as-user` runs a task that names the worker's own user. `selfUser` is asked only then: looking the
 * worker's user up reads the user database, which most tasks (no `run_as_user`) never need.
 */
export function chooseRunAsUser(taskUser: string | undefined, allowed: readonly string[], selfUser: () => string): { user: string | null } | { refused: string } {
  if (taskUser === undefined) return { user: allowed[0] ?? null };
  if (allowed.includes(taskUser)) return { user: taskUser };
  if (allowed.length === 0 && taskUser === selfUser()) return { user: null };
  const listed = allowed.length === 0 ? 'it allows none' : `it allows ${allowed.join(', ')}`;
  return { refused: `the task's run_as_user ${JSON.stringify(taskUser)} is not a user this worker runs tasks as (${listed}): start the worker with --run-as-user naming it (env DAGBRIDGE_RUN_AS_USER), as root` };
}

/** The DAG files' hashes this process has taken, shared by its attempts. */
const workerFileHashes = new FileHashes();

/**
 * Whether the DAG file on this worker differs from the version the run was created with (a deployment that has
 * not reached every machine). Returns a sentence saying so, or null when they match.
 */
export async function fileDrift(dagsFolder: string, file: string, expectedHash: string, hashes: FileHashes = workerFileHashes): Promise<string | null> {
  let hash: string;
  try {
    hash = await hashes.hashOf(path.join(dagsFolder, file));
  } catch {
    // A missing file fails the task in the shim with a clear import error; nothing to add here.
    return null;
  }
  return hash === expectedHash ? null : `DAG file ${file} on this worker (sha256 ${hash.slice(0, 12)}) differs from the version this run was scheduled from (${expectedHash.slice(0, 12)}); deploy the same DAG repo to every machine`;
}
