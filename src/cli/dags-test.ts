/**
 * `dagbridge dags test DAG_ID` (one DAG run to completion on this machine, like `airflow dags test`) and
 * `dagbridge tasks test DAG_ID TASK_ID` (one task instance, dependencies ignored, like `airflow tasks test`).
 * No database, no Redis: in-memory state and the local executor.
 */
import { attemptSettingsOf } from './attempt-settings.js';
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { pythonIsoUtc } from '../dag/ids.js';
import { UsageError } from '../lib/errors.js';
import { jsonLimitsOf } from '../lib/json-limits.js';
import { connectionLookup } from '../connections/sources.js';
import type { ConnectionSource } from '../ports/connections.js';
import { escapeControls } from '../lib/terminal-text.js';
import { createLogger, silentLogger } from '../lib/logger.js';
import { MemoryStore } from '../ports/memory-store.js';
import { exportDags } from '../shim/export.js';
import { customTimetablesOf } from '../shim/timetable.js';
import { filesNamingDag, MAX_GUESSED_FILES } from '../shim/dag-file-guess.js';
import type { Config } from '../config/config.js';
import type { DagBundle, DagSpec } from '../dag/bundle.js';
import { resolvePython } from '../shim/python.js';
import { configFrom, looksLikeDate, oneLogicalDate, parseConf, parseLogicalDate, withDagOptions, withJson, type SharedOptions } from './common-options.js';
import { findDag, unknownTaskMessage } from './dags.js';
import { assertNewRun } from '../dag/new-run.js';
import { instanceName, LiveView, summaryTable } from './live-view.js';
import { printJson, printLines } from './output.js';
import { taskEnvSettingsOf } from '../worker/task-env.js';
import { dagCodeSettingsOf } from '../shim/python.js';

interface TestOptions extends SharedOptions {
  concurrency?: string;
  logicalDate?: string;
  conf?: string;
  showLogs?: boolean;
  var?: string[];
}

/**
 * The bundle holding `dagId` and its spec: first from only the files that name the id (no need to import the
 * whole folder for one DAG), else from the whole folder, whose import errors then explain a missing DAG.
 */
async function exportDagOf(config: Config, dagId: string, variables: Readonly<Record<string, string>>): Promise<{ bundle: DagBundle; dag: DagSpec }> {
  const base = {
    dagsFolder: config.dagsFolder, python: config.python, pluginsFolder: config.pluginsFolder, noAirflow: config.noAirflow, ...dagCodeSettingsOf(config),
    // The run's Variables (--var) are the table `Variable.get` at the top of the file reads, as in its tasks.
    ...(Object.keys(variables).length > 0 ? { variables: () => Promise.resolve(variables) } : {}),
  };
  const files = await filesNamingDag(config.dagsFolder, dagId);
  if (files.length > 0 && files.length <= MAX_GUESSED_FILES) {
    const bundle = await exportDags({ ...base, files });
    const dag = bundle.dags.find((candidate) => candidate.dagId === dagId);
    if (dag) return { bundle, dag };
  }
  const bundle = await exportDags(base);
  return { bundle, dag: findDag(bundle, dagId) };
}

function parseVars(pairs: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--var ${JSON.stringify(pair)} must be KEY=VALUE`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/**
 * Connections of `dags test` and `tasks test`, which have no database: `AIRFLOW_CONN_*` and the connections file
 * (docs/connections.md).
 */
function localConnections(config: Config): ConnectionSource {
  return connectionLookup({ env: process.env, connectionsFile: config.connectionsFile, table: null });
}

/** Registers `dags test`. */
export function registerDagTestCommand(dags: Command): void {
  withJson(withDagOptions(dags.command('test').argument('<dag_id>').argument('[logical_date]', 'logical date of the run, as in `airflow dags test DAG_ID DATE` (same as --logical-date)')
    .description('run one DAG run to completion on this machine (no database, no Redis)')))
    .option('--concurrency <n>', 'task subprocesses at once', '4')
    .option('--logical-date <date>', 'logical date of the run (ISO 8601; default now)')
    .option('--conf <json>', 'DAG run conf as a JSON object')
    .option('--var <key=value...>', 'Airflow Variables for the run')
    .option('--show-logs', 'print every task log line as it is written')
    .action(async (dagId: string, logicalDateArgument: string | undefined, options: TestOptions) => {
      const config = configFrom(options, { concurrency: options.concurrency });
      const conf = parseConf(options.conf, config);
      const logicalDate = parseLogicalDate(oneLogicalDate(logicalDateArgument, options.logicalDate));
      const { bundle, dag } = await exportDagOf(config, dagId, parseVars(options.var));
      const python = await resolvePython(config.python);
      const view = options.json ? null : new LiveView();
      const controller = new AbortController();
      const log = options.json ? silentLogger : createLogger({ name: 'dags-test', level: 'warn' });
      const forkServers = (await import('../worker/fork-server.js')).forkServersFor(config, log);
      const onSignal = (): void => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const { testDag } = await import('../dag-test/dag-test.js');
        const result = await testDag({
          bundle, dag, python: python.executable, noAirflow: config.noAirflow, concurrency: config.concurrency, logicalDate, conf,
          env: taskEnvSettingsOf(config), killGraceMs: config.killGraceMs, logCapBytes: config.logCapBytes, variables: parseVars(options.var),
          log, forkServers, jsonLimits: jsonLimitsOf(config), channelLimits: { maxRequests: config.channelMaxRequests }, connections: localConnections(config),
          onUpdate: (tis) => view?.update(tis),
          onLogLine: options.showLogs ? (key, line) => process.stderr.write(`[${instanceName(key)}] ${escapeControls(line.line)}\n`) : undefined,
          onCallbackLine: (line) => process.stderr.write(`[dag callback] ${escapeControls(line)}\n`),
          signal: controller.signal,
          timetables: customTimetablesOf(config, log),
          maxMapLength: config.maxMapLength,
        });
        const ok = result.run.state === 'success';
        // Recorded in the in-memory store only: as in Airflow's dags test, no consumer DAG is triggered.
        const datasetEvents = (await result.store.listDatasetEvents({ limit: 1_000 })).reverse();
        if (options.json) {
          printJson({
            dagId, runId: result.run.runId, state: result.run.state, interrupted: result.interrupted, datasetEvents,
            taskInstances: result.instances.map((ti) => ({
              taskId: ti.taskId, mapIndex: ti.mapIndex, state: ti.state, tryNumber: ti.tryNumber,
              durationSeconds: ti.startDate !== null && ti.endDate !== null ? (ti.endDate - ti.startDate) / 1000 : null, note: ti.note,
            })),
          });
        } else {
          printLines(['', `DAG run ${result.run.runId} of ${dagId}: ${result.interrupted ? 'interrupted' : result.run.state}`, ...summaryTable(result.instances)]);
          if (datasetEvents.length > 0) {
            printLines(['', 'dataset events (not delivered to consumer DAGs by dags test):',
              ...datasetEvents.map((event) => `  ${event.uri} from ${event.sourceTaskId ?? '-'}${event.sourceAliases.length > 0 ? ` via ${event.sourceAliases.join(', ')}` : ''} extra=${JSON.stringify(event.extra)}`)]);
          }
          if (!ok) {
            for (const ti of result.instances.filter((t) => t.state === 'failed')) {
              const lines = await result.store.readLogLines(ti, ti.tryNumber);
              printLines(['', `--- last log lines of ${instanceName(ti)} (try ${ti.tryNumber}) ---`, ...lines.slice(-20).map((l) => escapeControls(l.line))]);
            }
          }
        }
        process.exitCode = ok && !result.interrupted ? 0 : 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await forkServers?.close();
      }
    });
}

/** Registers `tasks test`. */
export function registerTaskTestCommand(tasks: Command): void {
  withJson(withDagOptions(tasks.command('test').argument('<dag_id>').argument('<task_id>')
    .argument('[logical_date_or_run_id]', 'logical date of the run, or its run id, as in `airflow tasks test` (a date is the same as --logical-date)')
    .description('run one task instance on this machine, ignoring its dependencies')))
    .option('--logical-date <date>', 'logical date of the run (ISO 8601; default now)')
    .option('--conf <json>', 'DAG run conf as a JSON object')
    .option('--map-index <n>', 'map index of a mapped task', '-1')
    .option('--var <key=value...>', 'Airflow Variables for the run')
    .action(async (dagId: string, taskId: string, dateOrRunId: string | undefined, options: TestOptions & { mapIndex?: string }) => {
      const config = configFrom(options);
      const conf = parseConf(options.conf, config);
      // A positional that is not a date names the run, as Airflow's `execution_date_or_run_id`.
      const positionalDate = dateOrRunId !== undefined && looksLikeDate(dateOrRunId) ? dateOrRunId : undefined;
      const namedRunId = dateOrRunId !== undefined && positionalDate === undefined ? dateOrRunId : undefined;
      if (namedRunId !== undefined) assertNewRun({ dagId, runId: namedRunId });
      const logicalDate = parseLogicalDate(oneLogicalDate(positionalDate, options.logicalDate)) ?? pythonIsoUtc(Date.now());
      const mapIndex = Number(options.mapIndex ?? '-1');
      if (!Number.isInteger(mapIndex) || mapIndex < -1) throw new UsageError('--map-index must be -1 or a non-negative integer');
      const { bundle, dag } = await exportDagOf(config, dagId, parseVars(options.var));
      const task = dag.tasks.find((t) => t.taskId === taskId);
      if (!task) throw new UsageError(unknownTaskMessage(taskId, dag));
      const python = await resolvePython(config.python);
      const store = new MemoryStore();
      for (const [key, value] of Object.entries(parseVars(options.var))) await store.setVariable(key, value);
      const now = Date.now();
      await store.syncBundle(bundle, now);
      const record = await store.getDag(dagId);
      const runId = namedRunId ?? `manual__${logicalDate}`;
      const created = await store.createDagRun({
        dagId, runId, versionHash: record?.versionHash ?? '', runType: 'manual', logicalDate, dataIntervalStart: logicalDate, dataIntervalEnd: logicalDate,
        runAfter: pythonIsoUtc(now), conf, queuedAt: now,
      }, now);
      const run = created.run;
      if (!run) throw new Error('the run was not created');
      await store.setDagRunState(run, 'queued', 'running', now);
      // Dependencies are ignored on purpose: the instance is created and queued directly.
      await store.applyChanges(run, dag, [
        { kind: 'create', taskId, mapIndex, priorityWeight: task.priorityWeight },
        { kind: 'transition', taskId, mapIndex, from: 'none', to: 'scheduled', newTry: true, note: 'tasks test' },
      ], now);
      await store.markQueued([{ dagId, runId, taskId, mapIndex, tryNumber: 1 }], now);
      const { runAttempt } = await import('../worker/attempt.js');
      const report = await runAttempt({
        ...attemptSettingsOf(config, python.executable), dagsFolder: bundle.dagsFolder,
        store, identity: { workerId: `local-${process.pid}`, hostname: hostname(), pid: process.pid },
        log: silentLogger, testMode: true, connections: localConnections(config),
        onLogLine: options.json ? undefined : (_key, line) => process.stdout.write(`${escapeControls(line.line)}\n`),
      }, { dagId, runId, taskId, mapIndex }, 1);
      const ti = await store.getTaskInstance({ dagId, runId, taskId, mapIndex });
      const xcoms = (await store.listXcoms(run)).filter((x) => x.taskId === taskId);
      if (options.json) {
        printJson({ dagId, runId, taskId, mapIndex, state: ti?.state ?? null, note: ti?.note ?? null, xcoms });
      } else {
        printLines(['', `${instanceName({ taskId, mapIndex })}: ${ti?.state ?? 'unknown'}${ti?.note ? ` (${ti.note})` : ''}`]);
      }
      process.exitCode = report.status === 'finished' && (report.state === 'success' || report.state === 'skipped') ? 0 : 1;
    });
}
