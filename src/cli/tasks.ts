/**
 * `dagbridge tasks states | logs | clear | mark-success | mark-failed` (database-backed task-instance commands).
 * `tasks test` is in dags-test.ts.
 */
import type { Command } from 'commander';
import { notifyChanges, requireStore, type ClusterStore } from '../app.js';
import { TASK_INSTANCE_STATES } from '../dag/states.js';
import { buildGraph, downstreamClosure, upstreamClosure } from '../dag/graph.js';
import { NotFoundError, UsageError } from '../lib/errors.js';
import { sleep } from '../lib/sleep.js';
import type { DagRunRecord, TaskInstanceKey } from '../ports/metadata-store.js';
import { listRunsPage, listTaskInstancesPage } from '../store/web-queries.js';
import { didYouMean } from '../lib/did-you-mean.js';
import { storedDag } from './dags-cluster.js';
import { unknownTaskMessage } from './dags.js';
import { looksLikeDate, parseLogicalDate } from './common-options.js';
import { withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { instanceName, namedInstance } from './live-view.js';
import { renderLogLine } from './log-view.js';
import { printJson, printLines, renderTable } from './output.js';
import { withApp } from './run-command.js';
import { markTaskInstances } from '../actions/mark-task-instances.js';
import { applyClear, clearTargets, planClear } from '../actions/clear-task-instances.js';

/**
 * The run named by its run id or, as Airflow's `execution_date_or_run_id`, by its logical date
 * (`2024-06-03`, `2024-06-03T06:00:00+00:00`); a NotFoundError saying where to look otherwise.
 */
export async function runOf(store: ClusterStore, dagId: string, runIdOrDate: string): Promise<DagRunRecord> {
  const run = await store.getDagRun({ dagId, runId: runIdOrDate });
  if (run) return run;
  if (looksLikeDate(runIdOrDate)) {
    const logicalDate = parseLogicalDate(runIdOrDate) as string;
    const page = await listRunsPage(store.pool, { dagId, logicalDate, limit: 1, offset: 0, orderBy: '-id' });
    if (page.items[0]) return page.items[0];
    throw new NotFoundError(`DAG ${dagId} has no run with run id or logical date ${runIdOrDate} (see dagbridge runs list ${dagId})`);
  }
  await storedDag(store, dagId);
  throw new NotFoundError(`DAG run ${runIdOrDate} of ${dagId} does not exist (see dagbridge runs list ${dagId})`);
}

/** Why a task instance of an existing run is not there: an unknown task id (with the closest ones), or a map index. */
async function missingInstanceMessage(store: ClusterStore, run: DagRunRecord, key: TaskInstanceKey): Promise<string> {
  const spec = await store.getDagVersion(run.dagId, run.versionHash);
  if (spec && !spec.tasks.some((task) => task.taskId === key.taskId)) return unknownTaskMessage(key.taskId, spec);
  return `task instance ${instanceName(key)} of ${run.dagId} ${run.runId} does not exist (see dagbridge tasks states ${run.dagId} ${run.runId})`;
}

function mapIndexOf(value: string | undefined): number {
  const mapIndex = Number(value ?? '-1');
  if (!Number.isInteger(mapIndex) || mapIndex < -1) throw new UsageError('--map-index must be -1 or a non-negative integer');
  return mapIndex;
}

/** Registers the database-backed `tasks` commands. */
export function registerTaskCommands(tasks: Command): void {
  withJson(withConnectionOptions(tasks.command('list').description('task instances across every DAG and run, latest ended first: e.g. every failed one (--state failed)')))
    .option('--state <state...>', 'only these states (failed, upstream_failed, up_for_retry, running, queued, ...)')
    .option('--dag-id <dag_id>', 'only this DAG')
    .option('-n, --limit <n>', 'most task instances to list', '50')
    .action(async (options: SharedOptions & { state?: string[]; dagId?: string; limit?: string }) => {
      const limit = Number(options.limit ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be an integer from 1 to 10000');
      for (const state of options.state ?? []) {
        if (!(TASK_INSTANCE_STATES as readonly string[]).includes(state)) throw new UsageError(`--state ${JSON.stringify(state)} is not a task instance state${didYouMean(state, TASK_INSTANCE_STATES)}; use one of ${TASK_INSTANCE_STATES.join(', ')}`);
      }
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const store = requireStore(app);
        const page = await listTaskInstancesPage(store.pool, { dagId: options.dagId, states: options.state, limit, offset: 0, orderBy: '-end_date' });
        if (options.json) {
          printJson({ total: page.total, taskInstances: page.items });
          return;
        }
        printLines(renderTable(['dag_id', 'run_id', 'task', 'state', 'try', 'ended', 'note'],
          page.items.map((ti) => [ti.dagId, ti.runId, namedInstance(ti), ti.state, ti.tryNumber, ti.endDate === null ? '' : new Date(ti.endDate).toISOString(), ti.note ?? ''])));
        if (page.total > page.items.length) printLines([`(${page.items.length} of ${page.total}; --limit to see more)`]);
      });
    });

  withJson(withConnectionOptions(tasks.command('states').argument('<dag_id>').argument('<run_id>', 'run id, or the run\'s logical date').description('the state of every task instance of a DAG run'))).action(
    async (dagId: string, runId: string, options: SharedOptions) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const store = requireStore(app);
        const instances = await store.listTaskInstances(await runOf(store, dagId, runId));
        if (options.json) printJson(instances);
        else printLines(renderTable(['task', 'state', 'try', 'queue', 'pool', 'worker', 'note'],
          instances.map((ti) => [namedInstance(ti), ti.state, ti.tryNumber, ti.queue, ti.pool, ti.workerId ?? '', ti.note ?? ''])));
      });
    },
  );

  withJson(withConnectionOptions(tasks.command('logs').argument('<dag_id>').argument('<run_id>', 'run id, or the run\'s logical date').argument('<task_id>').description('print a task attempt\'s log (stored in PostgreSQL, readable from any machine) as "STREAM | line" (stdout, stderr, or system for dagbridge\'s own lines), control characters escaped; --json gives the lines as stored')))
    .option('--try <n>', 'try number (default the latest)')
    .option('--map-index <n>', 'map index of a mapped task', '-1')
    .option('-f, --follow', 'keep printing new lines until the attempt ends')
    .option('--timestamps', 'prefix each line with its time')
    .action(async (dagId: string, runId: string, taskId: string, options: SharedOptions & { try?: string; mapIndex?: string; follow?: boolean; timestamps?: boolean }) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const store = requireStore(app);
        const run = await runOf(store, dagId, runId);
        const key = { dagId, runId: run.runId, taskId, mapIndex: mapIndexOf(options.mapIndex) };
        const ti = await store.getTaskInstance(key);
        if (!ti) throw new NotFoundError(await missingInstanceMessage(store, run, key));
        const tryNumber = options.try ? Number(options.try) : ti.tryNumber;
        if (!Number.isInteger(tryNumber) || tryNumber < 1 || tryNumber > ti.tryNumber) throw new UsageError(`--try must be between 1 and ${ti.tryNumber}`);
        let after = -1;
        const all: unknown[] = [];
        for (;;) {
          const lines = await store.readLogLines(key, tryNumber, after);
          for (const line of lines) {
            after = line.seq;
            if (options.json) all.push(line);
            else process.stdout.write(`${renderLogLine(line, { timestamps: options.timestamps })}\n`);
          }
          if (!options.follow) break;
          const now = await store.getTaskInstance(key);
          const stillRunning = now !== null && now.tryNumber === tryNumber && ['queued', 'running', 'restarting', 'scheduled'].includes(now.state);
          if (!stillRunning && lines.length === 0) break;
          await sleep(500);
        }
        if (options.json) printJson(all);
      });
    });

  withJson(withConnectionOptions(tasks.command('clear').argument('<dag_id>').argument('<run_id>', 'run id, or the run\'s logical date').argument('<task_ids...>').description('clear task instances so they run again (with their retries)')))
    .option('--downstream', 'also clear every downstream task, and the tasks of other DAGs its ExternalTaskMarkers point at (with their downstream, recursively)')
    .option('--upstream', 'also clear every upstream task')
    .action(async (dagId: string, runId: string, taskIds: string[], options: SharedOptions & { downstream?: boolean; upstream?: boolean }) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const store = requireStore(app);
        const run = await runOf(store, dagId, runId);
        const spec = await store.getDagVersion(run.dagId, run.versionHash);
        if (!spec) throw new NotFoundError(`the DAG version of run ${runId} is missing`);
        const graph = buildGraph(spec);
        const selected = new Set<string>();
        for (const taskId of taskIds) {
          if (!graph.tasks.has(taskId)) throw new UsageError(unknownTaskMessage(taskId, spec));
          selected.add(taskId);
          if (options.downstream) for (const id of downstreamClosure(graph, taskId)) selected.add(id);
          if (options.upstream) for (const id of upstreamClosure(graph, taskId)) selected.add(id);
        }
        // Airflow follows ExternalTaskMarkers when the downstream is cleared too; the whole plan is made first.
        const plan = options.downstream ? await planClear(store, run, spec, selected) : [{ run, spec, taskIds: selected }];
        const cleared = await applyClear(store, await clearTargets(store, plan), Date.now());
        await notifyChanges(app.pool, 'clear');
        const external = plan.slice(1).map((part) => ({ dagId: part.run.dagId, runId: part.run.runId, taskIds: [...part.taskIds].sort() }));
        if (options.json) printJson({ cleared, taskIds: [...selected].sort(), external });
        else printLines([`cleared ${cleared} task instance(s): ${[...selected].sort().join(', ')}`, ...external.map((e) => `  and in ${e.dagId} ${e.runId}: ${e.taskIds.join(', ')}`)]);
      });
    });

  for (const [name, state] of [['mark-success', 'success'], ['mark-failed', 'failed']] as const) {
    withConnectionOptions(tasks.command(name).argument('<dag_id>').argument('<run_id>', 'run id, or the run\'s logical date').argument('<task_id>').description(`set a task instance to ${state}`))
      .option('--map-index <n>', 'map index of a mapped task', '-1')
      .action(async (dagId: string, runId: string, taskId: string, options: SharedOptions & { mapIndex?: string }) => {
        await withApp(options, { role: 'cli', database: true }, async (app) => {
          const store = requireStore(app);
          const run = await runOf(store, dagId, runId);
          const spec = await store.getDagVersion(run.dagId, run.versionHash);
          const key = { dagId, runId: run.runId, taskId, mapIndex: mapIndexOf(options.mapIndex) };
          const ti = await store.getTaskInstance(key);
          if (!ti || !spec) throw new NotFoundError(await missingInstanceMessage(store, run, key));
          const outcome = await markTaskInstances(store, run, spec, [ti], state, Date.now());
          if (outcome.refused.length > 0) throw new UsageError(`task instance ${instanceName(key)} is ${ti.state}: its task is no longer in the DAG, so it cannot be marked`);
          if (outcome.changedMeanwhile.length > 0) throw new UsageError(`task instance ${instanceName(key)} changed state meanwhile; run the command again`);
          if (outcome.marked.length > 0) await notifyChanges(app.pool, name);
          printLines([outcome.marked.length > 0 ? `${instanceName(key)}: ${ti.state} -> ${state}` : `${instanceName(key)}: already ${state}`]);
        });
      });
  }
}
