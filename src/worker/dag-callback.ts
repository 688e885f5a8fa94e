/**
 * One DAG callback call (docs/dag-callbacks.md): `python -m dagbridge_shim dag-callback` in a subprocess like a
 * task's (own process group, the task environment allow-list, a supervisor channel scoped to the task instance
 * whose context it gets), for a request the caller already claimed. The context is that of the run's last task
 * instance that is not `removed` (Airflow 2.10.5's DAG.fetch_callback takes `tis[-1]`), in the store's order.
 * Whatever happens is reported, never thrown: a callback never changes its run.
 */
import { errorMessage } from '../lib/errors.js';
import type { DagCallbackOutcome } from '../ports/dag-callback-runner.js';
import type { DagCallbackClaim } from '../ports/metadata-store.js';
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
  const lines: string[] = [];
  const add = (line: string): void => {
    lines.push(line);
    onLine?.(line);
  };
  try {
    const run = await ctx.store.getDagRun(claim);
    if (!run) return { error: `run ${claim.runId} of DAG ${claim.dagId} no longer exists`, output: '' };
    const spec = await ctx.store.getDagVersion(run.dagId, run.versionHash);
    const instance = (await ctx.store.listTaskInstances(run)).filter((ti) => ti.state !== 'removed').at(-1);
    if (!spec || !instance) return { error: `run ${claim.runId} of DAG ${claim.dagId} has no DAG version or task instance to build the context from`, output: '' };
    validateAirflowKey('dagId', run.dagId);
    validateAirflowKey('taskId', instance.taskId);
    validateDagFile(spec.file);
    // A last task instance that never ran (skipped, upstream_failed) has try 0, which the run contract refuses.
    const input = buildRunInput(run, { ...instance, tryNumber: Math.max(1, instance.tryNumber) }, [], {}, false, { dagTest: ctx.dagTest });
    const argv: [string, ...string[]] = [
      ctx.python, '-m', 'dagbridge_shim', 'dag-callback',
      '--kind', claim.kind, '--reason', claim.reason, '--dag-run-state', run.state, '--ti-state', instance.state,
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
    const calledWithError = lines.some((line) => line.includes('failed to invoke dag state update callback'));
    const error = failed ? `${failed.type}: ${failed.message}` : calledWithError ? 'a callback raised an exception (see its output)' : null;
    return { error, output: lines.join('\n').slice(-OUTPUT_CAP_CHARS) };
  } catch (thrown) {
    return { error: `the DAG callback could not be started: ${errorMessage(thrown)}`, output: lines.join('\n').slice(-OUTPUT_CAP_CHARS) };
  }
}
