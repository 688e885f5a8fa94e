/**
 * `dagbridge runs list [DAG_ID]` and `dagbridge runs show DAG_ID RUN_ID` (the run's task states as a grid).
 */
import type { Command } from 'commander';
import { requireStore } from '../app.js';
import { namedInstance } from './live-view.js';
import { runOf } from './tasks.js';
import type { DagRunRecord, TaskInstanceRecord } from '../ports/metadata-store.js';
import { withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { formatSeconds, printJson, printLines, renderTable } from './output.js';
import { withApp } from './run-command.js';

const duration = (start: number | null, end: number | null): string => (start !== null ? formatSeconds(((end ?? Date.now()) - start) / 1000) : '-');
const isoOf = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** Named mapped instances listed under their task's summary row; the rest are counted in one line. */
const NAMED_ROWS_PER_TASK = 20;

const instanceRow = (name: string, ti: TaskInstanceRecord): Array<string | number> =>
  [name, ti.state, ti.tryNumber, duration(ti.startDate, ti.endDate), ti.hostname ?? '', ti.note ?? ''];

/**
 * The task instances of a run, one row per task; mapped tasks summarised by state, followed by a row for each
 * instance its `map_index_template` named (the first NAMED_ROWS_PER_TASK).
 */
export function taskGrid(instances: readonly TaskInstanceRecord[]): string[] {
  const byTask = new Map<string, TaskInstanceRecord[]>();
  for (const ti of instances) byTask.set(ti.taskId, [...(byTask.get(ti.taskId) ?? []), ti]);
  const rows = [...byTask.entries()].flatMap(([taskId, tis]) => {
    if (tis.length === 1 && tis[0]?.mapIndex === -1) return [instanceRow(taskId, tis[0])];
    const counts = new Map<string, number>();
    for (const ti of tis) counts.set(ti.state, (counts.get(ti.state) ?? 0) + 1);
    const summary = [...counts.entries()].map(([state, n]) => `${n} ${state}`).join(', ');
    const named = tis.filter((ti) => ti.renderedMapIndex);
    const namedRows = named.slice(0, NAMED_ROWS_PER_TASK).map((ti) => instanceRow(`  ${namedInstance(ti)}`, ti));
    if (named.length > NAMED_ROWS_PER_TASK) namedRows.push([`  (${named.length - NAMED_ROWS_PER_TASK} more named)`, '', '', '', '', '']);
    return [[`${taskId} [${tis.length} mapped]`, summary, Math.max(...tis.map((t) => t.tryNumber)), '', '', ''], ...namedRows];
  });
  return renderTable(['task', 'state', 'try', 'duration', 'host', 'note'], rows.map((row) => row.map((cell) => (typeof cell === 'string' ? cell.slice(0, 90) : cell))));
}

/** Registers the `runs` group. */
export function registerRunCommands(program: Command): void {
  const runs = program.command('runs').description('DAG runs: list, show');

  withJson(withConnectionOptions(runs.command('list').argument('[dag_id]').description('list DAG runs, newest first')))
    .option('-n, --limit <n>', 'most runs to list', '50')
    .action(async (dagId: string | undefined, options: SharedOptions & { limit?: string }) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const list = await requireStore(app).listDagRuns({ dagId, limit: Number(options.limit ?? 50) });
        if (options.json) printJson(list);
        else printLines(renderTable(['dag_id', 'run_id', 'type', 'state', 'logical_date', 'started', 'duration'],
          list.map((run) => [run.dagId, run.runId, run.runType, run.state, run.logicalDate ?? '', isoOf(run.startDate), duration(run.startDate, run.endDate)])));
      });
    });

  withJson(withConnectionOptions(runs.command('show').argument('<dag_id>').argument('<run_id>', 'run id, or the run\'s logical date').description('show a DAG run and the state of each task'))).action(
    async (dagId: string, runId: string, options: SharedOptions) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const store = requireStore(app);
        const run: DagRunRecord = await runOf(store, dagId, runId);
        const instances = await store.listTaskInstances(run);
        if (options.json) {
          printJson({ ...run, taskInstances: instances });
          return;
        }
        printLines([
          `${run.dagId} ${run.runId}: ${run.state} (${run.runType}, logical date ${run.logicalDate ?? '-'}, ${duration(run.startDate, run.endDate)})`,
          '',
          ...taskGrid(instances),
        ]);
      });
    },
  );
}
