/**
 * What a DAG names of datasets (assets) and aliases: its schedule condition, its tasks' outlets and inlets.
 * The store keeps these per DAG version it syncs (Airflow's DagScheduleDatasetReference and
 * TaskOutletDatasetReference), to find a dataset's consumers and producers. Pure.
 */
import type { DagSpec } from './bundle.js';
import { conditionAliases, conditionUris } from './datasets.js';

/** One reference. `name` is a URI, or an alias name when `isAlias`; `taskId` is '' for the schedule. */
export interface DatasetReference {
  kind: 'schedule' | 'schedule_alias' | 'outlet' | 'inlet';
  name: string;
  isAlias: boolean;
  taskId: string;
}

/** Every reference of `spec`, once each. */
export function datasetReferences(spec: DagSpec): DatasetReference[] {
  const found = new Map<string, DatasetReference>();
  const add = (reference: DatasetReference): void => {
    found.set(`${reference.kind}\u0000${reference.name}\u0000${reference.taskId}`, reference);
  };
  if (spec.schedule.type === 'assets') {
    for (const uri of conditionUris(spec.schedule.condition)) add({ kind: 'schedule', name: uri, isAlias: false, taskId: '' });
    for (const name of conditionAliases(spec.schedule.condition)) add({ kind: 'schedule_alias', name, isAlias: true, taskId: '' });
  }
  for (const task of spec.tasks) {
    for (const [kind, refs] of [['outlet', task.outlets], ['inlet', task.inlets]] as const) {
      for (const ref of refs) {
        add(ref.type === 'alias'
          ? { kind, name: ref.name, isAlias: true, taskId: task.taskId }
          : { kind, name: ref.uri, isAlias: false, taskId: task.taskId });
      }
    }
  }
  return [...found.values()];
}
