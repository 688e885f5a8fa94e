/**
 * Contract 3, the task run: what the worker hands `python -m dagbridge_shim run` on stdin, and what the shim
 * writes back to its result file. The task's own stdout/stderr are the task log and never carry results.
 * See docs/contracts.md for the command line and exit codes.
 */
import { z } from 'zod';

/** Version of the run input/result documents. */
export const TASK_RUN_CONTRACT_VERSION = 1;

/** One XCom value visible to the task (from an upstream task instance of the same DAG run). */
export const xcomEntrySchema = z.object({
  taskId: z.string(),
  mapIndex: z.number().int(),
  key: z.string(),
  value: z.unknown(),
});
export type XcomEntry = z.infer<typeof xcomEntrySchema>;

/** A recorded dataset (asset) event as a task reads it (`inlet_events`, `triggering_dataset_events`). */
export const datasetEventViewSchema = z.object({
  id: z.number().int(),
  uri: z.string(),
  extra: z.record(z.unknown()),
  timestamp: z.string(),
  sourceDagId: z.string().nullable(),
  sourceRunId: z.string().nullable(),
  sourceTaskId: z.string().nullable(),
  sourceMapIndex: z.number().int(),
  /** The aliases the event was emitted through. */
  sourceAliases: z.array(z.string()),
});
export type DatasetEventView = z.infer<typeof datasetEventViewSchema>;

/** The JSON document written to the shim's stdin. */
export const taskRunInputSchema = z.object({
  version: z.literal(TASK_RUN_CONTRACT_VERSION),
  dagId: z.string(),
  taskId: z.string(),
  runId: z.string(),
  mapIndex: z.number().int(),
  tryNumber: z.number().int().positive(),
  /** Airflow's max_tries: the retries allowed (the last try is maxTries + 1). */
  maxTries: z.number().int().nonnegative(),
  runType: z.enum(['manual', 'scheduled', 'backfill', 'asset_triggered']),
  logicalDate: z.string().nullable(),
  dataIntervalStart: z.string().nullable(),
  dataIntervalEnd: z.string().nullable(),
  runAfter: z.string(),
  dagRunStartDate: z.string().nullable(),
  conf: z.record(z.unknown()),
  xcoms: z.array(xcomEntrySchema),
  variables: z.record(z.string()),
  testMode: z.boolean(),
  /** When the first poke of a reschedule-mode sensor happened (its timeout counts from there). */
  sensorFirstPokeAt: z.string().nullable(),
  prevDataIntervalStartSuccess: z.string().nullable(),
  prevDataIntervalEndSuccess: z.string().nullable(),
  prevStartDateSuccess: z.string().nullable(),
  /**
   * Airflow 2's `dag_run.external_trigger`: true for a run triggered by hand or through the API, false for
   * scheduled and backfill runs and for the run of `dags test` (DAG.test creates it with the default False).
   * Absent from older workers: the shim then reads a manual run as externally triggered.
   */
  externalTrigger: z.boolean().optional(),
  /**
   * The data interval of the DAG's next run after this one (LatestOnlyOperator's window), null when the
   * schedule has none; absent from older workers (the shim then assumes an interval as long as this one).
   */
  nextDataInterval: z.object({ start: z.string(), end: z.string() }).nullable().optional(),
  /** The run's `queued_at`, `end_date` and DAG version hash (`dag_hash`); absent from older workers (read as None). */
  dagRunQueuedAt: z.string().nullable().optional(),
  dagRunEndDate: z.string().nullable().optional(),
  dagHash: z.string().optional(),
  /** The previous successful run's end date (`prev_end_date_success`); read as null when absent. */
  prevEndDateSuccess: z.string().nullable().default(null),
  /** Every recorded event of the task's inlet datasets and aliases, oldest first (`inlet_events`). */
  inletEvents: z.array(datasetEventViewSchema).default([]),
  /** The events the run consumed when a dataset condition created it (`triggering_dataset_events`). */
  triggeringDatasetEvents: z.array(datasetEventViewSchema).default([]),
});
/** Writers may leave out the dataset event lists (read as empty). */
export type TaskRunInput = z.input<typeof taskRunInputSchema>;

/** A typed failure raised by the task. `retryable: false` for AirflowFailException and sensor timeouts. */
export const taskRunErrorSchema = z.object({
  type: z.string(),
  message: z.string(),
  traceback: z.string(),
  retryable: z.boolean(),
});
export type TaskRunError = z.infer<typeof taskRunErrorSchema>;

/** A DAG run the task asks the scheduler to create (TriggerDagRunOperator). */
export const triggerRequestSchema = z.object({
  dagId: z.string(),
  runId: z.string().nullable(),
  conf: z.record(z.unknown()),
  logicalDate: z.string().nullable(),
  resetDagRun: z.boolean(),
});
export type TriggerRequest = z.infer<typeof triggerRequestSchema>;

/**
 * A dataset event a successful task emits: one per dataset outlet (`extra` from `outlet_events[...]` and
 * `yield Metadata(...)`), and one per dataset an alias outlet attached, naming the aliases.
 */
export const outletEventSchema = z.object({
  uri: z.string().min(1),
  extra: z.record(z.unknown()),
  aliases: z.array(z.string()),
});
export type OutletEvent = z.infer<typeof outletEventSchema>;

/** The JSON document the shim writes to `--result`. */
export const taskRunResultSchema = z.object({
  version: z.literal(TASK_RUN_CONTRACT_VERSION),
  state: z.enum(['success', 'failed', 'skipped', 'up_for_reschedule']),
  xcoms: z.array(z.object({ key: z.string(), value: z.unknown() })),
  /** Branch operators: the task ids to follow (null for other kinds). */
  followTaskIds: z.array(z.string()).nullable(),
  /** Task ids the scheduler must set to skipped (branch not taken, short-circuit). */
  skipTaskIds: z.array(z.string()),
  rescheduleAt: z.string().nullable(),
  error: taskRunErrorSchema.nullable(),
  renderedFields: z.record(z.unknown()),
  triggerDagRuns: z.array(triggerRequestSchema),
  /** Recorded only when the task succeeded. A shim without datasets sends none. */
  outletEvents: z.array(outletEventSchema).default([]),
  /** The task instance's name from its `map_index_template`, rendered after execute (older shims: null). */
  renderedMapIndex: z.string().nullable().default(null),
});
export type TaskRunResult = z.infer<typeof taskRunResultSchema>;
