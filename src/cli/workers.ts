/**
 * `dagbridge workers list | inspect | ping | drain | resume | shutdown`: the workers as PostgreSQL knows them
 * (registrations and heartbeats) and what Redis says they hold. Requests (drain, shutdown) are written to the
 * worker's row; the worker reads them with its next heartbeat, so they reach it within one heartbeat interval.
 */
import type { Command } from 'commander';
import { requireQueue, requireStore } from '../app.js';
import { readRunningTasks, readWorkerRows } from '../inspect/queries.js';
import type { WorkerRow } from '../inspect/workers-view.js';
import { NotFoundError } from '../lib/errors.js';
import { requestWorker, type WorkerRequest } from '../actions/worker-requests.js';
import { withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { instanceName } from './live-view.js';
import { describeMessageId } from './queue.js';
import { formatSeconds, printJson, printLines, renderTable } from './output.js';
import { withApp } from './run-command.js';

const ago = (ms: number | null): string => (ms === null ? 'never' : `${formatSeconds(ms / 1000)} ago`);

/** The `workers list` table. */
export function workerTable(rows: readonly WorkerRow[]): string[] {
  return renderTable(['worker', 'host', 'pid', 'state', 'slots', 'queues', 'refused', 'heartbeat', 'last_poll', 'version'],
    rows.map((w) => [
      w.workerId, w.hostname, w.pid, w.requestedAction && w.state !== 'lost' && w.state !== 'stopped' ? `${w.state} (${w.requestedAction} requested)` : w.state,
      `${w.slotsBusy}/${w.concurrency}`, w.queues.join(','), w.refused.map((r) => r.queue).join(','), ago(w.heartbeatAgeMs), ago(w.pollAgeMs), w.version,
    ]));
}

async function requireWorker(rows: readonly WorkerRow[], workerId: string): Promise<WorkerRow> {
  const row = rows.find((w) => w.workerId === workerId);
  if (!row) throw new NotFoundError(`worker ${workerId} is not registered (see dagbridge workers list)`);
  return row;
}

/** Registers the `workers` group. */
export function registerWorkersCommands(program: Command): void {
  const group = program.command('workers').description('workers: list, inspect, ping, drain, resume, shutdown');

  withJson(withConnectionOptions(group.command('list').description('every registered worker: state, slots, queues served and refused, heartbeat and poll ages'))).action(
    async (options: SharedOptions) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const rows = await readWorkerRows(requireStore(app), Date.now(), app.config.leaseMs);
        if (options.json) {
          printJson(rows);
          return;
        }
        printLines(workerTable(rows));
        for (const w of rows) for (const r of w.refused) printLines(r.reasons.map((reason) => `${w.workerId} refuses ${reason}`));
      });
    },
  );

  withJson(withConnectionOptions(group.command('inspect').argument('<worker_id>').description('what a worker runs now: its running task instances and the messages it holds'))).action(
    async (workerId: string, options: SharedOptions) => {
      await withApp(options, { role: 'cli', database: true, redis: true }, async (app) => {
        const store = requireStore(app);
        const now = Date.now();
        const worker = await requireWorker(await readWorkerRows(store, now, app.config.leaseMs), workerId);
        const queue = requireQueue(app);
        const [running, held, queueNow] = await Promise.all([readRunningTasks(store, now, workerId), queue.inFlight(workerId), queue.time()]);
        const inFlight = held.map((m) => ({ ...m, leaseRemainingMs: m.leaseDeadline - queueNow }));
        if (options.json) {
          printJson({ worker, running, inFlight });
          return;
        }
        printLines([
          `${worker.workerId} on ${worker.hostname} (pid ${worker.pid ?? '?'}): ${worker.state}, ${worker.slotsBusy}/${worker.concurrency} slots busy, heartbeat ${ago(worker.heartbeatAgeMs)}`,
          '',
          ...(running.length === 0 ? ['no running task instances'] : renderTable(['dag_id', 'run_id', 'task', 'try', 'queue', 'elapsed'],
            running.map((t) => [t.dagId, t.runId, instanceName(t), t.tryNumber, t.queue, t.elapsedMs === null ? '' : formatSeconds(t.elapsedMs / 1000)]))),
          '',
          ...(inFlight.length === 0 ? ['no messages held'] : renderTable(['message', 'queue', 'deliveries', 'lease_left'],
            inFlight.map((m) => [describeMessageId(m.id), m.queue, m.deliveries, formatSeconds(m.leaseRemainingMs / 1000)]))),
        ]);
      });
    },
  );

  withJson(withConnectionOptions(group.command('ping').description('which workers answered recently (heartbeat age); exit 1 when none is alive'))).action(
    async (options: SharedOptions) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const rows = (await readWorkerRows(requireStore(app), Date.now(), app.config.leaseMs)).filter((w) => w.state !== 'stopped');
        const answers = rows.map((w) => ({ workerId: w.workerId, hostname: w.hostname, alive: w.state !== 'lost', heartbeatAgeMs: w.heartbeatAgeMs, state: w.state }));
        const alive = answers.filter((a) => a.alive).length;
        if (options.json) printJson({ alive, workers: answers });
        else printLines([
          ...answers.map((a) => `${a.alive ? 'pong' : 'lost'}  ${a.workerId} (${a.hostname}): heartbeat ${ago(a.heartbeatAgeMs)}`),
          `${alive} of ${answers.length} worker(s) alive (lease ${formatSeconds(app.config.leaseMs / 1000)})`,
        ]);
        if (alive === 0) process.exitCode = 1;
      });
    },
  );

  const request = (name: WorkerRequest, description: string, said: (workerId: string, options: { cold?: boolean }) => string): Command =>
    withJson(withConnectionOptions(group.command(name).argument('<worker_id>').description(description))).action(
      async (workerId: string, options: SharedOptions & { cold?: boolean }) => {
        await withApp(options, { role: 'cli', database: true }, async (app) => {
          const requested = await requestWorker(requireStore(app), workerId, name, options.cold);
          if (options.json) printJson({ workerId, requestedAction: requested });
          else printLines([said(workerId, options)]);
        });
      },
    );

  request('drain', 'stop claiming new tasks; running ones finish (undo with workers resume)',
    (id) => `worker ${id} asked to drain: it claims nothing more once it reads the request (next heartbeat)`);
  request('resume', 'clear a drain (or a shutdown request not yet read)', (id) => `worker ${id}: request cleared; it claims again after its next heartbeat`);
  request('shutdown', 'stop the worker: running tasks finish within its grace period (--cold: handed back now)',
    (id, o) => `worker ${id} asked to shut down${o.cold ? ' now (running tasks handed back)' : ' after its running tasks finish'}`)
    .option('--cold', 'kill running tasks now and hand them back for another worker');
}
