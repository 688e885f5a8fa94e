/**
 * How DAGs are shown to people: the schedule in one word, and the task graph drawn as a tree.
 */
import type { DagSpec, Schedule, TaskSpec } from '../dag/bundle.js';
import { describeCondition } from '../dag/datasets.js';

/** A schedule as Airflow users write it: `@daily`, `0 3 * * *`, `every 2h`, `None`. */
export function describeSchedule(schedule: Schedule): string {
  switch (schedule.type) {
    case 'none':
      return 'None';
    case 'cron':
      return schedule.preset ?? schedule.expression;
    case 'timedelta':
      return `every ${describeInterval(schedule.seconds)}`;
    case 'once':
      return '@once';
    case 'continuous':
      return '@continuous';
    case 'timetable':
      return schedule.summary ?? schedule.className;
    case 'custom':
      return schedule.summary;
    case 'assets':
      return schedule.timetable === null
        ? `assets: ${describeCondition(schedule.condition)}`
        : `assets: ${describeCondition(schedule.condition)} or ${describeSchedule(schedule.timetable)}`;
  }
}

function describeInterval(seconds: number): string {
  const units: Array<[number, string]> = [[86_400, 'd'], [3_600, 'h'], [60, 'm'], [1, 's']];
  for (const [size, unit] of units) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/** The key settings of a task that differ from Airflow's defaults, e.g. `retries=2 queue=aws`. */
export function describeTask(task: TaskSpec): string {
  const parts = [task.operator];
  if (task.triggerRule !== 'all_success') parts.push(`trigger_rule=${task.triggerRule}`);
  if (task.retries > 0) parts.push(`retries=${task.retries}`);
  if (task.queue !== 'default') parts.push(`queue=${task.queue}`);
  if (task.pool !== 'default_pool') parts.push(`pool=${task.pool}${task.poolSlots > 1 ? `x${task.poolSlots}` : ''}`);
  if (task.priorityWeight !== 1) parts.push(`priority_weight=${task.priorityWeight}`);
  if (task.executionTimeoutSeconds !== null) parts.push(`timeout=${task.executionTimeoutSeconds}s`);
  if (task.mapping) parts.push(`mapped(${Object.keys(task.mapping.inputs).join(',')})`);
  if (task.sensor) parts.push(`sensor:${task.sensor.mode}`);
  if (task.isSetup) parts.push('setup');
  if (task.isTeardown) parts.push('teardown');
  if (task.dependsOnPast) parts.push('depends_on_past');
  if (task.requiresProvider) parts.push('needs provider');
  return parts.join(' ');
}

/**
 * Draws the graph from its roots. A task with several upstreams is drawn in full under its first parent
 * (in topological order) and referenced as `↑ task_id` elsewhere, so every task appears fully exactly once.
 */
export function renderTaskTree(dag: DagSpec): string[] {
  const byId = new Map(dag.tasks.map((task) => [task.taskId, task]));
  const drawn = new Set<string>();
  const lines: string[] = [];
  const draw = (taskId: string, prefix: string, last: boolean, root: boolean): void => {
    const task = byId.get(taskId);
    if (!task) return;
    const branch = root ? '' : last ? '└── ' : '├── ';
    if (drawn.has(taskId)) {
      lines.push(`${prefix}${branch}↑ ${taskId}`);
      return;
    }
    drawn.add(taskId);
    lines.push(`${prefix}${branch}${taskId}  [${describeTask(task)}]`);
    const children = [...task.downstream].sort();
    const childPrefix = root ? prefix : prefix + (last ? '    ' : '│   ');
    children.forEach((child, index) => draw(child, childPrefix, index === children.length - 1, false));
  };
  const roots = dag.tasks.filter((task) => task.upstream.length === 0).map((task) => task.taskId).sort();
  for (const root of roots) draw(root, '', true, true);
  return lines;
}
