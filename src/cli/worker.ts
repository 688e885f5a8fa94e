/**
 * `dagbridge worker`: verify the dependency manifest, register, then claim one task per free slot from the
 * queues the environment satisfies. `dagbridge worker check` (CI) lives in manifest.ts.
 */
import { attemptSettingsOf, storedConnections } from './attempt-settings.js';
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { requireQueue, requireStore } from '../app.js';
import type { ServiceState } from '../lib/service-state.js';
import { serveServiceHttp, WorkerMetrics } from '../http/service-metrics.js';
import { loadManifest } from '../manifest/manifest.js';
import { resolvePython } from '../shim/python.js';
import { planWorkerManifest } from '../worker/manifest-gate.js';
import { waitForStore } from '../lib/retry.js';
import { configFrom, withConnectionOptions, withDagOptions, type SharedOptions } from './common-options.js';
import { assertCanRunAsUsers } from '../worker/run-as-user-check.js';
import { onStopSignals, withApp } from './run-command.js';

interface WorkerOptions extends SharedOptions {
  queues?: string;
  concurrency?: string;
  manifest?: string;
  workerId?: string;
  strict?: boolean;
  httpPort?: string;
  httpHost?: string;
  runAsUser?: string;
}

/** A worker id: host, pid and a random suffix (ids touch no path; they are validated as text). */
export function defaultWorkerId(): string {
  return `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Registers `worker` (the group's own action runs a worker). */
export function registerWorkerCommand(program: Command): Command {
  const worker = withConnectionOptions(withDagOptions(program.command('worker').description('run a worker: verify the manifest, then run tasks from the queues it satisfies')))
    // `worker check` has options of the same names: each command keeps its own.
    .enablePositionalOptions()
    .option('--queues <list>', 'comma-separated queues to serve (default "default", env DAGBRIDGE_QUEUES)')
    .option('--concurrency <n>', 'task slots (default 4, env DAGBRIDGE_CONCURRENCY)')
    .option('--manifest <file>', 'dependency manifest to verify before pulling work (env DAGBRIDGE_MANIFEST)')
    .option('--worker-id <id>', 'worker id (default host-pid-random)')
    .option('--strict', 'exit 1 when the environment satisfies none of the queues')
    .option('--run-as-user <users>', 'run tasks as this user (the worker must be root); more comma-separated users may be named by a task\'s run_as_user (env DAGBRIDGE_RUN_AS_USER; default: the worker\'s user)')
    .option('--http-port <port>', 'serve /health and /metrics on this port (env DAGBRIDGE_HTTP_PORT; default: not served)')
    .option('--http-host <address>', 'interface of /health and /metrics (default 127.0.0.1, this machine only; 0.0.0.0 for every interface; env DAGBRIDGE_HTTP_HOST)')
    .action(async (options: WorkerOptions) => {
      const flags = { queues: options.queues, concurrency: options.concurrency, manifest: options.manifest, httpPort: options.httpPort, httpHost: options.httpHost, runAsUser: options.runAsUser };
      // Before any connection: a worker that cannot switch users would fail every task it claims.
      assertCanRunAsUsers(configFrom(options, flags).runAsUser);
      await withApp(options, { role: 'worker', database: true, redis: true }, async (app) => {
        const { config } = app;
        const store = requireStore(app);
        const queue = requireQueue(app);
        const python = await resolvePython(config.python);
        const plan = await planWorkerManifest({
          localManifest: config.manifest ? loadManifest(config.manifest) : null,
          localPath: config.manifest,
          registry: store, python: python.executable, queues: config.queues,
          startupRead: (what, read) => waitForStore(what, read, app.log),
        });
        const { verdict } = plan;
        if (plan.notice) app.log.warn(plan.notice);
        for (const refused of verdict.refused) app.log.warn(`refusing queue ${refused.queue}`, { reasons: refused.reasons.join('; ') });
        if (verdict.served.length === 0) {
          if (options.strict) {
            process.stderr.write(`dagbridge: this environment satisfies none of the queues ${config.queues.join(', ')}:\n${verdict.refused.flatMap((r) => r.reasons).map((r) => `  ${r}`).join('\n')}\n`);
            process.exitCode = 1;
            return;
          }
          app.log.error('no queue is satisfied: the worker pulls nothing and shows as unhealthy');
        }
        const metrics = config.httpPort === null ? undefined : new WorkerMetrics({ leaseMs: config.leaseMs, state: (): ServiceState => service.state, redisStatus: () => app.redis?.status ?? null });
        // The task runner's modules are loaded by the commands that run tasks only.
        const { WorkerService } = await import('../worker/worker-service.js');
        const forkServers = (await import('../worker/fork-server.js')).forkServersFor(config, app.log);
        const connections = storedConnections(config, store);
        const service = new WorkerService({
          workerId: options.workerId ?? defaultWorkerId(),
          store, queue,
          verdict,
          manifestWatch: plan.watch,
          concurrency: config.concurrency,
          leaseMs: config.leaseMs,
          heartbeatMs: config.heartbeatMs,
          shutdownGraceMs: config.shutdownGraceMs,
          attempt: {
            ...attemptSettingsOf(config, python.executable),
            workBaseDir: undefined,
            runAsUsers: config.runAsUser,
            forkServers,
            connections,
          },
          log: app.log,
          subscribeToWork: (onWork) => app.subscribeToWork(onWork),
          metrics,
        });
        await service.start();
        const http = metrics ? await serveServiceHttp({ port: config.httpPort, host: config.httpHost }, 'worker', metrics, app.log) : null;
        const remove = onStopSignals(
          (signal) => {
            app.log.info(`${signal}: finishing running tasks (a second signal stops them now)`, { graceMs: config.shutdownGraceMs });
            void service.stop();
          },
          (signal) => {
            app.log.warn(`${signal} again: stopping running tasks and handing them back`);
            service.abortRunning('second signal');
            void service.stop({ cold: true });
          },
        );
        try {
          await service.whenStopped();
        } finally {
          remove();
          await http?.close();
          await forkServers?.close();
        }
      }, flags);
    });
  return worker;
}
