/**
 * `dagbridge tasks why DAG_ID RUN_ID TASK_ID [--map-index N]`: why a task instance is not running, from the
 * scheduler's own decisions replayed on what PostgreSQL and Redis hold now (see src/inspect/why.ts).
 */
import type { Command } from 'commander';
import { requireStore } from '../app.js';
import { readWhy } from '../inspect/queries.js';
import type { WhyReport } from '../inspect/why.js';
import { UsageError } from '../lib/errors.js';
import { configFrom, withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { instanceName } from './live-view.js';
import { printJson, printLines } from './output.js';
import { withApp } from './run-command.js';

/** The report for people. */
export function whyLines(report: WhyReport): string[] {
  const upstream = report.upstream.map((u) => `${u.taskId}=${Object.entries(u.states).map(([state, n]) => (n === 1 ? state : `${n} ${state}`)).join('+') || 'no instance'}`);
  return [
    `${report.dagId} ${report.runId} ${instanceName(report)}: ${report.state} (try ${report.tryNumber}, queue ${report.queue}, pool ${report.pool}; run ${report.runState})`,
    ...(report.triggerRule !== null && upstream.length > 0 ? [`trigger rule ${report.triggerRule}; upstream: ${upstream.join(', ')}`] : []),
    ...report.reasons.map((r) => `- ${r.message}`),
  ];
}

/** Registers `tasks why` on the `tasks` group. */
export function registerTaskWhyCommand(tasks: Command): void {
  withJson(withConnectionOptions(tasks.command('why').argument('<dag_id>').argument('<run_id>').argument('<task_id>').description('why a task instance is not running (dependencies, pools, limits, workers, queue)')))
    .option('--map-index <n>', 'map index of a mapped task', '-1')
    .action(async (dagId: string, runId: string, taskId: string, options: SharedOptions & { mapIndex?: string }) => {
      const mapIndex = Number(options.mapIndex ?? '-1');
      if (!Number.isInteger(mapIndex) || mapIndex < -1) throw new UsageError('--map-index must be -1 or a non-negative integer');
      // Redis is optional: without it, a queued instance is explained without the message's whereabouts.
      const redis = configFrom(options).redisUrl !== null;
      await withApp(options, { role: 'cli', database: true, redis }, async (app) => {
        const report = await readWhy(requireStore(app), app.queue, { dagId, runId, taskId, mapIndex }, Date.now(), app.config.leaseMs);
        if (options.json) printJson(report);
        else printLines(whyLines(report));
      });
    });
}
