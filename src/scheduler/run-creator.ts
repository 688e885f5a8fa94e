/**
 * Creating DAG runs on schedule (Airflow's `_create_dag_runs`): for each active, unpaused DAG, the next run after
 * its latest automated run, as long as `run_after` has come and fewer than `max_active_runs` runs are active.
 * `createDagRun` is insert-if-absent on (dag_id, run_id) and (dag_id, logical_date), so two schedulers creating
 * the same run at once create it once.
 */
import type { DagSpec } from '../dag/bundle.js';
import { generateRunId, pythonIsoUtc } from '../dag/ids.js';
import { runParamsProblem } from '../dag/run-params.js';
import { backfillRunInfos, manualRunInfo, nextDagRunInfo, scheduleSettingsOf, type DagRunInfo, type ScheduleSemantics } from '../dag/schedule.js';
import { errorMessage, ParamValidationError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
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

/** Creates scheduled runs that are due. Returns the runs it created. */
export async function createDueRuns(store: MetadataStore, now: number, log: Logger, semantics?: ScheduleSemantics): Promise<DagRunRecord[]> {
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
        const info: DagRunInfo | null = nextDagRunInfo(
          settings,
          last && last.logicalDate !== null ? { logicalDate: last.logicalDate, dataIntervalStart: last.dataIntervalStart, dataIntervalEnd: last.dataIntervalEnd } : null,
          now,
        );
        if (info === null || info.runAfter > now) break;
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

/** Options of a manual trigger. */
export interface TriggerOptions {
  conf?: Record<string, unknown>;
  /** ISO 8601; default now. */
  logicalDate?: string | null;
  runId?: string;
  semantics?: ScheduleSemantics;
}

/**
 * Creates a manual run (`dagbridge dags trigger`, the REST API, `dags test`). Its params are checked first, as
 * Airflow's `create_dagrun` does: a conf its params refuse, or a param without a default that the conf does not
 * give, throws a ParamValidationError naming the DAG and the param, and no run is created.
 */
export async function triggerDagRun(store: MetadataStore, dag: DagRecord, now: number, options: TriggerOptions = {}): Promise<CreatedRun> {
  const problem = runParamsProblem(dag.spec.params, options.conf);
  if (problem !== null) throw new ParamValidationError(`cannot create a run of DAG ${dag.dagId}: ${problem}`);
  const info = manualRunInfo(scheduleSettingsOf(dag.spec, options.semantics), options.logicalDate ?? pythonIsoUtc(now), now);
  const result = await store.createDagRun(runRecord(dag, 'manual', info, options.conf ?? {}, now, options.runId), now);
  if (!result.run) throw new Error(`run of ${dag.dagId} was neither created nor found`);
  return { run: result.run, created: result.created };
}

/** Creates the backfill runs of a date range (`dagbridge dags backfill`); existing runs are kept. */
export async function backfillDagRuns(store: MetadataStore, dag: DagRecord, from: string, to: string, now: number, semantics?: ScheduleSemantics): Promise<CreatedRun[]> {
  const infos = backfillRunInfos(scheduleSettingsOf(dag.spec as DagSpec, semantics), from, to);
  const out: CreatedRun[] = [];
  for (const info of infos) {
    const result = await store.createDagRun(runRecord(dag, 'backfill', info, {}, now), now);
    if (result.run) out.push({ run: result.run, created: result.created });
  }
  return out;
}
