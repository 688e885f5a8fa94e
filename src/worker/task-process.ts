/**
 * The task subprocess runner (contract 3, the task run): starts one task attempt as
 * `python -m dagbridge_shim run ...`, streams its log, enforces execution_timeout, and turns whatever happened
 * into a {@link TaskProcessOutcome}.
 *
 * Invariants:
 * - No shell. The worker starts the task supervisor (task-supervisor.ts), which starts the task in a session of
 *   its own; both are detached from the worker's terminal, so a Ctrl-C there never reaches them.
 * - Its environment is exactly {@link buildTaskEnv}'s allow-list (`extendEnv: false`): worker secrets stay out.
 * - Its working directory is the worker's (`cwd`, default the worker's own), as Airflow's workers run tasks: a DAG
 *   file that opens `include/...` relative to it at parse time opens the same file in the task as in the export.
 *   Each attempt still has a fresh private directory: its `tmp/` is the task's TMPDIR (BashOperator's temporary
 *   cwd is made there) and the result file sits beside it; it is removed afterwards unless `keepWorkDir`.
 * - Whatever ends the attempt (normal exit, timeout, abort, the worker's death), every process the task
 *   started is ended before the supervisor exits: SIGTERM, `killGraceMs`, then SIGKILL, for all descendants,
 *   also those that left the task's group and session. The log says how many were left.
 * - Output is never buffered whole and never blocks the task: see log-lines.ts.
 * - Task failures are outcomes, never exceptions. Only an invalid spec (a programming or data error) throws,
 *   before anything is started, and a throwing `onLogLine` hook rethrows once the group is reaped.
 */
import { createHash } from 'node:crypto';
import { getMaxListeners, setMaxListeners } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { isValidKey, KEY_MAX_LENGTH } from '../dag/ids.js';
import { DagbridgeError, errorMessage } from '../lib/errors.js';
import { SHIM_ROOT } from '../shim/python.js';
import { LogCapture, LOG_MARKER_PREFIX, type LogLine } from './log-lines.js';
import { describeReaped, SUPERVISOR_MARGIN_MS, SupervisorReports, supervisorArgv, type SupervisorReport } from './task-supervisor.js';
import { buildBaseTaskEnv, taskEnvFromBase, type TaskEnvSettings } from './task-env.js';
import type { ForkServers } from './fork-server.js';
import { defaultAttemptBase, describeBaseError, prepareAttemptBase, writeAttemptMarker } from './attempt-dirs.js';
import { taskRunInputSchema, type TaskRunInput, type TaskRunResult } from '../ports/task-run-contract.js';
import { reapProcessGroup, trackGroup, untrackGroup } from './process-group.js';
import { readResult } from './task-result.js';
import { startChannelServer, type ChannelHandlers, type ChannelServer } from './channel-server.js';
import { CHANNEL_SOCKET_ENV, CHANNEL_TOKEN_ENV, type ChannelLimits } from '../ports/task-channel.js';

export { processGroupAlive, reapProcessGroup, runningTaskProcessGroups } from './process-group.js';

/** Default wait between SIGTERM and SIGKILL: 5 s. */
export const DEFAULT_KILL_GRACE_MS = 5_000;
/** Default largest result file read: 32 MiB (XComs travel in it). */
export const DEFAULT_MAX_RESULT_BYTES = 32 * 1024 * 1024;
/** How long, after the group is gone, pipes may stay open (held by a process that left the group). */
const ORPHAN_PIPE_WAIT_MS = 2_000;
/** A POSIX user name (as `useradd` accepts by default). */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
/** Longest delay `setTimeout` accepts (2^31 - 1 ms); longer timeouts are chained. */
const MAX_TIMER_MS = 2_147_483_647;


/** How to start the shim for a task: `python -m dagbridge_shim run` against a DAG file. */
export interface ShimCommand {
  readonly kind: 'shim';
  /** The interpreter's real executable (`resolvePython().executable`). */
  readonly python: string;
  /** Absolute path of the DAGs folder. */
  readonly dagsFolder: string;
  /** The DAG file, relative to `dagsFolder`. */
  readonly file: string;
  /** Run with the stand-ins even when Airflow is importable. Default: false. */
  readonly noAirflow?: boolean;
  /**
   * sha256 of the DAG file version the run was scheduled from. The fork server forks only for a file with this
   * content (another version runs in a fresh interpreter). Default: any content.
   */
  readonly fileHash?: string | null;
}

/** A raw command line (tests, alternative runtimes). The runner appends `--result PATH`, as for the shim. */
export interface ArgvCommand {
  readonly kind: 'argv';
  readonly argv: readonly [string, ...string[]];
  /** The interpreter that runs the task's supervisor (stdlib only; `resolvePython().executable`). */
  readonly python: string;
}

/** One task attempt to run. */
export interface TaskProcessSpec {
  /** Written to the process's stdin as JSON; its key (dagId, taskId, runId, mapIndex) names the attempt. */
  readonly input: TaskRunInput;
  readonly command: ShimCommand | ArgvCommand;
  /** The task's `owner`, for AIRFLOW_CTX_DAG_OWNER. */
  readonly owner?: string | null;
  /** The task's execution_timeout; null or 0 means none (as in Airflow, where timedelta(0) is falsy). */
  readonly executionTimeoutSeconds: number | null;
  /** Wait between SIGTERM and SIGKILL to the process group. Default {@link DEFAULT_KILL_GRACE_MS}. */
  readonly killGraceMs?: number;
  /**
   * Where attempt directories are created. Default: `<os tmpdir>/dagbridge-attempts-<uid>`. It must belong to this
   * process's user and be writable by no one else (attempt-dirs.ts); dagbridge creates it with 0700.
   */
  readonly workBaseDir?: string;
  /**
   * Run the task as this user: the supervisor gives it the attempt directory and switches to its uid, gid and
   * groups before it starts the task. Needs a worker running as root. Default: the worker's own user.
   */
  readonly runAsUser?: string | null;
  /** Leave the attempt directory on disk (debugging). Default: false. */
  readonly keepWorkDir?: boolean;
  /**
   * The task's working directory. Default: the worker's (`process.cwd()`), where `dagbridge worker` was started,
   * as an Airflow worker's tasks run in its working directory. Files a task writes by relative path land there,
   * shared by every task of the worker (docs/operations.md, "Task isolation").
   */
  readonly cwd?: string;
  /** Environment allow-list settings. */
  readonly env?: TaskEnvSettings;
  /** The worker's environment that the allow-list picks from. Default: `process.env`. */
  readonly parentEnv?: Readonly<Record<string, string | undefined>>;
  /** Cap of the whole attempt's log, in bytes. Default 64 MiB. */
  readonly logLimitBytes?: number;
  /** Cap of one log line, in bytes. Default 64 KiB. */
  readonly maxLineBytes?: number;
  /** Largest result file accepted. Default {@link DEFAULT_MAX_RESULT_BYTES}. */
  readonly maxResultBytes?: number;
  /** Aborting it (worker shutdown) kills the group like a timeout; the outcome says `aborted`. */
  readonly signal?: AbortSignal;
  /**
   * Serve the task a supervisor channel (channel-server.ts) with these request kinds, scoped to the input's
   * task instance. Absent: the task has none (its channel requests fail with `no_channel`).
   */
  readonly channel?: { readonly handlers: ChannelHandlers; readonly limits?: Partial<ChannelLimits> };
  /**
   * Fork shim attempts from these warm servers (fork-server.ts); an attempt they cannot serve, and every attempt
   * without them, starts a fresh interpreter. Default: none (Airflow's execute_tasks_new_python_interpreter).
   */
  readonly forkServers?: ForkServers | null;
  /**
   * The variables table, for a fork server's parse of the DAG file: `Variable.get` at the top of a DAG file sees
   * it there as in a fresh interpreter (which asks over the channel) and in the export. Default: the input's.
   */
  readonly parseVariables?: Readonly<Record<string, string>>;
}

/** Callbacks of one run. */
export interface TaskProcessHooks {
  /** Every log line, as it is read (streaming). Must not throw and must not block. */
  readonly onLogLine: (line: LogLine) => void;
  /** Called once the supervisor started, with its pid. */
  readonly onStart?: (info: { pid: number; attemptDir: string }) => void;
  /** Clock for log lines. Default `Date.now`. */
  readonly now?: () => number;
}

/** Why an attempt produced no usable result. Types are stable names, like exception class names. */
export interface TaskProcessFailure {
  readonly type:
    | 'AirflowTaskTimeout'
    | 'TaskProcessAborted'
    | 'TaskProcessKilled'
    | 'TaskProcessExited'
    | 'TaskResultMissing'
    | 'TaskResultInvalid'
    | 'TaskProcessNotStarted'
    | 'RunAsUserError';
  readonly message: string;
  readonly retryable: boolean;
}

/** What became of an attempt. Exactly one of `result` and `failure` is non-null. */
export interface TaskProcessOutcome {
  readonly result: TaskRunResult | null;
  readonly failure: TaskProcessFailure | null;
  /** The supervisor's pid; null when the task could not be started. */
  readonly pid: number | null;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** The run was aborted through `spec.signal`: the caller hands the task back for another try. */
  readonly aborted: boolean;
  /** From just before the spawn until the group was reaped and output drained. */
  readonly durationMs: number;
  /** Bytes the task wrote to stdout and stderr. */
  readonly logBytes: number;
  /** Bytes of that output not delivered: past the log limit, or cut from over-long lines. */
  readonly droppedLogBytes: number;
  /** The attempt directory when it was kept (`keepWorkDir`) or could not be removed; null otherwise. */
  readonly attemptDir: string | null;
}

/** A spec that cannot be run: a programming or data error, raised before anything is started. */
export class TaskSpecError extends DagbridgeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('INTERNAL', message, { ...options, userFacing: false });
  }
}

/** Checks a dag_id or task_id the way Airflow does before it is used in an argv or a name. */
export function validateAirflowKey(field: 'dagId' | 'taskId', value: string): void {
  if (!isValidKey(value)) {
    throw new TaskSpecError(
      `${field} ${JSON.stringify(value.slice(0, 300))} is not a valid Airflow key: ` +
        `use 1 to ${KEY_MAX_LENGTH} letters, digits, '_', '.' or '-'`,
    );
  }
}

/** Checks that `file` is a path inside the DAGs folder: relative, no `..` segment. */
export function validateDagFile(file: string): void {
  const segments = file.split(/[\\/]/);
  if (file.length === 0 || path.isAbsolute(file) || file.includes('\0') || segments.includes('..')) {
    throw new TaskSpecError(
      `DAG file ${JSON.stringify(file)} must be a path relative to the DAGs folder, without '..'`,
    );
  }
}

/** The argv of `python -m dagbridge_shim run` for one task instance (see docs/contracts.md). */
export function shimRunArgv(options: {
  python: string;
  dagsFolder: string;
  file: string;
  dagId: string;
  taskId: string;
  mapIndex: number;
  resultPath: string;
  noAirflow?: boolean;
}): string[] {
  validateAirflowKey('dagId', options.dagId);
  validateAirflowKey('taskId', options.taskId);
  validateDagFile(options.file);
  if (!path.isAbsolute(options.dagsFolder)) {
    throw new TaskSpecError(`DAGs folder ${JSON.stringify(options.dagsFolder)} must be an absolute path`);
  }
  const argv = [
    options.python,
    '-m',
    'dagbridge_shim',
    'run',
    '--dags-folder',
    options.dagsFolder,
    '--file',
    options.file,
    '--dag-id',
    options.dagId,
    '--task-id',
    options.taskId,
    '--map-index',
    String(options.mapIndex),
    '--result',
    options.resultPath,
  ];
  if (options.noAirflow) argv.push('--no-airflow');
  return argv;
}

/**
 * A directory name for an attempt that never contains the raw ids: run ids hold `:` and `+`, and any id could
 * be long. A readable ASCII prefix plus a hash of the whole key; mkdtemp adds a random suffix.
 */
export function attemptDirPrefix(
  input: Pick<TaskRunInput, 'dagId' | 'taskId' | 'runId' | 'mapIndex' | 'tryNumber'>,
): string {
  const slug = (value: string): string =>
    value.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_').slice(0, 40);
  const key = JSON.stringify([input.dagId, input.taskId, input.runId, input.mapIndex, input.tryNumber]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return `${slug(input.dagId)}.${slug(input.taskId)}.m${input.mapIndex}.t${input.tryNumber}.${hash}-`;
}

interface Plan {
  input: TaskRunInput;
  graceMs: number;
  timeoutMs: number | null;
  workBaseDir: string;
  /** The task's working directory (the worker's unless the spec names one). */
  cwd: string;
  runAsUser: string | null;
  maxResultBytes: number;
}

function plan(spec: TaskProcessSpec): Plan {
  if (process.platform === 'win32') {
    throw new TaskSpecError('task processes need a POSIX system: they are run and killed as process groups');
  }
  const parsed = taskRunInputSchema.safeParse(spec.input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TaskSpecError(`task run input does not match the contract: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const input = parsed.data;
  validateAirflowKey('dagId', input.dagId);
  validateAirflowKey('taskId', input.taskId);
  if (input.runId.length === 0 || input.runId.includes('\0')) {
    throw new TaskSpecError('runId must be a non-empty string without NUL');
  }
  if (spec.command.kind === 'shim') {
    validateDagFile(spec.command.file);
    if (!path.isAbsolute(spec.command.dagsFolder)) {
      throw new TaskSpecError(`DAGs folder ${JSON.stringify(spec.command.dagsFolder)} must be an absolute path`);
    }
  }
  const graceMs = spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new TaskSpecError(`killGraceMs must be >= 0, got ${graceMs}`);
  const timeout = spec.executionTimeoutSeconds;
  if (timeout !== null && (!Number.isFinite(timeout) || timeout < 0)) {
    throw new TaskSpecError(`executionTimeoutSeconds must be null or >= 0, got ${timeout}`);
  }
  if (spec.runAsUser != null && !USER_NAME.test(spec.runAsUser)) {
    throw new TaskSpecError(`run_as_user ${JSON.stringify(spec.runAsUser.slice(0, 100))} is not a user name: use up to 32 letters, digits, '_', '.' or '-', not starting with '-' or '.'`);
  }
  const maxResultBytes = spec.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const sizes = { logLimitBytes: spec.logLimitBytes, maxLineBytes: spec.maxLineBytes, maxResultBytes };
  for (const [name, value] of Object.entries(sizes)) {
    const least = name === 'logLimitBytes' ? 0 : 1;
    if (value !== undefined && (!Number.isSafeInteger(value) || value < least)) {
      throw new TaskSpecError(`${name} must be an integer >= ${least}, got ${value}`);
    }
  }
  return {
    input,
    graceMs,
    timeoutMs: timeout ? timeout * 1000 : null,
    workBaseDir: path.resolve(spec.workBaseDir ?? defaultAttemptBase()),
    cwd: path.resolve(spec.cwd ?? process.cwd()),
    runAsUser: spec.runAsUser ?? null,
    maxResultBytes,
  };
}

/**
 * Runs one task attempt to the end and reports what happened. Resolves for every task failure (non-zero
 * exit, signal, timeout, abort, missing or invalid result); rejects only with a {@link TaskSpecError}, or with
 * the error an `onLogLine` hook threw (after the process group was reaped and the directory removed).
 */
export async function runTaskProcess(spec: TaskProcessSpec, hooks: TaskProcessHooks): Promise<TaskProcessOutcome> {
  const settings = plan(spec);
  const { input } = settings;
  const started = performance.now();
  if (spec.signal?.aborted) {
    const reason = errorMessage(spec.signal.reason);
    return notStarted(started, 'TaskProcessAborted', `task process was aborted before it started: ${reason}`);
  }

  let attemptDir: string;
  try {
    await prepareAttemptBase(settings.workBaseDir, { traversable: settings.runAsUser !== null });
    attemptDir = await mkdtemp(path.join(settings.workBaseDir, attemptDirPrefix(input)));
    await Promise.all([mkdir(path.join(attemptDir, 'tmp')), writeAttemptMarker(attemptDir)]);
  } catch (cause) {
    return notStarted(started, 'TaskProcessNotStarted', describeBaseError(settings.workBaseDir, cause));
  }
  const workDir = settings.cwd;
  const resultPath = path.join(attemptDir, 'result.json');

  let channel: ChannelServer | null = null;
  if (spec.channel) {
    try {
      channel = await startChannelServer({
        attemptDir,
        scope: input,
        handlers: spec.channel.handlers,
        limits: spec.channel.limits,
        onProblem: (message) => hooks.onLogLine({ stream: 'system', line: `${LOG_MARKER_PREFIX} ${message}`, at: (hooks.now ?? Date.now)() }),
      });
    } catch (cause) {
      await rm(attemptDir, { recursive: true, force: true });
      return notStarted(started, 'TaskProcessNotStarted', `the task's supervisor channel could not be opened in ${attemptDir}: ${errorMessage(cause)}`);
    }
  }

  let env: Record<string, string>;
  let baseEnv: Record<string, string> | null = null;
  let argv: string[];
  let runAs: { user: string; chown: string[] } | null;
  try {
    const base = buildBaseTaskEnv({ parentEnv: spec.parentEnv ?? process.env, settings: spec.env ?? {}, shimRoot: SHIM_ROOT });
    if (spec.forkServers && spec.command.kind === 'shim') baseEnv = base;
    env = taskEnvFromBase(base, { tmpDir: path.join(attemptDir, 'tmp'), context: { ...input, owner: spec.owner ?? null } });
    if (channel) Object.assign(env, { [CHANNEL_SOCKET_ENV]: channel.address.socket, [CHANNEL_TOKEN_ENV]: channel.address.token });
    const taskArgv =
      spec.command.kind === 'shim'
        ? shimRunArgv({ ...spec.command, ...input, resultPath })
        : [...spec.command.argv, '--result', resultPath];
    const channelFile = channel?.address.file;
    const chown = [attemptDir, path.join(attemptDir, 'tmp'), ...(channelFile ? [channelFile] : [])];
    runAs = settings.runAsUser === null ? null : { user: settings.runAsUser, chown };
    argv = supervisorArgv({ python: spec.command.python, graceMs: settings.graceMs, runAs }, taskArgv);
  } catch (cause) {
    await channel?.close();
    await rm(attemptDir, { recursive: true, force: true });
    throw cause instanceof TaskSpecError ? cause : new TaskSpecError(errorMessage(cause), { cause });
  }

  let outcome: Omit<TaskProcessOutcome, 'attemptDir'>;
  let hookError: { error: unknown } | null = null;
  let removed = false;
  try {
    const run = { spec, settings, hooks, argv, env, workDir, attemptDir, resultPath, started, baseEnv, runAs };
    outcome = await supervise(run, (error) => {
      hookError ??= { error };
    });
  } finally {
    await channel?.close();
    if (!spec.keepWorkDir) removed = await removeAttemptDir(attemptDir);
  }
  if (channel && channel.stats.requests > 0 && hookError === null) {
    const { requests, refused, bytesIn, bytesOut } = channel.stats;
    const line = `${LOG_MARKER_PREFIX} channel: ${requests} requests (${refused} refused), ${bytesIn} bytes received, ${bytesOut} bytes sent`;
    hooks.onLogLine({ stream: 'system', line, at: (hooks.now ?? Date.now)() });
  }
  if (hookError !== null) throw (hookError as { error: unknown }).error;
  return { ...outcome, attemptDir: removed ? null : attemptDir };
}

type StopReason = { kind: 'timeout' } | { kind: 'abort'; reason: string };

interface Supervision {
  spec: TaskProcessSpec;
  settings: Plan;
  hooks: TaskProcessHooks;
  argv: string[];
  env: Record<string, string>;
  workDir: string;
  attemptDir: string;
  resultPath: string;
  started: number;
  /** The environment of the fork server this attempt may be forked from; null: a fresh interpreter only. */
  baseEnv: Record<string, string> | null;
  runAs: { user: string; chown: string[] } | null;
}

/** A {@link TaskProcessOutcome} for an attempt whose process never ran. */
function notStarted(
  started: number,
  type: 'TaskProcessAborted' | 'TaskProcessNotStarted' | 'RunAsUserError',
  message: string,
): TaskProcessOutcome {
  return {
    result: null,
    // A user that cannot be switched to fails every try the same way: retrying would not help.
    failure: { type, message, retryable: type !== 'RunAsUserError' },
    pid: null,
    exitCode: null,
    signal: null,
    timedOut: false,
    aborted: type === 'TaskProcessAborted',
    durationMs: performance.now() - started,
    logBytes: 0,
    droppedLogBytes: 0,
    attemptDir: null,
  };
}

async function supervise(
  run: Supervision,
  onHookError: (error: unknown) => void,
): Promise<Omit<TaskProcessOutcome, 'attemptDir'>> {
  const { spec, settings, hooks } = run;
  const now = hooks.now ?? Date.now;
  // A hook that throws is a bug in the caller: its logs can no longer be kept, so the attempt is stopped and
  // the error rethrown once the group is reaped.
  let hookFailed = false;
  let stopForHook: (error: unknown) => void = () => undefined;
  const callHook = (call: () => void): void => {
    if (hookFailed) return;
    try {
      call();
    } catch (error) {
      hookFailed = true;
      onHookError(error);
      stopForHook(error);
    }
  };
  const deliver = (line: LogLine): void => callHook(() => hooks.onLogLine(line));
  const system = (text: string): void => deliver({ stream: 'system', line: `${LOG_MARKER_PREFIX} ${text}`, at: now() });
  const capture = new LogCapture({
    onLine: deliver,
    limitBytes: spec.logLimitBytes,
    maxLineBytes: spec.maxLineBytes,
    now,
  });

  const launched = (await launchForked(run)) ?? (await launchFresh(run));
  if ('failure' in launched) return launched;
  const { pid } = launched;
  trackGroup(pid);
  const pump = (stream: 'stdout' | 'stderr'): Promise<void> =>
    new Promise((resolve) => {
      const readable = launched[stream];
      readable.on('data', (chunk: Buffer) => capture.write(stream, chunk));
      // 'close' follows 'end', an error and destroy() alike.
      readable.once('close', () => {
        capture.end(stream);
        resolve();
      });
    });
  const drained = Promise.all([pump('stdout'), pump('stderr')]);

  let taskPid: number | null = null;
  let startError: Extract<SupervisorReport, { event: 'error' }> | null = null;
  let reaped: Extract<SupervisorReport, { event: 'reaped' }> | null = null;
  const reports = new SupervisorReports((report) => {
    if (report.event === 'started') taskPid = report.pid;
    else if (report.event === 'error') startError = report;
    else if (report.event === 'exit') launched.reportExit?.({ exitCode: report.code, signal: report.signal as NodeJS.Signals | null });
    else reaped = report;
  }, system);
  const { control } = launched;
  control.on('data', (chunk: Buffer) => reports.write(chunk));
  const controlClosed = new Promise<void>((resolve) => control.once('close', () => resolve()));

  let leaderExited = false;
  const state: { stopReason: StopReason | null } = { stopReason: null };
  let fallback: NodeJS.Timeout | null = null;
  const stop = (reason: StopReason): void => {
    if (leaderExited || state.stopReason !== null) return;
    state.stopReason = reason;
    // The supervisor ends the whole tree within the grace period; only if it does not is it killed from here.
    signalProcess(pid, 'SIGTERM');
    fallback = setTimeout(() => signalProcess(pid, 'SIGKILL'), settings.graceMs + SUPERVISOR_MARGIN_MS);
  };
  const cancelTimer =
    settings.timeoutMs === null ? () => undefined : startTimer(settings.timeoutMs, () => stop({ kind: 'timeout' }));
  const onAbort = (): void => stop({ kind: 'abort', reason: errorMessage(spec.signal?.reason) });
  // A worker shares one shutdown signal among all its slots: each running attempt raises the signal's listener
  // limit by one while it listens, so Node's leak warning still fires for leaks elsewhere but not for slots.
  // (A limit of 0 means unlimited and is left alone.)
  const signalLimit = (delta: number): void => {
    const limit = spec.signal ? getMaxListeners(spec.signal) : 0;
    if (spec.signal && limit > 0) setMaxListeners(Math.max(limit + delta, 1), spec.signal);
  };
  signalLimit(1);
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  stopForHook = (error) => stop({ kind: 'abort', reason: `a log hook threw: ${errorMessage(error)}` });
  callHook(() => hooks.onStart?.({ pid, attemptDir: run.attemptDir }));

  let exit: { exitCode: number | null; signal: NodeJS.Signals | null };
  try {
    exit = await launched.exited;
    leaderExited = true;
    // The wait is cancelled once the pipes close, so it never keeps the process alive on its own.
    const orphanWait = new AbortController();
    const closed = await Promise.race([
      Promise.all([drained, controlClosed]).then(() => true),
      sleep(ORPHAN_PIPE_WAIT_MS, false, { signal: orphanWait.signal }).catch(() => false),
    ]);
    orphanWait.abort();
    if (reaped === null && startError === null) {
      // The supervisor died without ending the tree (killed): reap what can still be found, the task's group.
      system('the task supervisor ended before the task did; processes that left the task\'s process group may still run');
      if (taskPid !== null) await reapProcessGroup(taskPid, settings.graceMs);
    }
    if (!closed) {
      launched.stdout.destroy();
      launched.stderr.destroy();
      control.destroy();
      await drained;
      capture.finish();
      system("stopped reading output: a process outside the task's group kept its pipes open");
    }
    await launched.settled;
  } finally {
    cancelTimer();
    if (fallback) clearTimeout(fallback);
    spec.signal?.removeEventListener('abort', onAbort);
    signalLimit(-1);
    untrackGroup(pid);
  }
  capture.finish();
  const finalReport = reaped as Extract<SupervisorReport, { event: 'reaped' }> | null;
  const left = finalReport ? describeReaped(finalReport) : null;
  if (left) system(left);
  const refused = startError as Extract<SupervisorReport, { event: 'error' }> | null;
  if (refused) {
    return notStarted(run.started, refused.kind === 'user' ? 'RunAsUserError' : 'TaskProcessNotStarted', `task process could not be started: ${refused.message}`);
  }

  const base = {
    pid,
    exitCode: exit.exitCode,
    signal: exit.signal,
    timedOut: state.stopReason?.kind === 'timeout',
    aborted: state.stopReason?.kind === 'abort',
    logBytes: capture.receivedBytes,
    droppedLogBytes: capture.droppedBytes + capture.truncatedBytes,
  };
  const failed = (type: TaskProcessFailure['type'], message: string) => ({
    ...base,
    result: null,
    failure: { type, message, retryable: true },
    durationMs: performance.now() - run.started,
  });
  const finalStop = state.stopReason;
  if (finalStop?.kind === 'timeout') {
    const seconds = spec.executionTimeoutSeconds;
    const message = `task timed out after ${seconds}s (execution_timeout); it and every process it started were killed`;
    return failed('AirflowTaskTimeout', message);
  }
  if (finalStop?.kind === 'abort') return failed('TaskProcessAborted', `task process was aborted: ${finalStop.reason}`);
  if (exit.signal !== null) return failed('TaskProcessKilled', `task process was killed by ${exit.signal}`);

  const read = await readResult(run.resultPath, settings.maxResultBytes);
  if (exit.exitCode !== 0) {
    return failed(
      'TaskProcessExited',
      read.kind === 'missing'
        ? `task process exited with code ${exit.exitCode} without a result`
        : `task process exited with code ${exit.exitCode}; ` +
            'the result it wrote is ignored (a run that wrote its result exits 0)',
    );
  }
  if (read.kind === 'missing') {
    return failed('TaskResultMissing', 'task process exited with code 0 without a result');
  }
  if (read.kind === 'invalid') {
    return failed('TaskResultInvalid', `task process wrote an invalid result: ${read.message}`);
  }
  return { ...base, result: read.result, failure: null, durationMs: performance.now() - run.started };
}

/** A started attempt supervisor, fresh or forked: its streams and how it ended. */
interface Launched {
  readonly pid: number;
  readonly stdout: NodeJS.ReadableStream & { destroy(): void };
  readonly stderr: NodeJS.ReadableStream & { destroy(): void };
  readonly control: NodeJS.ReadableStream & { destroy(): void };
  readonly exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the process is fully collected. */
  readonly settled: Promise<unknown>;
  /** A forked supervisor reports its exit on the control socket (the worker is not its parent). */
  readonly reportExit?: (exit: { exitCode: number | null; signal: NodeJS.Signals | null }) => void;
}

/** `python -I -S supervisor.py ... -- python -m dagbridge_shim run ...`: a fresh interpreter per attempt. */
async function launchFresh(run: Supervision): Promise<Launched | TaskProcessOutcome> {
  const [file, ...args] = run.argv as [string, ...string[]];
  const subprocess = execa(file, args, {
    cwd: run.workDir,
    env: run.env,
    extendEnv: false,
    detached: true,
    cleanup: false,
    buffer: false,
    reject: false,
    forceKillAfterDelay: false,
    input: JSON.stringify(run.settings.input),
    // fd 3: the control socket. Only this process holds its other end, so it closes when the worker dies.
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const pid = subprocess.pid;
  if (pid === undefined) {
    const failed = await subprocess;
    const reason = (failed.message ?? 'unknown error').split('\n')[0];
    return notStarted(run.started, 'TaskProcessNotStarted', `task process could not be started: ${reason}`);
  }
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    subprocess.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
  });
  return {
    pid,
    stdout: subprocess.stdout,
    stderr: subprocess.stderr,
    control: subprocess.stdio[3] as NodeJS.ReadableStream & { destroy(): void },
    exited,
    settled: subprocess,
  };
}

/**
 * The attempt forked from the warm fork server (fork-server.ts), or null when it cannot serve this attempt:
 * no servers given, a raw command, or the server refused (then a fresh interpreter runs it).
 */
async function launchForked(run: Supervision): Promise<Launched | null> {
  const { spec, settings } = run;
  const servers = spec.forkServers;
  if (!servers || spec.command.kind !== 'shim' || run.baseEnv === null) return null;
  const forked = await servers.fork({
    python: spec.command.python,
    noAirflow: spec.command.noAirflow ?? false,
    baseEnv: run.baseEnv,
    env: run.env,
    dagsFolder: spec.command.dagsFolder,
    file: spec.command.file,
    fileHash: spec.command.fileHash ?? null,
    dagId: settings.input.dagId,
    taskId: settings.input.taskId,
    mapIndex: settings.input.mapIndex,
    resultPath: run.resultPath,
    workDir: run.workDir,
    graceMs: settings.graceMs,
    runAs: run.runAs,
    variables: spec.parseVariables ?? settings.input.variables,
    input: JSON.stringify(settings.input),
  });
  if (forked === null) return null;
  return { ...forked, settled: forked.exited };
}

/** Signals one process; one that is gone is not an error. */
function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function startTimer(ms: number, fire: () => void): () => void {
  let handle: NodeJS.Timeout;
  const arm = (remaining: number): void => {
    const step = Math.min(remaining, MAX_TIMER_MS);
    handle = setTimeout(() => (remaining > step ? arm(remaining - step) : fire()), step);
  };
  arm(ms);
  return () => clearTimeout(handle);
}

/** Whether the directory is gone. */
async function removeAttemptDir(dir: string): Promise<boolean> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
    return true;
  } catch {
    // Left on disk (e.g. a task made a directory read-only); the outcome reports it as attemptDir.
    return false;
  }
}
