/**
 * One DAG callback call (docs/dag-callbacks.md): `python -m dagbridge_shim dag-callback` in a subprocess like a
 * task's (own process group, the task environment allow-list, a supervisor channel scoped to the task instance
 * whose context it gets), for a request the caller already claimed. The context is that of the run's last task
 * instance that is not `removed` (Airflow 2.10.5's DAG.fetch_callback takes `tis[-1]`), in the store's order.
 * The plugin listeners' DAG-run hooks are called the same way (`dag-callback --hook`).
 * Whatever happens is reported, never thrown: a callback or listener never changes its run.
 */
import { errorMessage } from '../lib/errors.js';
import type { DagCallbackOutcome } from '../ports/dag-callback-runner.js';
import type { DagSpec } from '../dag/bundle.js';
import type { DagCallbackClaim, DagRunListenerClaim, DagRunRecord, RunKey, TaskInstanceRecord } from '../ports/metadata-store.js';
import { buildRunInput, type AttemptContext } from './attempt.js';
import { taskChannelHandlers } from './channel-handlers.js';
import { runTaskProcess, validateAirflowKey, validateDagFile } from './task-process.js';

/** Most output kept with the callback's record. */
const OUTPUT_CAP_CHARS = 64 * 1024;

/** Calls the claimed DAG callback; the outcome says how it went. `onLine` receives every output line. */
export async function runDagCallback(
  ctx: AttemptContext,
  claim: DagCallbackClaim,
  onLine?: (line: string) => void,
): Promise<DagCallbackOutcome> {
  return runShimCall(ctx, claim, onLine, async (run, spec) => {
    const instance = (await ctx.store.listTaskInstances(run)).filter((ti) => ti.state !== 'removed').at(-1);
    if (!instance) return null;
    return { instance, args: ['--kind', claim.kind, '--reason', claim.reason, '--ti-state', instance.state], spec };
  }, (lines) => lines.some((line) => line.includes('failed to invoke dag state update callback')) ? 'a callback raised an exception (see its output)' : null);
}

/**
 * Calls the plugin listeners' DAG-run hook of a claimed call (`dag-callback --hook`): the shim loads the DAG and
 * the plugins and calls the hook with the run's DagRun in the state the call was recorded for. The task whose
 * instance scopes the subprocess's channel is the run's last task instance, or the DAG's first task when the run
 * has none yet (a run that has just started).
 */
export async function runDagRunListener(
  ctx: AttemptContext,
  claim: DagRunListenerClaim,
  onLine?: (line: string) => void,
): Promise<DagCallbackOutcome> {
  const state = claim.hook === 'on_dag_run_running' ? 'running' : claim.hook === 'on_dag_run_success' ? 'success' : 'failed';
  return runShimCall(ctx, claim, onLine, async (run, spec) => {
    const last = (await ctx.store.listTaskInstances(run)).filter((ti) => ti.state !== 'removed').at(-1);
    const first = spec.tasks[0];
    const instance = last ?? (first ? placeholderInstance(run, first.taskId) : null);
    if (!instance) return null;
    return { instance, args: ['--hook', claim.hook, '--msg', claim.msg], spec, runState: state };
  }, () => null);
}

/** A task instance record that only names a task of the run (the listener call of a run without instances). */
function placeholderInstance(run: RunKey, taskId: string): TaskInstanceRecord {
  return {
    dagId: run.dagId, runId: run.runId, taskId, mapIndex: -1, state: 'none', tryNumber: 1, maxTries: 0, queue: 'default', pool: 'default_pool',
    poolSlots: 1, priorityWeight: 1, queuedAt: null, startDate: null, endDate: null, nextRetryAt: null, rescheduleAt: null, sensorFirstPokeAt: null,
    workerId: null, hostname: null, pid: null, note: null,
  };
}

interface ShimCall {
  readonly instance: TaskInstanceRecord;
  readonly args: readonly string[];
  readonly spec: DagSpec;
  /** The run state the shim is told (default the run's state now). */
  readonly runState?: string;
}

/** Runs `python -m dagbridge_shim dag-callback` for `key`'s run with the arguments `plan` chose. */
async function runShimCall(
  ctx: AttemptContext,
  key: RunKey,
  onLine: ((line: string) => void) | undefined,
  plan: (run: DagRunRecord, spec: DagSpec) => Promise<ShimCall | null>,
  errorInOutput: (lines: readonly string[]) => string | null,
): Promise<DagCallbackOutcome> {
  const lines: string[] = [];
  const add = (line: string): void => {
    lines.push(line);
    onLine?.(line);
  };
  try {
    const run = await ctx.store.getDagRun(key);
    if (!run) return { error: `run ${key.runId} of DAG ${key.dagId} no longer exists`, output: '' };
    const spec = await ctx.store.getDagVersion(run.dagId, run.versionHash);
    const call = spec ? await plan(run, spec) : null;
    if (!spec || !call) return { error: `run ${key.runId} of DAG ${key.dagId} has no DAG version or task instance to build the context from`, output: '' };
    const { instance } = call;
    validateAirflowKey('dagId', run.dagId);
    validateAirflowKey('taskId', instance.taskId);
    validateDagFile(spec.file);
    // A last task instance that never ran (skipped, upstream_failed) has try 0, which the run contract refuses.
    const input = buildRunInput(run, { ...instance, tryNumber: Math.max(1, instance.tryNumber) }, [], {}, false, { dagTest: ctx.dagTest });
    const argv: [string, ...string[]] = [
      ctx.python, '-m', 'dagbridge_shim', 'dag-callback', ...call.args, '--dag-run-state', call.runState ?? run.state,
      '--dags-folder', ctx.dagsFolder, '--file', spec.file, '--dag-id', run.dagId, '--task-id', instance.taskId,
      '--map-index', String(instance.mapIndex),
      ...(ctx.noAirflow ? ['--no-airflow'] : []),
    ];
    const task = spec.tasks.find((t) => t.taskId === instance.taskId);
    const outcome = await runTaskProcess(
      {
        input,
        command: { kind: 'argv', argv, python: ctx.python },
        owner: task?.owner ?? null,
        executionTimeoutSeconds: null,
        killGraceMs: ctx.killGraceMs,
        workBaseDir: ctx.workBaseDir,
        env: ctx.env,
        logLimitBytes: ctx.logCapBytes,
        channel: { handlers: taskChannelHandlers({ store: ctx.store, connections: ctx.connections, limits: ctx.jsonLimits }), limits: ctx.channelLimits },
      },
      { onLogLine: (line) => add(line.line) },
    );
    const failed = outcome.result?.error ?? outcome.failure;
    const error = failed ? `${failed.type}: ${failed.message}` : errorInOutput(lines);
    return { error, output: lines.join('\n').slice(-OUTPUT_CAP_CHARS) };
  } catch (thrown) {
    return { error: `the DAG callback could not be started: ${errorMessage(thrown)}`, output: lines.join('\n').slice(-OUTPUT_CAP_CHARS) };
  }
}
