/**
 * Builders for DagSpec and TaskSpec values with Airflow's defaults, for tests and in-code DAG definitions.
 * Pure.
 */
import { BUNDLE_SCHEMA_VERSION, type DagBundle, type DagSpec, type TaskSpec } from './bundle.js';

/** A task with every field at Airflow's default; `edges` fills upstream and downstream consistently. */
export function task(taskId: string, overrides: Partial<TaskSpec> = {}): TaskSpec {
  return {
    taskId,
    operator: 'PythonOperator',
    operatorModule: 'airflow.operators.python',
    kind: 'python',
    upstream: [],
    downstream: [],
    triggerRule: 'all_success',
    retries: 0,
    retryDelaySeconds: 300,
    retryExponentialBackoff: false,
    maxRetryDelaySeconds: null,
    executionTimeoutSeconds: null,
    queue: 'default',
    pool: 'default_pool',
    poolSlots: 1,
    priorityWeight: 1,
    weightRule: 'downstream',
    dependsOnPast: false,
    waitForDownstream: false,
    ignoreFirstDependsOnPast: false,
    maxActiveTisPerDag: null,
    maxActiveTisPerDagrun: null,
    doXcomPush: true,
    multipleOutputs: false,
    templateFields: {},
    pythonCallable: null,
    sensor: null,
    isSetup: false,
    isTeardown: false,
    onFailureFailDagrun: false,
    ignoreDownstreamTriggerRules: null,
    group: null,
    mapping: null,
    args: {},
    requiresProvider: false,
    owner: 'airflow',
    docMd: null,
    outlets: [],
    inlets: [],
    ...overrides,
  };
}

/** A DAG of `tasks` with edges `"a>b"`. */
export function dagOf(tasks: TaskSpec[], edges: string[] = [], overrides: Partial<DagSpec> = {}): DagSpec {
  const byId = new Map(tasks.map((t) => [t.taskId, { ...t, upstream: [...t.upstream], downstream: [...t.downstream] }]));
  for (const edge of edges) {
    const [from, to] = edge.split('>') as [string, string];
    byId.get(from)?.downstream.push(to);
    byId.get(to)?.upstream.push(from);
  }
  return {
    dagId: 'd',
    file: 'd.py',
    fileHash: 'h',
    description: null,
    schedule: { type: 'none' },
    timezone: 'UTC',
    startDate: null,
    endDate: null,
    catchup: false,
    maxActiveRuns: 16,
    maxActiveTasks: 16,
    maxConsecutiveFailedDagRuns: 0,
    dagrunTimeoutSeconds: null,
    defaultArgs: {},
    params: {},
    tags: [],
    owner: 'airflow',
    docMd: null,
    isPausedUponCreation: null,
    renderTemplateAsNativeObj: false,
    airflowStyle: 2,
    tasks: [...byId.values()],
    taskGroups: [],
    ...overrides,
  };
}

/** A bundle holding `dags` (nothing else), as a test's export would produce. */
export function bundleOf(...dags: DagSpec[]): DagBundle {
  return {
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    generator: { name: 'test', version: '0', python: '3.11.0', pythonExecutable: 'python3', mode: 'standin', airflowVersion: null },
    dagsFolder: '/dags',
    files: [],
    importErrors: [],
    dags,
  };
}
