/**
 * `dagbridge scheduler`: parses the DAG folder, creates runs, decides and enqueues to Redis. Run one or more
 * (each write is a compare-and-set, so two schedulers never create the same run or enqueue the same try twice).
 */
import { attemptSettingsOf, storedConnections } from './attempt-settings.js';
import type { Command } from 'commander';
import { RedisExecutor } from '../executor/redis-executor.js';
import { SchedulerMetrics, serveServiceHttp } from '../http/service-metrics.js';
import type { ServiceState } from '../lib/service-state.js';
import { cachedExporter } from '../shim/export.js';
import { customTimetablesOf } from '../shim/timetable.js';
import { ManifestPublisher } from '../scheduler/manifest-publisher.js';
import { requireQueue, requireStore } from '../app.js';
import { withConnectionOptions, withDagOptions, type SharedOptions } from './common-options.js';
import { onStopSignals, withApp } from './run-command.js';
import { dagCodeSettingsOf, resolvePython } from '../shim/python.js';
import { hostname } from 'node:os';
import type { Logger } from '../lib/logger.js';
import type { Config } from '../config/config.js';
import type { DagCallbackRunner, DagRunListeners } from '../ports/dag-callback-runner.js';
import { dagRunHooksAtStart } from '../shim/listener-probe.js';
import type { AttemptContext } from '../worker/attempt.js';

/** Registers `scheduler`. */
export function registerSchedulerCommand(program: Command): void {
  withConnectionOptions(withDagOptions(program.command('scheduler').description('run the scheduler (PostgreSQL + Redis)')))
    .option('--manifest <file>', 'dependency manifest of the DAG repo, published to the workers (env DAGBRIDGE_MANIFEST)')
    .option('--parse-interval <seconds>', 'seconds between re-exports of the DAG folder (default 30)')
    .option('--paused-on-creation', 'new DAGs start paused, unless they set is_paused_upon_creation (the default, as Airflow\'s dags_are_paused_at_creation; env DAGBRIDGE_PAUSED_ON_CREATION)')
    .option('--no-paused-on-creation', 'new DAGs start unpaused, unless they set is_paused_upon_creation=True')
    .option('--http-port <port>', 'serve /health and /metrics on this port (env DAGBRIDGE_HTTP_PORT; default: not served)')
    .option('--http-host <address>', 'interface of /health and /metrics (default 127.0.0.1, this machine only; 0.0.0.0 for every interface; env DAGBRIDGE_HTTP_HOST)')
    .action(async (options: SharedOptions & { parseInterval?: string; pausedOnCreation?: boolean; httpPort?: string; httpHost?: string; manifest?: string }) => {
      await withApp(options, { role: 'scheduler', database: true, redis: true }, async (app) => {
        const store = requireStore(app);
        const queue = requireQueue(app);
        const { config } = app;
        // The manifest of the DAG repo is published with every parse; messages carry the hash they were queued under.
        const manifestPublisher = new ManifestPublisher({ path: config.manifest, registry: store, log: app.log });
        const parse = cachedExporter({ dagsFolder: config.dagsFolder, python: config.python, pluginsFolder: config.pluginsFolder, noAirflow: config.noAirflow, ...dagCodeSettingsOf(config), variables: () => store.listVariables(), cacheDir: config.home, totalTimeoutMs: config.parseTimeoutSeconds * 1000 });
        const executor = new RedisExecutor({ queue, store, signalWork: (queues) => app.signalWork(queues), manifestHash: () => manifestPublisher.hash() });
        const metrics = config.httpPort === null ? undefined : new SchedulerMetrics({ queue, state: (): ServiceState => service.state, redisStatus: () => app.redis?.status ?? null, log: app.log });
        const { SchedulerService } = await import('../scheduler/scheduler-service.js');
        const { dagCallbacks, dagRunListeners } = await dagCallbackRunner(app.config, store, app.log);
        const service = new SchedulerService({
          store, executor, queue, log: app.log,
          exportBundle: parse,
          manifestPublisher,
          parseIntervalMs: config.parseIntervalSeconds * 1000,
          parseTimeoutMs: config.parseTimeoutSeconds * 1000,
          parseStaleAfterMs: config.parseStaleAfterSeconds * 1000,
          loopIntervalMs: config.schedulerIntervalMs,
          maxDeliveries: config.maxDeliveries,
          workerTimeoutMs: config.leaseMs,
          pausedOnCreation: config.pausedOnCreation,
          maxMapLength: config.maxMapLength,
          semantics: config.scheduleSemantics ?? undefined,
          timetables: customTimetablesOf(config, app.log),
          subscribeToChanges: (onChange) => app.subscribeToChanges(onChange),
          metrics,
          dagCallbacks,
          dagRunListeners,
        });
        await service.start();
        // `/health` also fails when the DAG processor is stuck or has not parsed successfully for too long.
        const http = metrics ? await serveServiceHttp({ port: config.httpPort, host: config.httpHost }, 'scheduler', { registry: metrics.registry, health: (now) => [...metrics.health(now), ...service.parseHealth(now)] }, app.log) : null;
        app.log.info('scheduler started', { dagsFolder: config.dagsFolder });
        const remove = onStopSignals(() => void service.stop(), () => void service.stop());
        try {
          await service.whenStopped();
        } finally {
          remove();
          await http?.close();
        }
      }, { parseIntervalSeconds: options.parseInterval, httpPort: options.httpPort, httpHost: options.httpHost, manifest: options.manifest, pausedOnCreation: options.pausedOnCreation });
    });
}

/**
 * DAG success/failure callbacks run on the scheduler's machine, in a subprocess like a task's (the task
 * environment allow-list, the scheduler's interpreter and DAGs folder): docs/dag-callbacks.md.
 */
async function dagCallbackRunner(config: Config, store: ReturnType<typeof requireStore>, log: Logger): Promise<{ dagCallbacks: DagCallbackRunner; dagRunListeners: DagRunListeners }> {
  const python = await resolvePython(config.python);
  const { runDagCallback, runDagRunListener } = await import('../worker/dag-callback.js');
  const context: AttemptContext = {
    ...attemptSettingsOf(config, python.executable),
    store,
    identity: { workerId: `scheduler-${hostname()}-${process.pid}`, hostname: hostname(), pid: process.pid },
    connections: storedConnections(config, store),
    log,
  };
  const hooks = await dagRunHooksAtStart({ ...dagCodeSettingsOf(config), dagsFolder: config.dagsFolder, pluginsFolder: config.pluginsFolder, python: python.executable, noAirflow: config.noAirflow }, log);
  return {
    dagCallbacks: (claim) => runDagCallback(context, claim, (line) => log.info(`dag callback: ${line}`, { dagId: claim.dagId, runId: claim.runId })),
    dagRunListeners: { hooks, run: (claim) => runDagRunListener(context, claim, (line) => log.info(`listener ${claim.hook}: ${line}`, { dagId: claim.dagId, runId: claim.runId })) },
  };
}
