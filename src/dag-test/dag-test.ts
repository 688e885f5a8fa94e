/**
 * One DAG run to completion on this machine with no database and no Redis (`dagbridge dags test`, like
 * `airflow dags test`): an in-memory store, the same scheduler loop as the cluster, and the local executor
 * running every task in its own subprocess.
 *
 * The run advances in waves, as Airflow 2.10.5's `DAG.test` (airflow/models/dag.py) does: one scheduling
 * decision, then every task instance it scheduled runs to its end, then the next decision. Outcomes that depend
 * on which upstream finished first are then Airflow's: `all_success` with one upstream skipped and one failed
 * in the same wave ends `upstream_failed`, not `skipped`. The tasks of a wave run side by side, `concurrency`
 * at a time; no decision is taken until the whole wave has finished.
 */
import { hostname } from 'node:os';
import type { DagBundle, DagSpec } from '../dag/bundle.js';
import type { LocalExecutor } from '../executor/local-executor.js';
import { triggerDagRun } from '../scheduler/run-creator.js';
import type { CustomTimetables } from '../ports/custom-timetable.js';
import { localAttemptExecutor } from '../standalone/local-attempts.js';
import type { Logger } from '../lib/logger.js';
import { Wakeup } from '../lib/sleep.js';
import type { AttemptContext } from '../worker/attempt.js';
import { runDagCallback } from '../worker/dag-callback.js';
import type { TaskEnvSettings } from '../worker/task-env.js';
import type { ForkServers } from '../worker/fork-server.js';
import { MemoryStore } from '../ports/memory-store.js';
import { SchedulerLoop } from '../scheduler/scheduler-loop.js';
import type { DagRunRecord, TaskInstanceRecord } from '../ports/metadata-store.js';

/** Options of {@link testDag}. */
export interface DagTestOptions {
  bundle: DagBundle;
  dag: DagSpec;
  /** The interpreter's real executable. */
  python: string;
  noAirflow: boolean;
  concurrency: number;
  /** ISO 8601; default now. */
  logicalDate?: string;
  conf?: Record<string, unknown>;
  env: TaskEnvSettings;
  killGraceMs: number;
  logCapBytes: number;
  variables?: Record<string, string>;
  log: Logger;
  /** Called after every scheduler iteration with the run's task instances. */
  onUpdate?: (instances: TaskInstanceRecord[]) => void;
  onLogLine?: AttemptContext['onLogLine'];
  /** Every output line of the DAG's success/failure callback, called once the run ended. */
  onCallbackLine?: (line: string) => void;
  /** Aborting stops the run: running tasks are killed and the run is reported as it stands. */
  signal?: AbortSignal;
  /** Fork the tasks from these warm servers; none: a fresh interpreter per task. */
  forkServers?: ForkServers | null;
  /** Bounds of XComs and triggered confs (AttemptContext.jsonLimits). */
  jsonLimits?: AttemptContext['jsonLimits'];
  /** Caps of each attempt's supervisor channel (AttemptContext.channelLimits). */
  channelLimits?: AttemptContext['channelLimits'];
  /** Where the channel's `connection.get` looks (AttemptContext.connections). */
  connections?: AttemptContext['connections'];
  /** Most task instances one mapped task may expand into (Airflow's `[core] max_map_length`); default 1024. */
  maxMapLength?: number;
  /** Answers a custom timetable's `infer_manual_data_interval` for the run's logical date, as `dag.test()` asks it. */
  timetables?: CustomTimetables;
}

/** The finished (or interrupted) run. */
export interface DagTestResult {
  run: DagRunRecord;
  instances: TaskInstanceRecord[];
  store: MemoryStore;
  interrupted: boolean;
}

/** Runs one DAG run of `dag` to completion. */
export async function testDag(options: DagTestOptions): Promise<DagTestResult> {
  const store = new MemoryStore();
  for (const [key, value] of Object.entries(options.variables ?? {})) await store.setVariable(key, value);
  await store.syncBundle(options.bundle, Date.now(), { pausedOnCreation: false });
  const dagRecord = await store.getDag(options.dag.dagId);
  if (!dagRecord) throw new Error(`DAG ${options.dag.dagId} was not stored`);

  const { run } = await triggerDagRun(store, dagRecord, Date.now(), { conf: options.conf, logicalDate: options.logicalDate, timetables: options.timetables });


  const wakeup = new Wakeup();
  const context: AttemptContext = {
    store,
    identity: { workerId: `local-${process.pid}`, hostname: hostname(), pid: process.pid },
    python: options.python,
    dagsFolder: options.bundle.dagsFolder,
    noAirflow: options.noAirflow,
    env: options.env,
    killGraceMs: options.killGraceMs,
    logCapBytes: options.logCapBytes,
    log: options.log,
    onLogLine: options.onLogLine,
    dagTest: true,
    forkServers: options.forkServers ?? null,
    jsonLimits: options.jsonLimits,
    channelLimits: options.channelLimits,
    connections: options.connections ?? null,
  };
  const executor = localAttemptExecutor({ context, concurrency: options.concurrency, onSettled: () => wakeup.notify(), log: options.log });
  const loop = new SchedulerLoop(store, executor, options.log, options.maxMapLength === undefined ? {} : { maxMapLength: options.maxMapLength });
  const abort = (): void => wakeup.notify();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      const tickAt = Date.now();
      await loop.tick(tickAt);
      const instances = await store.listTaskInstances(run);
      options.onUpdate?.(instances);
      const current = await store.getDagRun(run);
      if (current && (current.state === 'success' || current.state === 'failed')) {
        await executor.drain();
        await runDagCallbacks(context, store, options.onCallbackLine);
        return { run: current, instances: await store.listTaskInstances(run), store, interrupted: false };
      }
      if (options.signal?.aborted) break;
      const report = async (): Promise<void> => options.onUpdate?.(await store.listTaskInstances(run));
      if (await finishWave(loop, executor, wakeup, report, options.signal)) continue;
      // Sleep until an attempt settles or the earliest retry / reschedule time comes (at most 1 s).
      const waits = instances.flatMap((ti) => [ti.nextRetryAt, ti.rescheduleAt]).filter((t): t is number => t !== null && t > tickAt);
      const until = waits.length > 0 ? Math.min(...waits) - Date.now() : 1_000;
      await wakeup.wait(Math.max(5, Math.min(1_000, until)), options.signal);
    }
  } finally {
    options.signal?.removeEventListener('abort', abort);
    await executor.stop();
  }
  return { run: (await store.getDagRun(run)) ?? run, instances: await store.listTaskInstances(run), store, interrupted: true };
}

/**
 * The DAG's success/failure callback, called in this process's order as Airflow 2.10.5's DAG.test calls it: from
 * the update_state that ended the run, before the test returns. Its errors are recorded, never change the run.
 */
async function runDagCallbacks(context: AttemptContext, store: MemoryStore, onLine: ((line: string) => void) | undefined): Promise<void> {
  for (const claim of await store.claimDagCallbacks(1, Date.now())) {
    const outcome = await runDagCallback(context, claim, onLine);
    await store.finishDagCallback(claim, outcome, Date.now());
  }
}

/**
 * Runs the rest of the current wave: while task instances run or wait for a free slot, waits for one to settle
 * and queues what is still scheduled, without deciding. Returns whether a wave ran (the next decision is due).
 */
async function finishWave(
  loop: SchedulerLoop,
  executor: LocalExecutor,
  wakeup: Wakeup,
  report: () => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const idle = (): boolean => executor.activeCount === 0 && executor.openSlots() > 0;
  if (idle()) return false;
  while (!signal?.aborted) {
    await loop.queueScheduled(Date.now());
    if (idle()) return true;
    await wakeup.wait(1_000, signal);
    await report();
  }
  return true;
}
