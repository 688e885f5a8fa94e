/**
 * What the scheduler asks a custom timetable (a Timetable class the built-in port in `dag/timetable.ts` does not
 * implement), answered by running the timetable's own Python (src/shim/timetable.ts, docs/scheduling.md).
 */
import type { CustomSchedule } from '../dag/schedule.js';
import type { DataInterval, TimeRestriction, TimetableRunInfo } from '../dag/timetable.js';

/** The DAG a question is about: its answers are cached per `versionHash` (the timetable is part of it). */
export interface CustomTimetableDag {
  readonly dagId: string;
  readonly versionHash: string;
  readonly timetable: CustomSchedule;
}

/** A cached answer, or why there is none yet: `pending` (being evaluated) or `failed` (the error, which names the DAG). */
export type TimetableAnswer<T> =
  | { readonly status: 'ready'; readonly value: T }
  | { readonly status: 'pending' }
  | { readonly status: 'failed'; readonly error: string };

/** Custom timetables' answers. */
export interface CustomTimetables {
  /**
   * Airflow's `timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)`, from the
   * cache. When it is not cached this starts its evaluation and answers `pending`: the scheduler loop never waits
   * on Python, and asks again on a later tick. Never throws.
   */
  peekNextDagRunInfo(dag: CustomTimetableDag, last: DataInterval | null, restriction: TimeRestriction): TimetableAnswer<TimetableRunInfo | null>;
  /** Airflow's `timetable.infer_manual_data_interval(run_after=...)`; throws a TIMETABLE_FAILED error naming the DAG. */
  inferManualDataInterval(dag: CustomTimetableDag, runAfter: number): Promise<DataInterval>;
  /**
   * The runs of a backfill, Airflow 2.10.5's `DAG.iter_dagrun_infos_between(earliest, latest)`:
   * `next_dagrun_info(last_automated_data_interval=None, restriction=TimeRestriction(earliest, latest,
   * catchup=True))`, then again with each answer's data interval, until the timetable answers None (the
   * timetable itself keeps to `latest`). An error ends the list, as Airflow logs it and keeps the runs before it:
   * it is in `error`, naming the DAG, the class, the method and the cause. Not cached. Throws a USAGE error past
   * `maxRuns` runs.
   */
  backfillRunInfos(dag: CustomTimetableDag, earliest: number, latest: number, maxRuns: number): Promise<CustomBackfill>;
}

/** What {@link CustomTimetables.backfillRunInfos} answers. */
export interface CustomBackfill {
  readonly infos: readonly TimetableRunInfo[];
  readonly error: string | null;
}
