/**
 * dagbridge records in the JSON shapes of Airflow 2.10.5's stable REST API (components/schemas of its OpenAPI
 * document: DAG, DAGDetail, Task, DAGRun, TaskInstance, ...). Fields dagbridge has no notion of get Airflow's
 * value for "not used": null for nullable fields (pickles, SLA misses, triggers), fixed values otherwise
 * (`is_subdag: false`, `unixname` the worker's host is unknown). integration-tests/web-api.test.ts validates
 * every shape against the document.
 */
import type { DagSpec, Schedule, TaskSpec } from '../dag/bundle.js';
import type { DagRecord, DagRunRecord, TaskInstanceRecord } from '../ports/metadata-store.js';
import type { AuditRow, TryRow } from '../store/web-queries.js';

/** Epoch ms as the ISO string Airflow's API writes (UTC, `+00:00`). */
export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString().replace('Z', '+00:00');
}

/** Seconds as Airflow's serialized TimeDelta. */
export function timeDelta(seconds: number): { __type: 'TimeDelta'; days: number; seconds: number; microseconds: number } {
  const whole = Math.floor(seconds);
  return { __type: 'TimeDelta', days: Math.floor(whole / 86_400), seconds: whole % 86_400, microseconds: Math.round((seconds - whole) * 1e6) };
}

function scheduleInterval(schedule: Schedule): Record<string, unknown> | null {
  if (schedule.type === 'cron') return { __type: 'CronExpression', value: schedule.preset ?? schedule.expression };
  if (schedule.type === 'timedelta') return timeDelta(schedule.seconds);
  return null;
}

function timetableDescription(schedule: Schedule): string | null {
  switch (schedule.type) {
    case 'cron': return schedule.preset ? `${schedule.preset} (${schedule.expression})` : schedule.expression;
    case 'timedelta': return `every ${schedule.seconds} seconds`;
    case 'once': return 'Once, as soon as possible';
    case 'continuous': return 'Continuous, as fast as possible';
    case 'timetable': return schedule.summary ?? schedule.className;
    case 'custom': return schedule.description ?? schedule.summary;
    case 'assets': return `Triggered by assets: ${schedule.assets.join(', ')}`;
    case 'none': return 'Never, external triggers only';
  }
}

/** Airflow's `DAG` object. */
export function dagJson(dag: DagRecord, file: string, hasImportErrors = false): Record<string, unknown> {
  const spec = dag.spec;
  return {
    dag_id: dag.dagId,
    dag_display_name: dag.dagId,
    root_dag_id: null,
    is_paused: dag.isPaused,
    is_active: dag.isActive,
    is_subdag: false,
    last_parsed_time: isoOrNull(dag.lastParsedAt),
    last_pickled: null,
    last_expired: null,
    scheduler_lock: null,
    pickle_id: null,
    default_view: 'grid',
    fileloc: file,
    file_token: Buffer.from(file).toString('base64url'),
    owners: [...new Set([spec.owner, ...spec.tasks.map((t) => t.owner)])].filter((o) => o !== ''),
    description: spec.description,
    schedule_interval: scheduleInterval(spec.schedule),
    timetable_description: timetableDescription(spec.schedule),
    tags: spec.tags.map((name) => ({ name })),
    max_active_tasks: spec.maxActiveTasks,
    max_active_runs: spec.maxActiveRuns,
    max_consecutive_failed_dag_runs: spec.maxConsecutiveFailedDagRuns,
    has_task_concurrency_limits: spec.tasks.some((t) => t.maxActiveTisPerDag !== null || t.maxActiveTisPerDagrun !== null),
    has_import_errors: hasImportErrors,
    next_dagrun: null,
    next_dagrun_data_interval_start: null,
    next_dagrun_data_interval_end: null,
    next_dagrun_create_after: null,
  };
}

/** Airflow's `DAGDetail` object. */
export function dagDetailJson(dag: DagRecord, file: string): Record<string, unknown> {
  const spec: DagSpec = dag.spec;
  return {
    ...dagJson(dag, file),
    timezone: spec.timezone,
    catchup: spec.catchup,
    orientation: 'LR',
    concurrency: spec.maxActiveTasks,
    start_date: spec.startDate,
    end_date: spec.endDate,
    dag_run_timeout: spec.dagrunTimeoutSeconds === null ? null : timeDelta(spec.dagrunTimeoutSeconds),
    dataset_expression: null,
    doc_md: spec.docMd,
    params: Object.fromEntries(Object.entries(spec.params).map(([name, p]) => [name, { __class: 'airflow.models.param.Param', value: p.default, description: p.description, schema: p.schema }])),
    is_paused_upon_creation: spec.isPausedUponCreation,
    last_parsed: isoOrNull(dag.lastParsedAt),
    template_search_path: null,
    render_template_as_native_obj: spec.renderTemplateAsNativeObj,
  };
}

/** Airflow's `Task` object. */
export function taskJson(task: TaskSpec): Record<string, unknown> {
  return {
    class_ref: { module_path: task.operatorModule, class_name: task.operator },
    task_id: task.taskId,
    task_display_name: task.taskId,
    owner: task.owner,
    start_date: null,
    end_date: null,
    trigger_rule: task.triggerRule,
    extra_links: [],
    depends_on_past: task.dependsOnPast,
    is_mapped: task.mapping !== null,
    wait_for_downstream: task.waitForDownstream,
    retries: task.retries,
    queue: task.queue,
    executor: null,
    pool: task.pool,
    pool_slots: task.poolSlots,
    ...(task.executionTimeoutSeconds === null ? {} : { execution_timeout: timeDelta(task.executionTimeoutSeconds) }),
    retry_delay: timeDelta(task.retryDelaySeconds),
    retry_exponential_backoff: task.retryExponentialBackoff,
    priority_weight: task.priorityWeight,
    weight_rule: task.weightRule,
    ui_color: '#fff',
    ui_fgcolor: '#000',
    template_fields: Object.keys(task.templateFields),
    downstream_task_ids: task.downstream,
    doc_md: task.docMd,
  };
}

/** Airflow's `DAGRun` object. */
export function dagRunJson(run: DagRunRecord): Record<string, unknown> {
  return {
    dag_run_id: run.runId,
    dag_id: run.dagId,
    logical_date: run.logicalDate,
    execution_date: run.logicalDate,
    start_date: isoOrNull(run.startDate),
    end_date: isoOrNull(run.endDate),
    data_interval_start: run.dataIntervalStart,
    data_interval_end: run.dataIntervalEnd,
    last_scheduling_decision: null,
    run_type: run.runType === 'asset_triggered' ? 'dataset_triggered' : run.runType,
    state: run.state,
    external_trigger: run.runType === 'manual',
    conf: run.conf,
    note: null,
  };
}

/**
 * Airflow's `TaskInstance` object; `operator` from the run's DAG version when known; `renderedFields` its
 * rendered template fields where the caller read them (the lists do not: `{}`).
 */
export function taskInstanceJson(ti: TaskInstanceRecord, logicalDate: string | null, operator: string | null, renderedFields: Record<string, unknown> = {}): Record<string, unknown> {
  const duration = ti.startDate !== null && ti.endDate !== null ? (ti.endDate - ti.startDate) / 1000 : null;
  return {
    task_id: ti.taskId,
    task_display_name: ti.taskId,
    dag_id: ti.dagId,
    dag_run_id: ti.runId,
    execution_date: logicalDate ?? '',
    start_date: isoOrNull(ti.startDate),
    end_date: isoOrNull(ti.endDate),
    duration,
    // Airflow 2.7+ writes null for an instance with no state.
    state: ti.state === 'none' ? null : ti.state,
    try_number: ti.tryNumber,
    map_index: ti.mapIndex,
    max_tries: ti.maxTries,
    hostname: ti.hostname ?? '',
    unixname: '',
    pool: ti.pool,
    pool_slots: ti.poolSlots,
    queue: ti.queue,
    priority_weight: ti.priorityWeight,
    operator,
    queued_when: isoOrNull(ti.queuedAt),
    pid: ti.pid,
    executor: null,
    executor_config: '{}',
    sla_miss: null,
    // Airflow 2.10.5's column: what map_index_template rendered, null without one (the UI shows the map index then).
    rendered_map_index: ti.renderedMapIndex ?? null,
    rendered_fields: renderedFields,
    trigger: null,
    triggerer_job: null,
    note: ti.note,
  };
}

/** One try in the shape of Airflow's `TaskInstance` (GET .../tries): the instance with the try's own fields. */
export function tryJson(ti: TaskInstanceRecord, attempt: TryRow, logicalDate: string | null, operator: string | null): Record<string, unknown> {
  const state = attempt.state === 'handed_back' ? 'restarting' : attempt.state;
  return {
    ...taskInstanceJson(ti, logicalDate, operator, attempt.renderedFields ?? {}),
    try_number: attempt.tryNumber,
    start_date: isoOrNull(attempt.startDate),
    end_date: isoOrNull(attempt.endDate),
    duration: attempt.durationSeconds,
    state: state === 'none' ? null : state,
    hostname: attempt.hostname ?? '',
    pid: attempt.pid,
    note: attempt.exitReason,
  };
}

/** Airflow's `EventLog` object. */
export function eventLogJson(row: AuditRow): Record<string, unknown> {
  return {
    event_log_id: row.id,
    when: isoOrNull(row.at),
    dag_id: row.dagId,
    task_id: row.taskId,
    run_id: row.runId,
    map_index: row.mapIndex,
    try_number: row.tryNumber,
    event: row.event,
    execution_date: null,
    owner: row.username,
    extra: row.extra === null ? null : JSON.stringify(row.extra),
  };
}
