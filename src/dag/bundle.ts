/**
 * The DAG bundle: the python-shim's JSON export of a DAG folder (contract 1, see docs/contracts.md).
 * Pure: zod schema, types and the parse function that refuses unknown schema versions and names the
 * offending field's path. Durations are seconds (`...Seconds`), instants ISO 8601 with a zone.
 */
import { z } from 'zod';
import { BundleError } from '../lib/errors.js';
import { AIRFLOW_FACTS } from './airflow-facts.js';
import { datasetConditionSchema, datasetRefSchema } from './datasets.js';
import { keyProblem } from './ids.js';

/**
 * The bundle schema version this build reads and the shim writes. 2: dataset/asset schedules carry their
 * condition and time part, tasks their outlets and inlets (a reader of 1 would drop both without a word).
 * 3: a mapped input can be an `XComArg.zip` or `.concat` of other inputs (a reader of 2 refuses them).
 * 4: a custom timetable is a `custom` schedule with its serialized form (a reader of 3 took it for a class it
 * does not know and scheduled nothing).
 */
export const BUNDLE_SCHEMA_VERSION = 4;

/** What kind of work a task does; decides how the runner executes it. */
export const TASK_KINDS = [...AIRFLOW_FACTS.operatorKinds.kinds, 'custom', 'provider'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

const jsonValue: z.ZodType<unknown> = z.unknown();
const seconds = z.number().finite().nonnegative();

/**
 * A timetable class the scheduler does not implement (any Timetable subclass but the built-ins of `timetable.ts`):
 * evaluated by running its own Python (`python -m dagbridge_shim timetable`, docs/scheduling.md). `serialized` is
 * Airflow's `encode_timetable` form, `{"__type": <registered class path>, "__var": timetable.serialize()}`.
 */
function customScheduleSchema() {
  return z.object({
    type: z.literal('custom'),
    className: z.string().min(1),
    summary: z.string(),
    description: z.string().nullable(),
    canBeScheduled: z.boolean(),
    periodic: z.boolean(),
    activeRunsLimit: z.number().int().nullable(),
    serialized: z.object({ __type: z.string().min(1), __var: jsonValue }),
  });
}

const timeSchedules = [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('cron'), expression: z.string().min(1), preset: z.string().nullable() }),
  z.object({ type: z.literal('timedelta'), seconds: z.number().finite().positive() }),
  z.object({ type: z.literal('once') }),
  z.object({ type: z.literal('continuous') }),
  z.object({
    type: z.literal('timetable'),
    className: z.string(),
    summary: z.string().nullable(),
    args: z.record(jsonValue),
  }),
  customScheduleSchema(),
] as const;

/** A schedule by time only: the time part of DatasetOrTimeSchedule / AssetOrTimeSchedule. */
export const timeScheduleSchema = z.discriminatedUnion('type', [...timeSchedules]);
export type TimeSchedule = z.infer<typeof timeScheduleSchema>;

/**
 * A DAG's schedule, normalised. Presets keep their name next to the cron they mean. `assets`: scheduled on
 * datasets/assets; `condition` is the expression (a list means all), `assets` the URIs it names, and
 * `timetable` the time part of DatasetOrTimeSchedule / AssetOrTimeSchedule (null: runs by events only).
 */
export const scheduleSchema = z.discriminatedUnion('type', [
  ...timeSchedules,
  z.object({
    type: z.literal('assets'),
    assets: z.array(z.string()),
    condition: datasetConditionSchema,
    timetable: timeScheduleSchema.nullable(),
  }),
]);
export type Schedule = z.infer<typeof scheduleSchema>;

/**
 * One input of a mapped task: a literal list/dict, an upstream task's XCom (`xcom_arg.map(f)` exports as the
 * XCom it maps: same length), or Airflow's `XComArg.zip(...)` / `.concat(...)` of other inputs, in order
 * (`fillvalue`: whether the zip pads, i.e. a fillvalue was given).
 */
export type MappedInput =
  | { type: 'literal'; value?: unknown }
  | { type: 'xcom'; taskId: string; key: string }
  | { type: 'zip'; args: MappedInput[]; fillvalue: boolean }
  | { type: 'concat'; args: MappedInput[] };

export const mappedInputSchema: z.ZodType<MappedInput> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('literal'), value: jsonValue }),
    z.object({ type: z.literal('xcom'), taskId: z.string(), key: z.string() }),
    z.object({ type: z.literal('zip'), args: z.array(mappedInputSchema).min(1), fillvalue: z.boolean() }),
    z.object({ type: z.literal('concat'), args: z.array(mappedInputSchema).min(1) }),
  ]),
);

/**
 * Dynamic task mapping. `expand`: one instance per element of the cross product of the named inputs, in
 * insertion order. `expand_kwargs`: one instance per element of a single list of dicts.
 * `groupId` is set when the mapping comes from a mapped task group.
 */
export const mappingSchema = z.object({
  kind: z.enum(['expand', 'expand_kwargs']),
  inputs: z.record(mappedInputSchema),
  partial: z.record(jsonValue),
  groupId: z.string().nullable(),
});
export type Mapping = z.infer<typeof mappingSchema>;

/** Sensor settings, as BaseSensorOperator holds them. */
export const sensorSchema = z.object({
  mode: z.enum(['poke', 'reschedule']),
  pokeIntervalSeconds: seconds,
  timeoutSeconds: seconds,
  softFail: z.boolean(),
  exponentialBackoff: z.boolean(),
  maxWaitSeconds: seconds.nullable(),
});
export type SensorSettings = z.infer<typeof sensorSchema>;

/** One task of a DAG, with every setting the scheduler decides on. */
export const taskSchema = z.object({
  taskId: z.string().min(1),
  operator: z.string(),
  operatorModule: z.string(),
  kind: z.enum(TASK_KINDS),
  upstream: z.array(z.string()),
  downstream: z.array(z.string()),
  triggerRule: z.string(),
  retries: z.number().int().nonnegative(),
  retryDelaySeconds: seconds,
  retryExponentialBackoff: z.boolean(),
  maxRetryDelaySeconds: seconds.nullable(),
  executionTimeoutSeconds: seconds.nullable(),
  queue: z.string().min(1),
  pool: z.string().min(1),
  poolSlots: z.number().int().positive(),
  priorityWeight: z.number().int(),
  /** `absolute`, `downstream`, `upstream`, or a custom PriorityWeightStrategy's class path (then `customWeight`). */
  weightRule: z.string(),
  /**
   * A custom strategy's weights, evaluated at export by its own `get_weight` as Airflow calls it when it creates
   * a task instance (try_number 0): `weight` at map index -1; `byMapIndex` (indexes 0, 1, ...; the last entry holds
   * for higher ones) when the task is mapped and the strategy reads `map_index`. Absent for built-in rules.
   */
  customWeight: z.object({
    strategy: z.string().min(1),
    weight: z.number().int(),
    byMapIndex: z.array(z.number().int()).min(1).nullable(),
  }).optional(),
  dependsOnPast: z.boolean(),
  waitForDownstream: z.boolean(),
  ignoreFirstDependsOnPast: z.boolean(),
  maxActiveTisPerDag: z.number().int().positive().nullable(),
  maxActiveTisPerDagrun: z.number().int().positive().nullable(),
  doXcomPush: z.boolean(),
  multipleOutputs: z.boolean(),
  templateFields: z.record(jsonValue),
  pythonCallable: z.string().nullable(),
  sensor: sensorSchema.nullable(),
  isSetup: z.boolean(),
  isTeardown: z.boolean(),
  onFailureFailDagrun: z.boolean(),
  ignoreDownstreamTriggerRules: z.boolean().nullable(),
  group: z.string().nullable(),
  mapping: mappingSchema.nullable(),
  args: z.record(jsonValue),
  requiresProvider: z.boolean(),
  owner: z.string(),
  /** Airflow's `run_as_user`; absent when the task names none (so specs without it keep their version hash). */
  runAsUser: z.string().min(1).optional(),
  docMd: z.string().nullable(),
  /** Datasets/assets and aliases the task updates when it succeeds. */
  outlets: z.array(datasetRefSchema),
  /** Datasets/assets and aliases the task reads (`inlet_events`). */
  inlets: z.array(datasetRefSchema),
});
export type TaskSpec = z.infer<typeof taskSchema>;

/** A TaskGroup: its id (with parents' prefixes), parent and whether it is mapped. */
export const taskGroupSchema = z.object({
  groupId: z.string().min(1),
  parentGroupId: z.string().nullable(),
  prefixGroupId: z.boolean(),
  tooltip: z.string().nullable(),
  isMapped: z.boolean(),
});
export type TaskGroupSpec = z.infer<typeof taskGroupSchema>;

/**
 * A DAG param: its default, description and JSON schema (Airflow's `Param`). `hasDefault` is written only as
 * `false`, for a Param built without a default (`default` is then null): a run that gives it no value is refused
 * (src/dag/run-params.ts). Absent means the default is `default`.
 */
export const paramSchema = z.object({
  default: jsonValue,
  description: z.string().nullable(),
  schema: z.record(jsonValue),
  hasDefault: z.literal(false).optional(),
});
export type ParamSpec = z.infer<typeof paramSchema>;

/** One DAG with its tasks. */
export const dagSchema = z.object({
  dagId: z.string().min(1),
  file: z.string().min(1),
  fileHash: z.string().min(1),
  description: z.string().nullable(),
  schedule: scheduleSchema,
  timezone: z.string().min(1),
  startDate: z.string().nullable(),
  endDate: z.string().nullable(),
  catchup: z.boolean(),
  maxActiveRuns: z.number().int().positive(),
  maxActiveTasks: z.number().int().positive(),
  maxConsecutiveFailedDagRuns: z.number().int().nonnegative(),
  dagrunTimeoutSeconds: seconds.nullable(),
  defaultArgs: z.record(jsonValue),
  params: z.record(paramSchema),
  tags: z.array(z.string()),
  owner: z.string(),
  docMd: z.string().nullable(),
  isPausedUponCreation: z.boolean().nullable(),
  renderTemplateAsNativeObj: z.boolean(),
  airflowStyle: z.union([z.literal(2), z.literal(3)]),
  tasks: z.array(taskSchema),
  taskGroups: z.array(taskGroupSchema),
  /** The DAG has an `on_success_callback` (present only when true). */
  hasOnSuccessCallback: z.literal(true).optional(),
  /** The DAG has an `on_failure_callback` (present only when true). */
  hasOnFailureCallback: z.literal(true).optional(),
});
export type DagSpec = z.infer<typeof dagSchema>;

/** One DAG file that was parsed: its content hash, DAGs and top-level imports. */
export const dagFileSchema = z.object({
  path: z.string().min(1),
  hash: z.string().min(1),
  imports: z.array(z.string()),
  dagIds: z.array(z.string()),
  parseSeconds: seconds,
});
export type DagFile = z.infer<typeof dagFileSchema>;

/** A file that could not be loaded, or a DAG that was refused (cycle, duplicate dag_id). */
export const importErrorSchema = z.object({
  file: z.string().min(1),
  type: z.string(),
  message: z.string(),
  traceback: z.string(),
});
export type ImportErrorSpec = z.infer<typeof importErrorSchema>;

/** The whole export of a DAG folder. */
export const bundleSchema = z.object({
  schemaVersion: z.literal(BUNDLE_SCHEMA_VERSION),
  generator: z.object({
    name: z.string(),
    version: z.string(),
    python: z.string(),
    pythonExecutable: z.string(),
    mode: z.enum(['standin', 'airflow']),
    airflowVersion: z.string().nullable(),
  }),
  dagsFolder: z.string(),
  files: z.array(dagFileSchema),
  importErrors: z.array(importErrorSchema),
  dags: z.array(dagSchema),
});
export type DagBundle = z.infer<typeof bundleSchema>;

/*
 * The id rule applied to a parsed bundle: a DAG whose dag_id, a task_id or a TaskGroup id breaks Airflow's key
 * rule (`keyProblem` in ids.ts, the rule the worker applies before it runs a task) is not stored; it becomes an
 * import error of its file, as a DAG file whose ids Airflow's `validate_key` refuses. Checked here, after the
 * shim, because a DAG file can change ids after construction (`dag.dag_id = ...`), past the shim's own check.
 */
/** Why a DAG's ids are not acceptable, or null. Names the first offending id. */
export function dagIdsProblem(dag: DagSpec): string | null {
  const own = keyProblem(dag.dagId, 'dag_id');
  if (own !== null) return own;
  for (const group of dag.taskGroups) {
    const problem = keyProblem(group.groupId, 'group_id');
    if (problem !== null) return problem;
  }
  for (const task of dag.tasks) {
    const problem = keyProblem(task.taskId, 'task_id');
    if (problem !== null) return problem;
  }
  return null;
}

/** The bundle without DAGs whose ids break the rule; each refused DAG is an import error of its file. */
export function refuseInvalidIds(bundle: DagBundle): DagBundle {
  const refused = new Map<DagSpec, string>();
  for (const dag of bundle.dags) {
    const problem = dagIdsProblem(dag);
    if (problem !== null) refused.set(dag, problem);
  }
  if (refused.size === 0) return bundle;
  const refusedIds = new Set([...refused.keys()].map((dag) => dag.dagId));
  return {
    ...bundle,
    dags: bundle.dags.filter((dag) => !refused.has(dag)),
    files: bundle.files.map((file) => ({ ...file, dagIds: file.dagIds.filter((dagId) => !refusedIds.has(dagId)) })),
    importErrors: [
      ...bundle.importErrors,
      ...[...refused].map(([dag, problem]) => ({
        file: dag.file,
        type: 'AirflowException',
        message: `DAG ${JSON.stringify(dag.dagId.slice(0, 80))}: ${problem}; rename it (Airflow's key rule, checked again by every worker)`,
        traceback: '',
      })),
    ],
  };
}

/** `a.b[3].c` from a zod issue path, for error messages. */
export function formatIssuePath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

/**
 * Validates a parsed bundle. Refuses an unknown `schemaVersion` first (so an old reader says "upgrade",
 * not "field x is wrong"), then reports the first offending fields by path. A DAG whose ids break Airflow's
 * key rule is left out and reported as its file's import error (`refuseInvalidIds`), so no reader stores it.
 */
export function parseBundle(value: unknown, source = 'DAG bundle'): DagBundle {
  const version = typeof value === 'object' && value !== null ? (value as { schemaVersion?: unknown }).schemaVersion : undefined;
  if (version !== BUNDLE_SCHEMA_VERSION) {
    throw new BundleError(
      'BUNDLE_VERSION',
      `${source}: schemaVersion ${JSON.stringify(version)} is not supported (this dagbridge reads schemaVersion ${BUNDLE_SCHEMA_VERSION}); ` +
        'use the python-shim shipped with this dagbridge version',
    );
  }
  const result = bundleSchema.safeParse(value);
  if (!result.success) {
    const details = result.error.issues
      .slice(0, 5)
      .map((issue) => `${formatIssuePath(issue.path) || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new BundleError('BUNDLE_INVALID', `${source} is malformed: ${details}`);
  }
  return refuseInvalidIds(result.data);
}
