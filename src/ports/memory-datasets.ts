/**
 * Datasets (assets) of the in-memory store: the same rules as the PostgreSQL store's
 * `src/store/dataset-queries.ts` (registration at sync, events, alias resolution, the queue of updated
 * datasets per consumer DAG), for `dags test` and unit tests.
 */
import type { DagSpec } from '../dag/bundle.js';
import { datasetReferences, type DatasetReference } from '../dag/dataset-references.js';
import type { DagRecord, DatasetEventRecord, DatasetRecord, TaskInstanceKey } from './metadata-store.js';
import type { OutletEvent } from './task-run-contract.js';

/** The datasets part of MemoryStore. `dags` reads the store's current DAGs. */
export class MemoryDatasets {
  private readonly datasets = new Map<string, { createdAt: number }>();
  private readonly aliasDatasets = new Map<string, Set<string>>();
  private readonly references = new Map<string, DatasetReference[]>();
  private readonly events: DatasetEventRecord[] = [];
  /** dagId -> uri -> when it was queued (insert-if-absent, as the table's primary key). */
  readonly queue = new Map<string, Map<string, number>>();
  private nextId = 1;

  constructor(private readonly dags: () => Iterable<DagRecord>) {}

  /** Registers what the synced DAGs name (syncBundle). */
  register(specs: readonly DagSpec[], now: number): void {
    for (const spec of specs) {
      const references = datasetReferences(spec);
      this.references.set(spec.dagId, references);
      for (const reference of references) {
        if (reference.isAlias) this.aliasSet(reference.name);
        else if (!this.datasets.has(reference.name)) this.datasets.set(reference.name, { createdAt: now });
      }
    }
  }

  private aliasSet(name: string): Set<string> {
    let set = this.aliasDatasets.get(name);
    if (!set) {
      set = new Set();
      this.aliasDatasets.set(name, set);
    }
    return set;
  }

  /** Records one event and queues its consumers; null for a direct event of an unknown URI. */
  record(event: OutletEvent, source: TaskInstanceKey | null, now: number): DatasetEventRecord | null {
    if (event.aliases.length > 0) {
      if (!this.datasets.has(event.uri)) this.datasets.set(event.uri, { createdAt: now });
      for (const alias of event.aliases) this.aliasSet(alias).add(event.uri);
    }
    if (!this.datasets.has(event.uri)) return null;
    const record: DatasetEventRecord = {
      id: this.nextId++,
      uri: event.uri,
      extra: structuredClone(event.extra),
      timestamp: now,
      sourceDagId: source?.dagId ?? null,
      sourceRunId: source?.runId ?? null,
      sourceTaskId: source?.taskId ?? null,
      sourceMapIndex: source?.mapIndex ?? -1,
      sourceAliases: [...event.aliases],
    };
    this.events.push(record);
    for (const dag of this.dags()) {
      if (!dag.isActive || dag.isPaused || !this.consumes(dag.dagId, event.uri, event.aliases)) continue;
      let queued = this.queue.get(dag.dagId);
      if (!queued) {
        queued = new Map();
        this.queue.set(dag.dagId, queued);
      }
      if (!queued.has(event.uri)) queued.set(event.uri, now);
    }
    return structuredClone(record);
  }

  private consumes(dagId: string, uri: string, aliases: readonly string[]): boolean {
    return (this.references.get(dagId) ?? []).some((reference) =>
      (reference.kind === 'schedule' && reference.name === uri) ||
      (reference.kind === 'schedule_alias' && (aliases.includes(reference.name) || (this.aliasDatasets.get(reference.name)?.has(uri) ?? false))));
  }

  list(): DatasetRecord[] {
    const active = [...this.dags()].filter((dag) => dag.isActive).map((dag) => dag.dagId);
    return [...this.datasets.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([uri, { createdAt }]) => {
        const events = this.events.filter((event) => event.uri === uri);
        const aliases = [...this.aliasDatasets].filter(([, uris]) => uris.has(uri)).map(([name]) => name).sort();
        const producers = active.flatMap((dagId) => (this.references.get(dagId) ?? [])
          .filter((reference) => reference.kind === 'outlet' && !reference.isAlias && reference.name === uri)
          .map((reference) => `${dagId}.${reference.taskId}`));
        const consumers = active.filter((dagId) => (this.references.get(dagId) ?? []).some((reference) =>
          (reference.kind === 'schedule' && reference.name === uri) || (reference.kind === 'schedule_alias' && aliases.includes(reference.name))));
        return {
          uri,
          createdAt,
          producers: [...new Set(producers)].sort(),
          consumers: [...new Set(consumers)].sort(),
          aliases,
          eventCount: events.length,
          lastEventAt: events.length === 0 ? null : Math.max(...events.map((event) => event.timestamp)),
        };
      });
  }

  listEvents(filter: { uri?: string; limit?: number }): DatasetEventRecord[] {
    return this.events
      .filter((event) => filter.uri === undefined || event.uri === filter.uri)
      .sort((a, b) => b.timestamp - a.timestamp || b.id - a.id)
      .slice(0, filter.limit ?? 100)
      .map((event) => structuredClone(event));
  }
}
