/**
 * `dagbridge dags ...`: reading a DAG folder through the shim (list, show, export, errors); `show` and `errors`
 * also ask each custom timetable once what the scheduler asks first, and report its failure.
 * Commands that need the metadata database (trigger, pause, backfill) and `dags test` live in their own files.
 */
import type { Command } from 'commander';
import type { DagBundle, DagSpec } from '../dag/bundle.js';
import { didYouMean } from '../lib/did-you-mean.js';
import { NotFoundError } from '../lib/errors.js';
import { exportDags } from '../shim/export.js';
import { configFrom, withDagOptions, withJson, type SharedOptions } from './common-options.js';
import { describeSchedule, renderTaskTree } from './dag-view.js';
import { printJson, printLines, renderTable } from './output.js';
import { dagCodeSettingsOf } from '../shim/python.js';
import { firstNextRunFailure, timetableEvaluatorOf, type TimetableFailure } from '../shim/timetable.js';
import { customScheduleOf, restrictionOf, scheduleSettingsOf } from '../dag/schedule.js';

/** Exports the configured DAG folder. */
async function loadBundle(options: SharedOptions): Promise<DagBundle> {
  const config = configFrom(options);
  return exportDags({ dagsFolder: config.dagsFolder, python: config.python, pluginsFolder: config.pluginsFolder, noAirflow: config.noAirflow, ...dagCodeSettingsOf(config) });
}

/**
 * The failures of the custom timetables of `dags` (those that can be scheduled), each asked once what the
 * scheduler asks first (docs/scheduling.md "Custom timetables"): what is true of the DAG folder now.
 */
async function timetableFailures(options: SharedOptions, dags: readonly DagSpec[]): Promise<Map<string, TimetableFailure>> {
  const failures = new Map<string, TimetableFailure>();
  const custom = dags.flatMap((dag) => {
    const timetable = customScheduleOf(dag.schedule);
    return timetable?.canBeScheduled ? [{ dag, timetable }] : [];
  });
  if (custom.length === 0) return failures;
  const evaluate = timetableEvaluatorOf(configFrom(options));
  for (const { dag, timetable } of custom) {
    const failure = await firstNextRunFailure(evaluate, { dagId: dag.dagId, versionHash: '', timetable }, restrictionOf(scheduleSettingsOf(dag)));
    if (failure) failures.set(dag.dagId, failure);
  }
  return failures;
}

/** One line of a timetable failure, worded as the scheduler logs it. */
const failureLine = (f: TimetableFailure): string => `DAG ${f.dagId}: custom timetable ${f.timetable} failed in ${f.method}: ${f.type}: ${f.message}`;

/** Finds a DAG in a bundle, or a NotFoundError that lists what exists. */
export function findDag(bundle: DagBundle, dagId: string): DagSpec {
  const dag = bundle.dags.find((candidate) => candidate.dagId === dagId);
  if (dag) return dag;
  const failed = bundle.importErrors.length > 0 ? `; ${bundle.importErrors.length} file(s) failed to import (dagbridge dags errors)` : '';
  const ids = bundle.dags.map((d) => d.dagId);
  const hint = didYouMean(dagId, ids);
  const known = hint !== '' ? '' : ` (DAGs found: ${ids.sort().slice(0, 20).join(', ') || 'none'})`;
  throw new NotFoundError(`DAG "${dagId}" is not in ${bundle.dagsFolder}${known}${hint}${failed}`);
}

/** "task X is not in DAG Y", with the closest task ids (or the first ones) to choose from. */
export function unknownTaskMessage(taskId: string, dag: Pick<DagSpec, 'dagId' | 'tasks'>): string {
  const ids = dag.tasks.map((t) => t.taskId);
  const hint = didYouMean(taskId, ids);
  return `task "${taskId}" is not in DAG ${dag.dagId}${hint !== '' ? hint : ` (tasks: ${ids.slice(0, 30).join(', ')})`}`;
}

function warnImportErrors(bundle: DagBundle): void {
  if (bundle.importErrors.length > 0) {
    process.stderr.write(`warning: ${bundle.importErrors.length} file(s) failed to import; see \`dagbridge dags errors\`\n`);
  }
}

/** Registers the `dags` group's folder-reading commands on `dags`. */
export function registerDagFolderCommands(dags: Command): void {
  withJson(withDagOptions(dags.command('list').description('list the DAGs in the DAGs folder'))).action(async (options: SharedOptions) => {
    const bundle = await loadBundle(options);
    const sorted = [...bundle.dags].sort((a, b) => a.dagId.localeCompare(b.dagId));
    if (options.json) {
      printJson(sorted.map((dag) => ({
        dagId: dag.dagId, file: dag.file, schedule: dag.schedule, tasks: dag.tasks.length, tags: dag.tags, owner: dag.owner,
        isPausedUponCreation: dag.isPausedUponCreation,
      })));
    } else {
      printLines(renderTable(['dag_id', 'file', 'schedule', 'tasks', 'owner', 'tags'],
        sorted.map((dag) => [dag.dagId, dag.file, describeSchedule(dag.schedule), dag.tasks.length, dag.owner, dag.tags.join(',')])));
    }
    warnImportErrors(bundle);
  });

  withJson(withDagOptions(dags.command('show').argument('<dag_id>').description('show a DAG: settings and its task graph as a tree'))).action(
    async (dagId: string, options: SharedOptions) => {
      const bundle = await loadBundle(options);
      const dag = findDag(bundle, dagId);
      const timetableError = (await timetableFailures(options, [dag])).get(dag.dagId) ?? null;
      if (options.json) {
        printJson({ ...dag, timetableError });
        return;
      }
      const settings: Array<[string, string]> = [
        ['dag_id', dag.dagId],
        ['file', dag.file],
        ['schedule', describeSchedule(dag.schedule)],
        ['start_date', dag.startDate ?? '-'],
        ['catchup', String(dag.catchup)],
        ['max_active_runs', String(dag.maxActiveRuns)],
        ['max_active_tasks', String(dag.maxActiveTasks)],
        ['tags', dag.tags.join(', ') || '-'],
        ['params', Object.keys(dag.params).join(', ') || '-'],
        ['tasks', String(dag.tasks.length)],
        ...(timetableError ? [['timetable_error', failureLine(timetableError)] as [string, string]] : []),
      ];
      printLines(settings.map(([key, value]) => `${key.padEnd(17)} ${value}`));
      printLines(['', ...renderTaskTree(dag)]);
    },
  );

  withDagOptions(dags.command('export').description('print the DAG bundle (JSON) of the DAGs folder')).action(async (options: SharedOptions) => {
    printJson(await loadBundle(options));
  });

  withJson(withDagOptions(dags.command('errors').description('list the files that failed to import and the custom timetables that fail'))).action(async (options: SharedOptions) => {
    const bundle = await loadBundle(options);
    const fileOf = new Map(bundle.dags.map((dag) => [dag.dagId, dag.file]));
    // A timetable's failure is listed as an import error of its DAG's file, with the DAG, class and method.
    const failing = [...(await timetableFailures(options, bundle.dags)).values()].map((f) => ({
      file: fileOf.get(f.dagId) ?? '', type: f.type, message: f.message, traceback: f.traceback, dagId: f.dagId, timetable: f.timetable, method: f.method,
    }));
    if (options.json) {
      printJson([...bundle.importErrors, ...failing]);
      return;
    }
    if (bundle.importErrors.length === 0 && failing.length === 0) {
      printLines([`no import errors in ${bundle.dagsFolder}`]);
      return;
    }
    for (const error of bundle.importErrors) {
      printLines([`${error.file}: ${error.type}: ${error.message}`, ...error.traceback.trimEnd().split('\n').map((line) => `    ${line}`), '']);
    }
    for (const failure of failing) {
      printLines([`${failure.file}: ${failureLine(failure)}`, ...failure.traceback.trimEnd().split('\n').filter(Boolean).map((line) => `    ${line}`), '']);
    }
  });
}

