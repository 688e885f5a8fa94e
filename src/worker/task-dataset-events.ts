/**
 * The dataset events a task reads, for its run input (contract 3): `inlet_events` (every event of each inlet
 * dataset, and the events emitted through each inlet alias) and `triggering_dataset_events` (the events the
 * run consumed when a dataset condition created it). Bounded: each inlet and the run carry at most their newest
 * MAX_EVENTS_PER_LIST events, oldest first, so a dataset with a long history does not grow every task's input.
 */
import type { TaskSpec } from '../dag/bundle.js';
import { pythonIsoUtc } from '../dag/ids.js';
import type { DagRunRecord, DatasetEventRecord, MetadataStore } from '../ports/metadata-store.js';
import type { DatasetEventView, TaskRunInput } from '../ports/task-run-contract.js';

/** The most events one inlet (or the run's triggering events) puts in a task's input: the newest ones. */
export const MAX_EVENTS_PER_LIST = 1000;

/** An event as the task run input carries it. */
export function eventView(event: DatasetEventRecord): DatasetEventView {
  return {
    id: event.id,
    uri: event.uri,
    extra: event.extra,
    timestamp: pythonIsoUtc(event.timestamp),
    sourceDagId: event.sourceDagId,
    sourceRunId: event.sourceRunId,
    sourceTaskId: event.sourceTaskId,
    sourceMapIndex: event.sourceMapIndex,
    sourceAliases: event.sourceAliases,
  };
}

/** The `inletEvents` and `triggeringDatasetEvents` of `task`'s input in `run`; reads nothing when there are none. */
export async function taskDatasetEvents(store: MetadataStore, run: DagRunRecord, task: TaskSpec): Promise<Required<Pick<TaskRunInput, 'inletEvents' | 'triggeringDatasetEvents'>>> {
  const [inlets, triggering] = await Promise.all([
    task.inlets.length === 0 ? [] : store.listInletDatasetEvents(task.inlets, MAX_EVENTS_PER_LIST),
    run.runType === 'asset_triggered' ? store.listRunDatasetEvents(run, MAX_EVENTS_PER_LIST) : [],
  ]);
  // An event of an inlet dataset that came through an inlet alias is in both lists: once in the input.
  const byId = new Map<number, DatasetEventRecord>();
  for (const { events } of inlets) for (const event of events) byId.set(event.id, event);
  const inletEvents = [...byId.values()].sort((a, b) => a.timestamp - b.timestamp || a.id - b.id).map(eventView);
  return { inletEvents, triggeringDatasetEvents: triggering.map(eventView) };
}
