/**
 * Datasets (assets) of the in-memory store: the same rules as the PostgreSQL store's
 * `src/store/dataset-queries.ts` (registration at sync, events, alias resolution, the queue of updated
 * datasets per consumer DAG), for `dags test` and unit tests.
 */
import type { DagSpec } from '../dag/bundle.js';
import { datasetReferences, type DatasetReference } from '../dag/dataset-references.js';
import { conditionAliases } from '../dag/datasets.js';
import type { DatasetRef } from '../dag/datasets.js';
import { consumedUris, datasetTriggeredRunInfo, triggeredAt } from '../dag/dataset-runs.js';
import type {
  DagRecord, DagRunRecord, DatasetEventRecord, DatasetQueueRow, DatasetQueueSnapshot, DatasetRecord, DatasetTriggeredRunRequest, DatasetTriggeredRunResult,
  RunKey, TaskInstanceKey,
} from './metadata-store.js';
import type { OutletEvent } from './task-run-contract.js';

/** What `createTriggeredRun` needs of the store it belongs to. */
export interface TriggeredRunHost {
  runs(): Iterable<DagRunRecord>;
  createDagRun(run: Omit<DagRunRecord, 'startDate' | 'endDate' | 'state'>): Promise<{ created: boolean; run: DagRunRecord | null }>;
}

/** The datasets part of MemoryStore. `dags` reads the store's current DAGs. */
export class MemoryDatasets {
  private readonly datasets = new Map<string, { createdAt: number }>();
  private readonly aliasDatasets = new Map<string, Set<string>>();
  private readonly references = new Map<string, DatasetReference[]>();
  private readonly events: DatasetEventRecord[] = [];
  /** dagId -> uri -> when it was queued (insert-if-absent, as the table's primary key). */
  readonly queue = new Map<string, Map<string, number>>();
  private nextId = 1;
  /** `dagId\u0000runId` -> the ids of the events the run consumed. */
  private readonly consumed = new Map<string, number[]>();

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

  /** The queue rows of active, unpaused consumers, oldest first, and their schedule aliases' resolutions. */
  queueSnapshot(): DatasetQueueSnapshot {
    const schedulable = new Set([...this.dags()].filter((dag) => dag.isActive && !dag.isPaused).map((dag) => dag.dagId));
    const rows: DatasetQueueRow[] = [];
    for (const [dagId, queued] of this.queue) {
      if (!schedulable.has(dagId)) continue;
      for (const [uri, createdAt] of queued) rows.push({ dagId, uri, createdAt });
    }
    rows.sort((a, b) => a.createdAt - b.createdAt || cmp(a.dagId, b.dagId) || cmp(a.uri, b.uri));
    const dags = new Map([...this.dags()].map((dag) => [dag.dagId, dag]));
    const aliases: Record<string, string[]> = {};
    for (const dagId of new Set(rows.map((row) => row.dagId))) Object.assign(aliases, this.aliasesOf(dags.get(dagId)));
    return { rows, aliases };
  }

  /** What the aliases `dag`'s schedule names resolved to. */
  aliasesOf(dag: DagRecord | undefined): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    if (dag?.spec.schedule.type !== 'assets') return out;
    for (const name of conditionAliases(dag.spec.schedule.condition)) {
      const uris = this.aliasDatasets.get(name);
      if (uris && uris.size > 0) out[name] = [...uris].sort();
    }
    return out;
  }

  /** The events of `uris` with `after < timestamp <= upTo` (after null: from the first), oldest first. */
  eventsBetween(uris: readonly string[], after: number | null, upTo: number): DatasetEventRecord[] {
    return this.events
      .filter((event) => uris.includes(event.uri) && event.timestamp <= upTo && (after === null || event.timestamp > after))
      .sort(byTime)
      .map((event) => structuredClone(event));
  }

  /**
   * `createDatasetTriggeredRun`: the same checks, in the same order, as the PostgreSQL store's
   * (src/store/dataset-queries.ts). `host` gives the store's runs and its `createDagRun`.
   */
  async createTriggeredRun(request: DatasetTriggeredRunRequest, now: number, host: TriggeredRunHost): Promise<DatasetTriggeredRunResult> {
    const { dag, rows } = request;
    const stored = [...this.dags()].find((candidate) => candidate.dagId === dag.dagId);
    if (!stored || !stored.isActive || stored.isPaused || stored.versionHash !== dag.versionHash) return { created: false, reason: 'not_schedulable' };
    const queued = this.queue.get(dag.dagId);
    if (rows.length === 0 || !rows.every((row) => row.dagId === dag.dagId && queued?.get(row.uri) === row.createdAt)) return { created: false, reason: 'queue_changed' };
    const all = [...host.runs()];
    const runs = all.filter((run) => run.dagId === dag.dagId);
    if (runs.filter((run) => run.state === 'queued' || run.state === 'running').length >= dag.spec.maxActiveRuns) return { created: false, reason: 'max_active_runs' };
    const at = triggeredAt(rows);
    const uris = consumedUris(dag.spec, new Map(Object.entries(this.aliasesOf(stored))));
    const runTime = (run: DagRunRecord): number => Date.parse(run.logicalDate ?? run.runAfter);
    const previous = runs.filter((run) => run.runType === 'asset_triggered' && runTime(run) < at).map(runTime);
    const events = this.eventsBetween(uris, previous.length > 0 ? Math.max(...previous) : null, at);
    const info = datasetTriggeredRunInfo(dag.spec.airflowStyle, at, events.map((event) => {
      const source = all.find((run) => run.dagId === event.sourceDagId && run.runId === event.sourceRunId);
      return { timestamp: event.timestamp, sourceDataIntervalStart: source?.dataIntervalStart ?? null, sourceDataIntervalEnd: source?.dataIntervalEnd ?? null };
    }), request.runIdSuffix);
    const created = await host.createDagRun({ dagId: dag.dagId, versionHash: dag.versionHash, runType: 'asset_triggered', conf: {}, queuedAt: now, ...info });
    if (!created.created || !created.run) return { created: false, reason: 'run_exists' };
    this.consume(created.run, events, rows.map((row) => row.uri));
    return { created: true, run: created.run, events };
  }

  /** Records what `run` consumed and removes the queue rows of `uris` of its DAG. */
  private consume(run: RunKey, events: readonly DatasetEventRecord[], uris: readonly string[]): void {
    this.consumed.set(`${run.dagId}\u0000${run.runId}`, events.map((event) => event.id));
    const queued = this.queue.get(run.dagId);
    for (const uri of uris) queued?.delete(uri);
  }

  /** The events `run` consumed, oldest first, the newest `limit`. */
  runEvents(run: RunKey, limit: number): DatasetEventRecord[] {
    const ids = new Set(this.consumed.get(`${run.dagId}\u0000${run.runId}`) ?? []);
    return newest(this.events.filter((event) => ids.has(event.id)), limit);
  }

  /** Each inlet's events, oldest first, the newest `limitPerInlet`. */
  inletEvents(inlets: readonly DatasetRef[], limitPerInlet: number): Array<{ inlet: DatasetRef; events: DatasetEventRecord[] }> {
    return inlets.map((inlet) => ({
      inlet,
      events: newest(this.events.filter((event) => (inlet.type === 'alias' ? event.sourceAliases.includes(inlet.name) : event.uri === inlet.uri)), limitPerInlet),
    }));
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byTime = (a: DatasetEventRecord, b: DatasetEventRecord): number => a.timestamp - b.timestamp || a.id - b.id;

function newest(events: DatasetEventRecord[], limit: number): DatasetEventRecord[] {
  return events.sort(byTime).slice(Math.max(0, events.length - limit)).map((event) => structuredClone(event));
}
