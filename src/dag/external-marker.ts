/**
 * ExternalTaskMarker (Airflow 2.10.5 airflow/sensors/external_task.py): a task that names a task of another DAG
 * depending on it, so that clearing it with its downstream also clears that task and its downstream
 * (DAG.clear with include_dependent_dags, `_get_task_instances`). Pure: which task a marker points at.
 */
import type { TaskSpec } from './bundle.js';
import { UsageError } from '../lib/errors.js';

/** Operator name Airflow matches (`TI.operator == ExternalTaskMarker.__name__`: subclasses are not followed). */
const EXTERNAL_TASK_MARKER = 'ExternalTaskMarker';

/** The task a marker points at, the external run's logical date (ISO 8601), and the marker's recursion depth. */
export type MarkerTarget = Readonly<Record<'dagId' | 'taskId' | 'logicalDate', string> & { recursionDepth: number }>;

/** Templates of `execution_date` that mean the marker's own run's logical date (the default is the first). */
const LOGICAL_DATE_TEMPLATES = new Set(['logical_date.isoformat()', 'execution_date.isoformat()', 'ts', 'logical_date', 'execution_date']);

/** Whether `task` is an ExternalTaskMarker. */
export function isExternalTaskMarker(task: Pick<TaskSpec, 'operator'>): boolean {
  return task.operator === EXTERNAL_TASK_MARKER;
}

/**
 * Where the marker `task` of DAG `dagId` in a run of logical date `logicalDate` points. Its `execution_date` is
 * rendered as Airflow does for the templates that name the run's logical date, or read as an ISO instant; another
 * template cannot be rendered outside a task and is refused, naming the field and the fix.
 */
export function markerTarget(dagId: string, task: Pick<TaskSpec, 'taskId' | 'templateFields' | 'args'>, logicalDate: string | null): MarkerTarget {
  const field = (name: string): unknown => task.templateFields[name];
  const what = `ExternalTaskMarker ${dagId}.${task.taskId}`;
  const externalDagId = field('external_dag_id');
  const externalTaskId = field('external_task_id');
  if (typeof externalDagId !== 'string' || typeof externalTaskId !== 'string' || externalDagId.includes('{{') || externalTaskId.includes('{{')) {
    throw new UsageError(`${what}: external_dag_id and external_task_id must be plain strings to be followed when clearing (got ${JSON.stringify(externalDagId)}, ${JSON.stringify(externalTaskId)})`);
  }
  const raw = field('execution_date') ?? '{{ logical_date.isoformat() }}';
  if (typeof raw !== 'string') throw new UsageError(`${what}: execution_date must be a string, got ${JSON.stringify(raw)}`);
  const template = /^\s*\{\{\s*(.*?)\s*\}\}\s*$/.exec(raw);
  let date: string;
  if (template) {
    if (!LOGICAL_DATE_TEMPLATES.has(template[1] ?? '')) {
      throw new UsageError(`${what}: execution_date ${JSON.stringify(raw)} is a template dagbridge cannot render outside a task; use "{{ logical_date.isoformat() }}" or a fixed ISO 8601 instant`);
    }
    if (logicalDate === null) throw new UsageError(`${what}: its run has no logical date, so execution_date ${JSON.stringify(raw)} names none`);
    date = logicalDate;
  } else if (raw.includes('{{') || !Number.isFinite(Date.parse(raw))) {
    throw new UsageError(`${what}: execution_date ${JSON.stringify(raw)} is not an ISO 8601 instant dagbridge can read; use "{{ logical_date.isoformat() }}" or a fixed instant`);
  } else {
    date = raw;
  }
  // ExternalTaskMarker's default recursion_depth is 10.
  const depth = task.args.recursion_depth ?? 10;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth <= 0) throw new UsageError(`${what}: recursion_depth should be a positive integer, got ${JSON.stringify(depth)}`);
  return { dagId: externalDagId, taskId: externalTaskId, logicalDate: date, recursionDepth: depth };
}

/** Airflow's error past the first marker's recursion_depth. */
export function maxRecursionMessage(maxDepth: number, taskId: string): string {
  return `Maximum recursion depth ${maxDepth} reached for ${EXTERNAL_TASK_MARKER} ${taskId}. Attempted to clear too many tasks or there may be a cyclic dependency.`;
}
