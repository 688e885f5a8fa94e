/**
 * Creating DAG runs on schedule (Airflow's `_create_dag_runs`): for each active, unpaused DAG, the next run after
 * its latest automated run, as long as `run_after` has come and fewer than `max_active_runs` runs are active.
 * `createDagRun` is insert-if-absent on (dag_id, run_id) and (dag_id, logical_date), so two schedulers creating
 * the same run at once create it once.
 */
import type { DagSpec } from '../dag/bundle.js';
import { generateRunId, pythonIsoUtc } from '../dag/ids.js';
import { runParamsProblem } from '../dag/run-params.js';
import { parseInstant } from '../dag/durations.js';
import {
  backfillRunInfos,
  customScheduleOf,
  manualRunInfo,
  nextDagRunInfo,
  restrictionOf,
  scheduleSettingsOf,
  type DagRunInfo,
  type ManualRunInfo,
  type ScheduleSemantics,
} from '../dag/schedule.js';
import type { DataInterval } from '../dag/timetable.js';
import { DagbridgeError, errorMessage, ParamValidationError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { CustomTimetables } from '../ports/custom-timetable.js';
import type { DagRecord, DagRunRecord, MetadataStore, RunType } from '../ports/metadata-store.js';

/** A created (or already existing) run. */
export interface CreatedRun {
  run: DagRunRecord;
  created: boolean;
}

const iso = (ms: number | null): string | null => (ms === null ? null : pythonIsoUtc(ms));

function runRecord(dag: DagRecord, runType: RunType, info: { logicalDate: number | null; dataIntervalStart: number | null; dataIntervalEnd: number | null; runAfter: number }, conf: Record<string, unknown>, now: number, runId?: string) {
  return {
    dagId: dag.dagId,
    runId: runId ?? generateRunId(runType, info.logicalDate ?? info.runAfter),
    versionHash: dag.versionHash,
    runType,
    logicalDate: iso(info.logicalDate),
    dataIntervalStart: iso(info.dataIntervalStart),
    dataIntervalEnd: iso(info.dataIntervalEnd),
    runAfter: pythonIsoUtc(info.runAfter),
    conf,
    queuedAt: now,
  };
}

type LastRun = Awaited<ReturnType<MetadataStore['lastAutomatedRun']>>;

/**
 * The next run of a DAG with a custom timetable, from the cache of `timetables` (null: none; `wait`: not known
 * yet or the timetable failed, which `timetables` has logged: the DAG gets no run this tick, the others do).
 * The last interval is the run's recorded one (runs dagbridge creates always have one), else its logical date.
 */
function customNextRun(dag: DagRecord, last: LastRun, settings: ReturnType<typeof scheduleSettingsOf>, timetables: CustomTimetables | undefined): DagRunInfo | null | 'wait' {
  const custom = customScheduleOf(dag.spec.schedule);
  if (custom === null || !custom.canBeScheduled || timetables === undefined) return null;
  let interval: DataInterval | null = null;
  if (last && last.logicalDate !== null) {
    const at = parseInstant(last.logicalDate, 'logicalDate');
    interval = {
      start: last.dataIntervalStart === null ? at : parseInstant(last.dataIntervalStart, 'dataIntervalStart'),
      end: last.dataIntervalEnd === null ? at : parseInstant(last.dataIntervalEnd, 'dataIntervalEnd'),
    };
  }
  const answer = timetables.peekNextDagRunInfo({ dagId: dag.dagId, versionHash: dag.versionHash, timetable: custom }, interval, restrictionOf(settings));
  if (answer.status !== 'ready') return 'wait';
  const info = answer.value;
  return info === null ? null : { logicalDate: info.dataInterval.start, dataIntervalStart: info.dataInterval.start, dataIntervalEnd: info.dataInterval.end, runAfter: info.runAfter };
}

/**
 * Creates scheduled runs that are due. Returns the runs it created. A DAG with a custom timetable is asked
 * through `timetables` (without it, such a DAG gets no scheduled runs).
 */
export async function createDueRuns(store: MetadataStore, now: number, log: Logger, semantics?: ScheduleSemantics, timetables?: CustomTimetables): Promise<DagRunRecord[]> {
  const created: DagRunRecord[] = [];
  const dags = (await store.listDags()).filter((dag) => dag.isActive && !dag.isPaused && dag.spec.schedule.type !== 'none');
  if (dags.length === 0) return created;
  const active = await store.listActiveRuns();
  for (const dag of dags) {
    try {
      let activeCount = active.filter((run) => run.dagId === dag.dagId).length;
      const settings = scheduleSettingsOf(dag.spec, semantics);
      // Catch-up creates one run per interval; max_active_runs bounds how many exist at once.
      while (activeCount < dag.spec.maxActiveRuns) {
        const last = await store.lastAutomatedRun(dag.dagId);
        const info: DagRunInfo | null | 'wait' = customScheduleOf(dag.spec.schedule)
          ? customNextRun(dag, last, settings, timetables)
          : nextDagRunInfo(
              settings,
              last && last.logicalDate !== null ? { logicalDate: last.logicalDate, dataIntervalStart: last.dataIntervalStart, dataIntervalEnd: last.dataIntervalEnd } : null,
              now,
            );
        if (info === null || info === 'wait' || info.runAfter > now) break;
        const result = await store.createDagRun(runRecord(dag, 'scheduled', info, {}, now), now);
        if (!result.created) break;
        created.push(result.run as DagRunRecord);
        activeCount += 1;
        log.info('DAG run created', { dagId: dag.dagId, runId: result.run?.runId });
      }
    } catch (error) {
      log.error('could not create the next run of a DAG', { dagId: dag.dagId, error: errorMessage(error) });
    }
  }
  return created;
}

/** How {@link backfillDagRuns} treats a DAG with a custom timetable. */
export interface BackfillCustom {
  /** Asks the custom timetable for the runs; without it such a DAG cannot be backfilled. */
  timetables?: CustomTimetables;
  /** Told the timetable's error that ended the list of runs early (the runs before it are still created). */
  onTimetableError?: (error: string) => void;
}

const BACKFILL_MAX_RUNS = 100_000;

/** The runs of a backfill: the built-in timetables' own, or a custom timetable's answers (docs/scheduling.md). */
async function backfillInfos(dag: DagRecord, from: string, to: string, semantics: ScheduleSemantics | undefined, custom: BackfillCustom): Promise<DagRunInfo[]> {
  const timetable = customScheduleOf(dag.spec.schedule);
  if (timetable === null) return backfillRunInfos(scheduleSettingsOf(dag.spec as DagSpec, semantics), from, to, { maxRuns: BACKFILL_MAX_RUNS });
  if (!custom.timetables) {
    throw new DagbridgeError('TIMETABLE_FAILED', `cannot backfill DAG ${dag.dagId}: its custom timetable ${timetable.className} needs Python to compute the runs, and this command has none configured`);
  }
  const answer = await custom.timetables.backfillRunInfos({ dagId: dag.dagId, versionHash: dag.versionHash, timetable }, parseInstant(from, 'from'), parseInstant(to, 'to'), BACKFILL_MAX_RUNS);
  if (answer.error !== null) custom.onTimetableError?.(answer.error);
  return answer.infos.map((info) => ({ logicalDate: info.dataInterval.start, dataIntervalStart: info.dataInterval.start, dataIntervalEnd: info.dataInterval.end, runAfter: info.runAfter }));
}

/** Options of a manual trigger. */
export interface TriggerOptions {
  conf?: Record<string, unknown>;
  /** ISO 8601; default now. */
  logicalDate?: string | null;
  runId?: string;
  semantics?: ScheduleSemantics;
  /** Answers `infer_manual_data_interval` of a custom timetable; without it such a DAG cannot be triggered with a logical date. */
  timetables?: CustomTimetables;
}

/**
 * The dates of a manual run (Airflow's `create_dagrun` with `timetable.infer_manual_data_interval(run_after=
 * logical_date)`). A custom timetable is asked through `timetables` and its error (naming the DAG, the class and
 * the cause) is the trigger's error, as in Airflow, where the trigger fails.
 */
async function manualRunDates(dag: DagRecord, logicalDate: string | null, now: number, options: TriggerOptions): Promise<ManualRunInfo> {
  const settings = scheduleSettingsOf(dag.spec, options.semantics);
  const custom = customScheduleOf(dag.spec.schedule);
  if (custom === null || logicalDate === null) return manualRunInfo(settings, logicalDate, now);
  if (!options.timetables) {
    throw new DagbridgeError('TIMETABLE_FAILED', `cannot create a run of DAG ${dag.dagId}: its custom timetable ${custom.className} needs Python to infer the data interval, and this command has none configured`);
  }
  const at = parseInstant(logicalDate, 'logicalDate');
  const interval = await options.timetables.inferManualDataInterval({ dagId: dag.dagId, versionHash: dag.versionHash, timetable: custom }, at);
  return { logicalDate: at, dataIntervalStart: interval.start, dataIntervalEnd: interval.end, runAfter: now };
}

/**
 * Creates a manual run (`dagbridge dags trigger`, the REST API, `dags test`). Its params are checked first, as
 * Airflow's `create_dagrun` does: a conf its params refuse, or a param without a default that the conf does not
 * give, throws a ParamValidationError naming the DAG and the param, and no run is created.
 */
export async function triggerDagRun(store: MetadataStore, dag: DagRecord, now: number, options: TriggerOptions = {}): Promise<CreatedRun> {
  const problem = runParamsProblem(dag.spec.params, options.conf);
  if (problem !== null) throw new ParamValidationError(`cannot create a run of DAG ${dag.dagId}: ${problem}`);
  const info = await manualRunDates(dag, options.logicalDate ?? pythonIsoUtc(now), now, options);
  const result = await store.createDagRun(runRecord(dag, 'manual', info, options.conf ?? {}, now, options.runId), now);
  if (!result.run) throw new Error(`run of ${dag.dagId} was neither created nor found`);
  return { run: result.run, created: result.created };
}

/** Creates the backfill runs of a date range (`dagbridge dags backfill`); existing runs are kept. */
export async function backfillDagRuns(
  store: MetadataStore, dag: DagRecord, from: string, to: string, now: number, semantics?: ScheduleSemantics, custom: BackfillCustom = {},
): Promise<CreatedRun[]> {
  const infos = await backfillInfos(dag, from, to, semantics, custom);
  const out: CreatedRun[] = [];
  for (const info of infos) {
    const result = await store.createDagRun(runRecord(dag, 'backfill', info, {}, now), now);
    if (result.run) out.push({ run: result.run, created: result.created });
  }
  return out;
}
