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
}
