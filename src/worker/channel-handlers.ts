/**
 * The request kinds an attempt's supervisor channel serves (docs/shim.md "The supervisor channel"), answered
 * from the metadata store (PostgreSQL on a worker, memory under `dags test`) for the task instance that holds
 * the channel. Reads follow what Airflow lets a task read; writes reach only the task instance's own XComs and
 * the Variables (global in Airflow too).
 */
import { z } from 'zod';
import { CONF_LIMIT_SETTINGS, DEFAULT_JSON_LIMITS, describeJsonLimitProblem, jsonLimitProblem, xcomLimitMessage, type JsonLimits } from '../lib/json-limits.js';
import { requestedRunProblem } from '../dag/new-run.js';
import type { ConnectionSource } from '../ports/connections.js';
import type { DagSpec } from '../dag/bundle.js';
import type { DagRunState } from '../dag/states.js';
import type { DagRunRecord, MetadataStore, TaskInstanceKey, TaskInstanceRecord } from '../ports/metadata-store.js';
import { triggerRequestSchema, type TriggerRequest } from '../ports/task-run-contract.js';
import { ChannelRefusal, channelHandler, type ChannelHandler, type ChannelHandlers } from './channel-server.js';

/** What the handlers answer from. */
export interface ChannelSources {
  readonly store: MetadataStore;
  /** Where `connection.get` looks; without one every lookup answers null (the task falls back to AIRFLOW_CONN_*). */
  readonly connections?: ConnectionSource | null;
  /** Bounds of a pushed XCom value (maxXcomBytes, maxJsonDepth). Default DEFAULT_JSON_LIMITS. */
  readonly limits?: JsonLimits;
}

/** Airflow's `ID_LEN`-sized keys: variable keys and connection ids are at most 250 characters. */
const idText = z.string().min(1).max(250);

const xcomPullSchema = z.object({
  dagId: idText.optional(),
  runId: idText.optional(),
  taskIds: z.array(idText).max(10_000).nullable(),
  key: z.string().max(512).nullable(),
  mapIndexes: z.array(z.number().int().min(-1)).max(100_000).nullable(),
  includePriorDates: z.boolean(),
  limit: z.number().int().positive().nullable(),
});

const xcomPushSchema = z.object({
  key: z.string().min(1).max(512),
  value: z.unknown(),
  dagId: idText.optional(),
  runId: idText.optional(),
  taskId: idText.optional(),
  mapIndex: z.number().int().optional(),
});

const externalSchema = z.object({
  dagId: idText,
  taskIds: z.array(idText).max(1000).nullable(),
  taskGroupId: idText.nullable(),
  logicalDates: z.array(z.string().datetime({ offset: true })).max(1000),
});

const externalStates = z.array(z.string().max(50)).max(20);

// The payload schemas, built once per process: every attempt's registry shares them (zod schemas are immutable).
const connectionGetSchema = z.object({ connId: idText });
const variableKeySchema = z.object({ key: idText });
const variableSetSchema = z.object({ key: idText, value: z.string(), description: z.string().nullable().optional() });
const externalCountSchema = externalSchema.extend({ states: externalStates });
const externalDagTiCountSchema = externalSchema.pick({ dagId: true, logicalDates: true }).extend({ states: externalStates });
const externalExistsSchema = externalSchema.omit({ logicalDates: true });
const dagRunGetSchema = z.object({ dagId: idText.optional(), runId: idText.optional() });
const dagRunTriggerSchema = triggerRequestSchema.extend({ dagId: idText, runId: idText.nullable() });
const taskInstancesSchema = z.object({ states: z.array(z.string().nullable()).max(20).nullable() });
const previousSchema = z.object({ state: z.string().max(50).nullable() });
const heartbeatSchema = z.object({});

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A task instance as the task reads it. */
function tiView(ti: TaskInstanceRecord): Record<string, unknown> {
  return {
    dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex, state: ti.state, tryNumber: ti.tryNumber, maxTries: ti.maxTries,
    queue: ti.queue, pool: ti.pool, priorityWeight: ti.priorityWeight, startDate: iso(ti.startDate), endDate: iso(ti.endDate), hostname: ti.hostname,
  };
}

/** A DAG run as the task reads it. */
function runView(run: DagRunRecord): Record<string, unknown> {
  return {
    dagId: run.dagId, runId: run.runId, runType: run.runType, state: run.state, logicalDate: run.logicalDate, dataIntervalStart: run.dataIntervalStart,
    dataIntervalEnd: run.dataIntervalEnd, runAfter: run.runAfter, conf: run.conf, startDate: iso(run.startDate), endDate: iso(run.endDate),
  };
}

/** Airflow 2.10.5's `_get_count`: matching instances per watched task (a fraction while some are missing), or matching runs. */
async function externalCount(store: MetadataStore, query: z.infer<typeof externalSchema> & { states: string[] }): Promise<number> {
  const { dagId, logicalDates, states } = query;
  if (logicalDates.length === 0) return 0;
  if (query.taskIds && query.taskIds.length > 0) {
    return (await store.countTaskInstances({ dagId, logicalDates, states, taskIds: query.taskIds })) / query.taskIds.length;
  }
  if (query.taskGroupId !== null) {
    const dag = await store.getDag(dagId);
    const inGroup = dag ? groupTaskIds(dag.spec, query.taskGroupId) : [];
    const present = inGroup.length === 0 ? 0 : await store.countTaskInstances({ dagId, logicalDates, states: null, taskIds: inGroup });
    // As Airflow: no instance of the group yet counts the group id itself, which matches nothing (the sensor times out).
    if (present === 0) return (await store.countTaskInstances({ dagId, logicalDates, states, taskIds: [query.taskGroupId] })) / 1;
    return (await store.countTaskInstances({ dagId, logicalDates, states, taskIds: inGroup })) / present;
  }
  return store.countDagRuns({ dagId, logicalDates, states });
}

/** The tasks of a task group and of the groups nested in it. */
function groupTaskIds(spec: DagSpec, groupId: string): string[] {
  const parent = new Map(spec.taskGroups.map((g) => [g.groupId, g.parentGroupId]));
  const inside = (group: string | null | undefined): boolean => {
    for (let at = group; at; at = parent.get(at) ?? null) if (at === groupId) return true;
    return false;
  };
  return spec.tasks.filter((t) => inside(t.group)).map((t) => t.taskId);
}

/**
 * TriggerDagRunOperator with wait_for_completion: the run is created now (it must exist to be waited on), only
 * by a TriggerDagRunOperator task while it still runs this try. `created` stays true for a run this attempt
 * created when the request is repeated (the run id is the idempotency key; the database holds one run per id).
 */
async function triggerForTask(sources: ChannelSources, request: TriggerRequest, scope: TaskInstanceKey & { tryNumber: number }, createdHere: Set<string>): Promise<unknown> {
  const { store } = sources;
  const task = (await store.getDag(scope.dagId))?.spec.tasks.find((t) => t.taskId === scope.taskId);
  if (task?.kind !== 'trigger_dagrun') {
    throw new ChannelRefusal('forbidden', `only a TriggerDagRunOperator task may trigger a DAG run; ${scope.dagId}.${scope.taskId} is ${task ? `a ${task.operator}` : 'not in its DAG as last parsed'}`);
  }
  const problem = requestedRunProblem(request);
  if (problem) throw new ChannelRefusal('invalid', `TriggerDagRunOperator asked for a run of DAG ${request.dagId} that cannot be created: ${problem}`);
  const confProblem = jsonLimitProblem(request.conf, { maxBytes: (sources.limits ?? DEFAULT_JSON_LIMITS).maxConfBytes, maxDepth: (sources.limits ?? DEFAULT_JSON_LIMITS).maxJsonDepth });
  if (confProblem) throw new ChannelRefusal('limit', describeJsonLimitProblem(`the conf of the run of DAG ${request.dagId} it triggers`, confProblem, CONF_LIMIT_SETTINGS));
  const result = await store.triggerDagRunForTry(scope, scope.tryNumber, request, Date.now());
  if (result === null) throw new ChannelRefusal('forbidden', `the task instance is no longer running try ${scope.tryNumber} (cleared or handed back); no run of DAG ${request.dagId} was created`);
  if (!result.run) return { created: false, run: null };
  const key = `${result.run.dagId}\u0000${result.run.runId}`;
  if (result.created) createdHere.add(key);
  return { created: createdHere.has(key), run: runView(result.run) };
}

/** The registry of one attempt's channel. */
export function taskChannelHandlers(sources: ChannelSources): ChannelHandlers {
  const { store } = sources;
  // Runs this attempt's `dagrun.trigger` created (the registry lives as long as the attempt's channel).
  const createdHere = new Set<string>();
  const handlers: Array<[string, ChannelHandler]> = [
    [
      'connection.get',
      channelHandler(connectionGetSchema, async ({ connId }) => (sources.connections ? sources.connections.getConnection(connId) : null)),
    ],
    [
      'variable.get',
      channelHandler(variableKeySchema, async ({ key }) => ({ value: await store.getVariable(key) })),
    ],
    [
      // Variables are global in Airflow: any task may write any key (the Task SDK's PUT /variables/{key}).
      'variable.set',
      channelHandler(variableSetSchema, async ({ key, value, description }) => {
        await store.setVariable(key, value, description ?? null);
        return {};
      }),
    ],
    [
      'variable.delete',
      channelHandler(variableKeySchema, async ({ key }) => ({ deleted: (await store.deleteVariable(key)) ? 1 : 0 })),
    ],
    [
      'xcom.pull',
      channelHandler(xcomPullSchema, async (query, scope) => {
        const run = await store.getDagRun(scope);
        if (!run) throw new ChannelRefusal('forbidden', `the run ${scope.runId} of DAG ${scope.dagId} holding this channel no longer exists`);
        const rows = await store.queryXcoms({
          // As Airflow: another DAG's XComs are those of the same run id (or, with include_prior_dates, of its runs up to this run's date).
          dagIds: [query.dagId ?? scope.dagId],
          runId: query.runId ?? scope.runId,
          includePriorDates: query.includePriorDates,
          before: run.logicalDate ?? run.runAfter,
          taskIds: query.taskIds,
          key: query.key,
          mapIndexes: query.mapIndexes,
          limit: query.limit,
        });
        return rows.map((row) => ({ taskId: row.taskId, mapIndex: row.mapIndex, key: row.key, runId: row.runId, value: row.value }));
      }),
    ],
    [
      'xcom.push',
      channelHandler(xcomPushSchema, async ({ key, value, dagId, runId, taskId, mapIndex }, scope) => {
        // Only the task instance's own XComs: Airflow's XCom.set for another task is not the task's to make.
        const others = ([['dagId', dagId, scope.dagId], ['runId', runId, scope.runId], ['taskId', taskId, scope.taskId], ['mapIndex', mapIndex, scope.mapIndex]] as const)
          .filter(([, given, own]) => given !== undefined && given !== own);
        if (others.length > 0) {
          const named = others.map(([field, given]) => `${field} ${JSON.stringify(given)}`).join(', ');
          throw new ChannelRefusal('forbidden', `a task may push XComs only for itself (${scope.dagId}.${scope.taskId}, run ${scope.runId}, map index ${scope.mapIndex}), not for ${named}`);
        }
        const tooBig = xcomLimitMessage(key, value, sources.limits ?? DEFAULT_JSON_LIMITS);
        if (tooBig) throw new ChannelRefusal('limit', `${scope.dagId}.${scope.taskId}: ${tooBig}; it was not stored`);
        if (!(await store.pushXcom(scope, scope.tryNumber, key, value, Date.now()))) {
          throw new ChannelRefusal('forbidden', `the task instance is no longer running try ${scope.tryNumber} (cleared or handed back); the XCom ${JSON.stringify(key)} was not stored`);
        }
        return {};
      }),
    ],
    [
      // ExternalTaskSensor's _get_count (Airflow 2.10.5 utils/sensor_helper.py), for any DAG; also WorkflowTrigger's
      // and DagStateTrigger's counts (no task ids, no group: the DAG's runs).
      'external.count',
      channelHandler(externalCountSchema, async (query) => ({ count: await externalCount(store, query) })),
    ],
    [
      // TaskStateTrigger.count_running_dags (Airflow 2.10.5 triggers/external_task.py): instances of any of the
      // DAG's tasks (as last parsed) at the logical dates in the states.
      'external.dag_ti_count',
      channelHandler(externalDagTiCountSchema, async ({ dagId, logicalDates, states }) => {
        const taskIds = (await store.getDag(dagId))?.spec.tasks.map((t) => t.taskId) ?? [];
        if (taskIds.length === 0 || logicalDates.length === 0) return { count: 0 };
        return { count: await store.countTaskInstances({ dagId, logicalDates, states, taskIds }) };
      }),
    ],
    [
      // ExternalTaskSensor's check_existence: the DAG, its tasks or its task group, as last parsed.
      'external.exists',
      channelHandler(externalExistsSchema, async ({ dagId, taskIds, taskGroupId }) => {
        const dag = await store.getDag(dagId);
        if (!dag) return { dag: false, missingTaskIds: [], group: false };
        const known = new Set(dag.spec.tasks.map((t) => t.taskId));
        return {
          dag: true,
          missingTaskIds: (taskIds ?? []).filter((id) => !known.has(id)),
          group: taskGroupId === null ? false : dag.spec.taskGroups.some((g) => g.groupId === taskGroupId),
        };
      }),
    ],
    [
      // The dag_run of the context, read again (its state, end date), or another DAG's run (TriggerDagRunOperator).
      'dagrun.get',
      channelHandler(dagRunGetSchema, async ({ dagId, runId }, scope) => {
        const run = await store.getDagRun({ dagId: dagId ?? scope.dagId, runId: runId ?? scope.runId });
        return run ? runView(run) : null;
      }),
    ],
    [
      'dagrun.trigger',
      channelHandler(dagRunTriggerSchema, (request, scope) => triggerForTask(sources, request, scope, createdHere)),
    ],
    [
      // DagRun.get_task_instances(state=...) of the task's own run.
      'dagrun.task_instances',
      channelHandler(taskInstancesSchema, async ({ states }, scope) => {
        const tis = await store.listTaskInstances(scope);
        // Airflow's state=None filter matches instances without a state (our `none`).
        const wanted = states === null ? null : new Set(states.map((s) => s ?? 'none'));
        return tis.filter((ti) => wanted === null || wanted.has(ti.state)).map(tiView);
      }),
    ],
    [
      // TaskInstance.get_previous_dagrun(state=...): the latest run of this DAG before this one (in that state when given).
      'dagrun.previous',
      channelHandler(previousSchema, async ({ state }, scope) => {
        const run = await store.getDagRun(scope);
        const previous = run ? await store.previousRun(run, (state ?? undefined) as DagRunState | undefined) : null;
        return previous ? runView(previous) : null;
      }),
    ],
    [
      // TaskInstance.get_previous_ti(state=...): this task in the previous run (in that state when given).
      'ti.previous',
      channelHandler(previousSchema, async ({ state }, scope) => {
        const run = await store.getDagRun(scope);
        if (!run) return null;
        const previous = await store.previousRun(run, (state ?? undefined) as DagRunState | undefined);
        if (!previous) return null;
        const ti = await store.getTaskInstance({ ...scope, runId: previous.runId });
        return ti ? { ...tiView(ti), run: runView(previous) } : null;
      }),
    ],
    [
      // The task says it is alive; the answer is its instance's state (a cleared one reads `restarting`).
      'ti.heartbeat',
      channelHandler(heartbeatSchema, async (_payload, scope) => {
        const ti = await store.getTaskInstance(scope);
        return { state: ti?.state ?? null, tryNumber: ti?.tryNumber ?? null, stillOwned: ti?.state === 'running' && ti.tryNumber === scope.tryNumber };
      }),
    ],
  ];
  return new Map(handlers);
}
