/**
 * `dagbridge status [--watch] [--interval S]`: one screen with the queues, the workers and the running tasks.
 * With `--watch` it refreshes: on a terminal the screen is redrawn in place (cursor up over the previous frame,
 * each line cleared, the rest of the screen cleared); elsewhere (pipes, CI logs) each refresh is a plain block
 * under a timestamp line. `--json` prints one snapshot.
 */
import type { Command } from 'commander';
import { requireQueue, requireStore, type App } from '../app.js';
import { readQueueReport, readRunningTasks, readWorkerRows, type RunningTaskRow } from '../inspect/queries.js';
import type { QueueReport } from '../inspect/queues-view.js';
import type { WorkerRow } from '../inspect/workers-view.js';
import { UsageError } from '../lib/errors.js';
import { sleep } from '../lib/sleep.js';
import { withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { instanceName } from './live-view.js';
import { formatSeconds, printJson, renderTable } from './output.js';
import { withApp, onStopSignals } from './run-command.js';
import { workerTable } from './workers.js';

/** One snapshot of the cluster. */
export interface StatusSnapshot {
  /** When it was read (epoch ms). */
  at: number;
  queues: QueueReport['queues'];
  warnings: string[];
  workers: WorkerRow[];
  running: RunningTaskRow[];
}

/** Reads one snapshot. */
export async function readStatus(app: App, now = Date.now()): Promise<StatusSnapshot> {
  const store = requireStore(app);
  const [report, workers, running] = await Promise.all([
    readQueueReport(store, requireQueue(app), now, app.config.leaseMs),
    readWorkerRows(store, now, app.config.leaseMs),
    readRunningTasks(store, now),
  ]);
  return { at: now, queues: report.queues, warnings: report.warnings, workers, running };
}

/** The screen of a snapshot. */
export function statusLines(s: StatusSnapshot): string[] {
  const aliveWorkers = s.workers.filter((w) => w.state !== 'lost' && w.state !== 'stopped');
  return [
    `dagbridge status at ${new Date(s.at).toISOString()}: ${s.queues.reduce((n, q) => n + q.ready, 0)} ready, ${s.running.length} running, ` +
      `${aliveWorkers.length} worker(s) alive (${aliveWorkers.reduce((n, w) => n + w.slotsBusy, 0)}/${aliveWorkers.reduce((n, w) => n + w.concurrency, 0)} slots busy)`,
    '',
    'QUEUES',
    ...(s.queues.length === 0 ? ['  (none)'] : renderTable(['queue', 'ready', 'in_flight', 'retry_wait', 'dead', 'oldest_ready', 'eligible_workers'],
      s.queues.map((q) => [q.queue, q.ready, q.inFlight, q.waitingForRetry, q.deadLettered, q.oldestReadyAgeMs === null ? '' : formatSeconds(q.oldestReadyAgeMs / 1000), q.eligibleWorkers.join(',') || 'none'])).map((l) => `  ${l}`)),
    ...s.warnings.map((w) => `  warning: ${w}`),
    '',
    'WORKERS',
    ...(s.workers.length === 0 ? ['  (none)'] : workerTable(s.workers).map((l) => `  ${l}`)),
    '',
    'RUNNING',
    ...(s.running.length === 0 ? ['  (none)'] : renderTable(['dag_id', 'run_id', 'task', 'try', 'queue', 'worker', 'elapsed'],
      s.running.map((t) => [t.dagId, t.runId, instanceName(t), t.tryNumber, t.queue, t.workerId ?? '', t.elapsedMs === null ? '' : formatSeconds(t.elapsedMs / 1000)])).map((l) => `  ${l}`)),
  ];
}

/**
 * Draws frames: on a TTY each frame replaces the previous one in place; otherwise frames are appended as
 * blocks separated by a blank line.
 */
export class StatusScreen {
  private drawnLines = 0;
  private frames = 0;

  constructor(private readonly out: { write(text: string): unknown }, private readonly tty: boolean) {}

  draw(lines: readonly string[]): void {
    if (!this.tty) {
      this.out.write(`${this.frames > 0 ? '\n' : ''}${lines.join('\n')}\n`);
      this.frames += 1;
      return;
    }
    // Cursor up over the last frame, rewrite each line cleared, then clear whatever the old frame had below.
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\r` : '';
    this.out.write(`${up}${lines.map((line) => `\x1b[2K${line}\n`).join('')}\x1b[J`);
    this.drawnLines = lines.length;
    this.frames += 1;
  }
}

/** Registers `status`. */
export function registerStatusCommand(program: Command): void {
  withJson(withConnectionOptions(program.command('status').description('queues, workers and running tasks on one screen')))
    .option('-w, --watch', 'refresh until interrupted (in place on a terminal)')
    .option('--interval <seconds>', 'seconds between refreshes with --watch', '2')
    .option('--iterations <n>', 'with --watch: stop after this many refreshes (scripts, tests)')
    .action(async (options: SharedOptions & { watch?: boolean; interval?: string; iterations?: string }) => {
      const intervalMs = Number(options.interval ?? '2') * 1000;
      if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new UsageError('--interval must be a positive number of seconds');
      const iterations = options.iterations === undefined ? Infinity : Number(options.iterations);
      if (iterations !== Infinity && (!Number.isInteger(iterations) || iterations < 1)) throw new UsageError('--iterations must be a positive integer');
      await withApp(options, { role: 'cli', database: true, redis: true }, async (app) => {
        if (options.json) {
          printJson(await readStatus(app));
          return;
        }
        const screen = new StatusScreen(process.stdout, Boolean(process.stdout.isTTY) && process.env.TERM !== 'dumb');
        if (!options.watch) {
          screen.draw(statusLines(await readStatus(app)));
          return;
        }
        const stop = new AbortController();
        const remove = onStopSignals(() => stop.abort(), () => stop.abort());
        try {
          for (let i = 0; i < iterations && !stop.signal.aborted; i++) {
            if (i > 0) await sleep(intervalMs, stop.signal);
            if (stop.signal.aborted) break;
            screen.draw(statusLines(await readStatus(app)));
          }
        } finally {
          remove();
        }
      });
    });
}
