/**
 * `dagbridge standalone`: everything on one machine with nothing to install. A real PostgreSQL (embedded, data
 * under `<home>/pg`, or `--database-url`), the scheduler, and a local executor running each task in its own
 * subprocess. `--until-idle` runs every DAG once and exits with the outcome (the README's quick start).
 *
 * Ctrl-C (SIGINT) or SIGTERM: running tasks are stopped and handed back (they run again on the next start),
 * the scheduler stops, then PostgreSQL. A second signal makes the database shut down immediately.
 */
import { attemptSettingsOf, storedConnections } from './attempt-settings.js';
import type { ForkServers } from '../worker/fork-server.js';
import type { Command } from 'commander';
import { createApp, describeUrl, requireStore, type App } from '../app.js';
import { errorMessage } from '../lib/errors.js';
import { createLogger, type LogLevel } from '../lib/logger.js';
import { assertDagsFolder, cachedExporter } from '../shim/export.js';
import { customTimetablesOf } from '../shim/timetable.js';
import { resolvePython } from '../shim/python.js';
import type { EmbeddedPostgres } from '../standalone/embedded-postgres.js';
import { homeLayout } from '../standalone/standalone-home.js';
import { RunWatcher, type RunOutcome } from '../standalone/run-watch.js';
import type { StandaloneService, UntilIdlePlan } from '../standalone/standalone-service.js';
import { migrate } from '../store/migrate.js';
import type { DagRunRecord } from '../ports/metadata-store.js';
import { FINISHED_STATES } from '../dag/states.js';
import { readWhy } from '../inspect/queries.js';
import type { WhyKind, WhyReport } from '../inspect/why.js';
import { whyLines } from './tasks-why.js';
import { configFrom, withDagOptions, withJson, type SharedOptions } from './common-options.js';
import { assertCanRunAsUsers } from '../worker/run-as-user-check.js';
import { formatSeconds, printJson, printLines, renderTable } from './output.js';
import { onStopSignals } from './run-command.js';
import { parsePort, startWebServer, type StartedWebServer } from './webserver.js';
import { dagRunHooksAtStart } from '../shim/listener-probe.js';
import { dagCodeSettingsOf } from '../shim/python.js';

interface StandaloneOptions extends SharedOptions {
  home?: string;
  concurrency?: string;
  parseInterval?: string;
  untilIdle?: boolean;
  /** False with `--no-webserver`. */
  webserver?: boolean;
  webserverHost?: string;
  webserverPort?: string;
}

/** Registers `standalone`. */
export function registerStandaloneCommand(program: Command): void {
  withJson(withDagOptions(program.command('standalone').description('scheduler, local executor and an embedded PostgreSQL on this machine (nothing to install)')))
    .option('--home <dir>', 'where the embedded PostgreSQL keeps its data, port and log (default .dagbridge, env DAGBRIDGE_HOME)')
    .option('--database-url <url>', 'use this PostgreSQL server instead of the embedded one (env DAGBRIDGE_DATABASE_URL)')
    .option('--concurrency <n>', 'task subprocesses at once (default 4, env DAGBRIDGE_CONCURRENCY)')
    .option('--parse-interval <seconds>', 'seconds between re-exports of the DAG folder (default 30)')
    .option('--webserver-host <address>', 'address of the web UI and REST API (default 127.0.0.1; another needs a dagbridge user to exist, as for dagbridge webserver)', '127.0.0.1')
    .option('--webserver-port <port>', 'port of the web UI and REST API (default 0: a free port, printed at start)', '0')
    .option('--no-webserver', 'do not start the web UI and REST API')
    .option('--until-idle', 'run the due scheduled runs and one manual run of every other DAG, wait until no run is active, print the outcome; exit 0 only if every run succeeded')
    .action(async (options: StandaloneOptions) => {
      process.exitCode = await runStandalone(options);
    });
}

const err = (line: string): void => void process.stderr.write(`${line}\n`);

/** Runs standalone to its end; returns the exit code. */
async function runStandalone(options: StandaloneOptions): Promise<number> {
  const config = configFrom(options, { home: options.home, concurrency: options.concurrency, parseIntervalSeconds: options.parseInterval });
  assertDagsFolder(config.dagsFolder);
  assertCanRunAsUsers(config.runAsUser);
  const python = await resolvePython(config.python);
  // The live lines are the output; service logs show warnings unless DAGBRIDGE_LOG_LEVEL asks for more.
  const log = createLogger({ name: 'standalone', level: (process.env.DAGBRIDGE_LOG_LEVEL as LogLevel | undefined) ?? 'warn' });
  const layout = homeLayout(config.home);
  const webserverPort = options.webserver === false ? null : parsePort(options.webserverPort ?? '0', '--webserver-port');

  let server: EmbeddedPostgres | null = null;
  let app: App | null = null;
  let service: StandaloneService | null = null;
  let forkServers: ForkServers | null = null;
  let web: StartedWebServer | null = null;
  let interrupted = false;
  let failure: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  const removeSignals = onStopSignals(
    (signal) => {
      interrupted = true;
      err(`${signal}: stopping the tasks, the scheduler and PostgreSQL (a second signal stops PostgreSQL immediately)`);
      void service?.stop();
    },
    () => {
      void service?.stop();
      void server?.stop({ immediate: true });
    },
  );
  try {
    const started = Date.now();
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      // The embedded server's package is loaded by this command only.
      const { EmbeddedPostgres } = await import('../standalone/embedded-postgres.js');
      server = new EmbeddedPostgres({
        home: config.home,
        log,
        onUnexpectedExit: (reason) => {
          failure = reason;
          err(`dagbridge: ${reason}`);
          void service?.stop();
        },
      });
      await server.start();
      databaseUrl = server.url;
      err(`PostgreSQL ${server.initialised ? 'initialised and started' : 'started'} in ${formatSeconds((Date.now() - started) / 1000)}`);
    }
    if (interrupted) return options.untilIdle ? 1 : 0;
    app = await createApp({ ...config, databaseUrl }, { role: 'standalone', database: true, migrating: true }, log);
    const applied = await migrate(app.pool as NonNullable<App['pool']>);
    const store = requireStore(app);
    const opened = app;
    if (webserverPort !== null) web = await startWebServer(app, { host: options.webserverHost ?? '127.0.0.1', port: webserverPort });
    err([
      'dagbridge standalone',
      `  DAGs folder   ${config.dagsFolder}`,
      `  database      ${describeUrl(databaseUrl)}${applied.length > 0 ? ` (migrated to schema ${applied.at(-1) ?? ''})` : ''}`,
      ...(server ? [
        `  data          ${layout.dataDir} (server log ${layout.logFile})`,
        `  URL file      ${layout.urlFile} (other commands: DAGBRIDGE_DATABASE_URL_FILE=${layout.urlFile} dagbridge runs list)`,
      ] : []),
      `  tasks         ${config.concurrency} at a time, each in its own subprocess (${python.executable})`,
      `  webserver     ${web ? `${web.url} (UI and REST API; docs/ui.md)` : 'off (--no-webserver)'}`,
    ].join('\n'));

    const watcher = new RunWatcher(store, err);
    const refresh = (): void => void watcher.refresh().catch((error: unknown) => log.warn('could not read run states', { error: errorMessage(error) }));
    const { StandaloneService } = await import('../standalone/standalone-service.js');
    forkServers = (await import('../worker/fork-server.js')).forkServersFor(config, log);
    const connections = storedConnections(config, store);
    service = new StandaloneService({
      store, log,
      exportBundle: cachedExporter({ dagsFolder: config.dagsFolder, python: config.python, pluginsFolder: config.pluginsFolder, noAirflow: config.noAirflow, ...dagCodeSettingsOf(config), variables: () => store.listVariables(), cacheDir: config.home }),
      attempt: {
        ...attemptSettingsOf(config, python.executable),
        // Outside the home: a task's `../..` must not reach the home's URL and settings files.
        workBaseDir: undefined,
        runAsUsers: config.runAsUser,
        forkServers,
        connections,
      },
      concurrency: config.concurrency,
      parseIntervalMs: config.parseIntervalSeconds * 1000,
      loopIntervalMs: config.schedulerIntervalMs,
      semantics: config.scheduleSemantics ?? undefined,
      maxMapLength: config.maxMapLength,
      timetables: customTimetablesOf(config, log),
      subscribeToChanges: (onChange) => opened.subscribeToChanges(onChange),
      onIteration: refresh,
      dagRunHooks: await dagRunHooksAtStart({ ...dagCodeSettingsOf(config), dagsFolder: config.dagsFolder, pluginsFolder: config.pluginsFolder, python: python.executable, noAirflow: config.noAirflow }, log),
    });

    const sessionStart = Date.now();
    await service.parse(sessionStart);
    const bundle = service.lastBundle;
    if (!bundle) throw new Error(`could not export the DAGs folder ${config.dagsFolder}: ${service.scheduler.lastParseError ?? 'unknown error'}`);
    for (const importError of bundle.importErrors) err(`import error in ${importError.file}: ${importError.type}: ${importError.message}`);
    let plan: UntilIdlePlan | null = null;
    if (options.untilIdle) {
      plan = await service.prepareUntilIdle(sessionStart);
      err(describePlan(plan));
    }
    if (interrupted) return options.untilIdle ? 1 : 0;
    await service.start(sessionStart);
    timer = setInterval(refresh, 1_000);
    timer.unref();
    err(`ready: ${bundle.dags.length} DAG(s), scheduling${options.untilIdle ? ' until no run is active' : ''} (Ctrl-C stops)`);

    if (!options.untilIdle || !plan) {
      await service.whenStopped();
      return failure ? 1 : 0;
    }
    const idle = await service.waitUntilIdle();
    // Explained while the database is still up: the same answer `dagbridge tasks why` gives for each instance.
    const stalled = idle.kind === 'stalled' ? await explainStalled(store, idle.runs, app.config.leaseMs) : [];
    await service.stop();
    // The database is gone (its exit was reported): there is no outcome to read.
    if (failure !== null) return 1;
    await watcher.refresh();
    const seen = new Map<string, DagRunRecord>();
    for (const run of [...plan.resumed, ...(await service.runsCreatedSince(sessionStart))]) seen.set(`${run.dagId}\u0000${run.runId}`, run);
    const outcomes = await service.outcomes([...seen.values()]);
    const stopped = idle.kind === 'stopped' || interrupted;
    const ok = idle.kind === 'idle' && !interrupted && failure === null && bundle.importErrors.length === 0 && outcomes.length > 0 && outcomes.every((o) => o.state === 'success');
    if (options.json) {
      printJson({
        ok, interrupted: stopped, stalled, home: server ? layout.home : null, dataDir: server ? layout.dataDir : null,
        databaseUrl: describeUrl(databaseUrl), dagsFolder: config.dagsFolder,
        importErrors: bundle.importErrors.map((e) => ({ file: e.file, type: e.type, message: e.message })),
        unpaused: plan.unpaused, runs: outcomes,
      });
    } else {
      printLines(['', ...outcomeTable(outcomes), ...stalledLines(stalled), '', summaryLine(outcomes, bundle.importErrors.length, stopped, stalled)]);
    }
    return ok ? 0 : 1;
  } finally {
    clearInterval(timer);
    await service?.stop();
    await forkServers?.close();
    await web?.close();
    await app?.close();
    await server?.stop();
    removeSignals();
  }
}

function describePlan(plan: UntilIdlePlan): string {
  const parts = [
    `${plan.triggered.length} manual run(s) triggered`,
    `${plan.scheduled.length} scheduled run(s) due`,
    ...(plan.resumed.length > 0 ? [`${plan.resumed.length} run(s) from before resumed`] : []),
    ...(plan.unpaused.length > 0 ? [`unpaused ${plan.unpaused.join(', ')}`] : []),
  ];
  return `until idle: ${parts.join('; ')}`;
}

/** The outcome of every run as a table. */
export function outcomeTable(outcomes: readonly RunOutcome[]): string[] {
  return renderTable(['dag_id', 'run_id', 'state', 'duration', 'tasks', 'failed'], outcomes.map((o) => [
    o.dagId, o.runId, o.state, formatSeconds(o.durationSeconds),
    Object.entries(o.taskStates).sort(([a], [b]) => a.localeCompare(b)).map(([state, n]) => `${n} ${state}`).join(', '),
    o.failedTasks.join(', ').slice(0, 100),
  ]));
}

/** Unfinished task instances explained per stalled run, at most this many per run. */
const STALLED_TASKS_SHOWN = 5;

/** Reasons about Redis queues and workers: standalone's local executor has neither. */
const CLUSTER_ONLY_REASONS: ReadonlySet<WhyKind> = new Set<WhyKind>(['no_eligible_worker', 'manifest_mismatch', 'message_ready', 'message_claimed', 'message_missing']);

/** Why each unfinished task instance of the stalled runs does not run (`tasks why`), at most a few per run. */
async function explainStalled(store: ReturnType<typeof requireStore>, runs: readonly DagRunRecord[], leaseMs: number): Promise<WhyReport[]> {
  const reports: WhyReport[] = [];
  const now = Date.now();
  for (const run of runs) {
    const unfinished = (await store.listTaskInstances(run)).filter((ti) => !FINISHED_STATES.has(ti.state)).slice(0, STALLED_TASKS_SHOWN);
    for (const ti of unfinished) {
      const report = await readWhy(store, null, ti, now, leaseMs);
      reports.push({ ...report, reasons: report.reasons.filter((reason) => !CLUSTER_ONLY_REASONS.has(reason.kind)) });
    }
  }
  return reports;
}

function stalledLines(stalled: readonly WhyReport[]): string[] {
  if (stalled.length === 0) return [];
  const runs = new Set(stalled.map((r) => `${r.dagId} ${r.runId}`));
  return [
    '',
    `stalled: ${runs.size} DAG run(s) are active, but nothing runs, nothing waits for a retry or reschedule time and the scheduler changes nothing: they cannot proceed on their own. Blocked task instances (dagbridge tasks why shows the same):`,
    ...stalled.flatMap((report) => whyLines(report).map((line, i) => (i === 0 ? `  ${line}` : `    ${line}`))),
  ];
}

function summaryLine(outcomes: readonly RunOutcome[], importErrors: number, interrupted: boolean, stalled: readonly WhyReport[]): string {
  const succeeded = outcomes.filter((o) => o.state === 'success').length;
  const parts = [outcomes.length === 0 ? 'no DAG run: the DAGs folder defines no DAG' : `${succeeded} of ${outcomes.length} DAG run(s) succeeded`];
  if (importErrors > 0) parts.push(`${importErrors} DAG file(s) failed to import`);
  if (stalled.length > 0) parts.push(`${new Set(stalled.map((r) => `${r.dagId} ${r.runId}`)).size} DAG run(s) stalled`);
  if (interrupted) parts.push('interrupted before every run finished');
  return parts.join('; ');
}
