/**
 * `dagbridge dags trigger | pause | unpause | backfill`: DAG commands that act on the metadata database.
 */
import type { Command } from 'commander';
import { assertNewRun } from '../dag/new-run.js';
import { notifyChanges, requireStore } from '../app.js';
import { didYouMean } from '../lib/did-you-mean.js';
import { DagbridgeError, NotFoundError, UsageError } from '../lib/errors.js';
import { backfillDagRuns, triggerDagRun } from '../scheduler/run-creator.js';
import { customTimetablesOf } from '../shim/timetable.js';
import type { ClusterStore } from '../app.js';
import type { DagRecord } from '../ports/metadata-store.js';
import { configFrom, parseConf, parseLogicalDate, withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { printJson, printLines, renderTable } from './output.js';
import { withApp } from './run-command.js';

/** The stored DAG or a NotFoundError saying how DAGs get there. */
export async function storedDag(store: ClusterStore, dagId: string): Promise<DagRecord> {
  const dag = await store.getDag(dagId);
  if (dag) return dag;
  const hint = didYouMean(dagId, (await store.listDags()).map((known) => known.dagId));
  throw new NotFoundError(`DAG "${dagId}" is not in the metadata database${hint !== '' ? hint : '; is a scheduler parsing the DAGs folder that defines it?'}`);
}

/** Registers the database-backed `dags` commands on the `dags` group. */
export function registerDagClusterCommands(dags: Command): void {
  withJson(withConnectionOptions(dags.command('trigger').argument('<dag_id>').description('create a manual DAG run')))
    .option('--conf <json>', 'DAG run conf as a JSON object')
    .option('--logical-date <date>', 'logical date (ISO 8601; default now)')
    .option('--run-id <id>', 'run id (default manual__<logical date>)')
    .action(async (dagId: string, options: SharedOptions & { conf?: string; logicalDate?: string; runId?: string }) => {
      const conf = parseConf(options.conf, configFrom(options));
      const logicalDate = parseLogicalDate(options.logicalDate);
      // Refused before connecting; the store refuses it again for every other way a run is created.
      if (options.runId !== undefined) assertNewRun({ dagId, runId: options.runId });
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const store = requireStore(app);
        const dag = await storedDag(store, dagId);
        const { run, created } = await triggerDagRun(store, dag, Date.now(), {
          conf, logicalDate, runId: options.runId, semantics: app.config.scheduleSemantics ?? undefined,
          // A custom timetable is asked with this command's DAGs and plugins folders (docs/scheduling.md).
          timetables: customTimetablesOf(app.config, app.log),
        });
        if (!created) throw new UsageError(`DAG run ${run.runId} of ${dagId} already exists; pass another --run-id or --logical-date`);
        await notifyChanges(app.pool, 'trigger');
        if (options.json) printJson(run);
        else printLines([`created DAG run ${run.runId} of ${dagId} (state ${run.state})${dag.isPaused ? '; note: the DAG is paused, so the run waits until it is unpaused' : ''}`]);
      });
    });

  for (const [name, paused] of [['pause', true], ['unpause', false]] as const) {
    withConnectionOptions(dags.command(name).argument('<dag_id>').description(`${name} a DAG (paused DAGs get no scheduled runs and start no tasks)`)).action(
      async (dagId: string, options: SharedOptions) => {
        await withApp(options, { role: 'cli', database: true }, async (app) => {
          const store = requireStore(app);
          if (!(await store.setPaused(dagId, paused))) await storedDag(store, dagId);
          await notifyChanges(app.pool, name);
          printLines([`DAG ${dagId} ${paused ? 'paused' : 'unpaused'}`]);
        });
      },
    );
  }

  withJson(withConnectionOptions(dags.command('backfill').argument('<dag_id>').description('create the runs of a date range (both ends inclusive)')))
    .requiredOption('--from <date>', 'first logical date (ISO 8601)')
    .requiredOption('--to <date>', 'last logical date (ISO 8601)')
    .action(async (dagId: string, options: SharedOptions & { from: string; to: string }) => {
      const from = parseLogicalDate(options.from) as string;
      const to = parseLogicalDate(options.to) as string;
      if (Date.parse(from) > Date.parse(to)) throw new UsageError(`--from ${from} is after --to ${to}`);
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const store = requireStore(app);
        const dag = await storedDag(store, dagId);
        let timetableError: string | null = null;
        const runs = await backfillDagRuns(store, dag, from, to, Date.now(), app.config.scheduleSemantics ?? undefined, {
          // A custom timetable is asked with this command's DAGs and plugins folders (docs/scheduling.md).
          timetables: customTimetablesOf(app.config, app.log),
          onTimetableError: (error) => {
            timetableError = error;
          },
        });
        if (timetableError !== null) {
          // Airflow logs the error and backfills the runs before it; with none there is nothing to show but it.
          if (runs.length === 0) throw new DagbridgeError('TIMETABLE_FAILED', `backfill of ${dagId} created no runs: ${timetableError}`);
          app.log.warn('backfill: the custom timetable failed; the runs before the failure were created', { dagId, error: timetableError });
        }
        await notifyChanges(app.pool, 'backfill');
        if (options.json) printJson(runs.map((r) => ({ runId: r.run.runId, created: r.created, state: r.run.state })));
        else {
          printLines([
            `${runs.filter((r) => r.created).length} run(s) created, ${runs.filter((r) => !r.created).length} already existed`,
            ...runs.map((r) => `  ${r.run.runId}${r.created ? '' : ' (exists)'}`),
            ...(timetableError === null ? [] : [`stopped early: ${timetableError}`]),
          ]);
        }
      });
    });

  withJson(withConnectionOptions(dags.command('list-import-errors').description('the import errors the scheduler recorded at its last parse of the DAGs folder (`dags errors` parses a folder here instead)')))
    .action(async (options: SharedOptions) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const errors = await requireStore(app).listImportErrors();
        if (options.json) {
          printJson(errors.map((error) => ({ ...error, updatedAt: new Date(error.updatedAt).toISOString() })));
          return;
        }
        if (errors.length === 0) {
          printLines(['no import errors recorded (the scheduler parsed every file of its DAGs folder)']);
          return;
        }
        printLines(renderTable(['file', 'error', 'recorded'], errors.map((error) => [error.file, `${error.type}: ${error.message}`, new Date(error.updatedAt).toISOString()])));
      });
    });
}
