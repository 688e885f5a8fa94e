/**
 * Runs on a bench cluster, read back from PostgreSQL: create a manual run, wait for it, and the CPU time of the
 * cluster's parts. Shared by the cluster and comparison benchmarks.
 */
import type { DagBundle, DagSpec } from '../../src/dag/bundle.js';
import { generateRunId, pythonIsoUtc } from '../../src/dag/ids.js';
import type { DagRunRecord, TaskInstanceRecord } from '../../src/ports/metadata-store.js';
import type { PgStore } from '../../src/store/pg-store.js';
import type { BenchCluster } from './cluster.js';
import { forkServerCpuMs, processCpuMs } from './cpu.js';

/** Polls `check` every `everyMs` until it returns a value; throws at the deadline with the processes' output. */
export async function until<T>(cluster: BenchCluster, what: string, check: () => Promise<T | null>, everyMs = 100): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    const exited = cluster.exited();
    if (exited) throw new Error(`${exited.name} exited (code ${String(exited.process.exitCode)}) while waiting for ${what}\n${cluster.outputs()}`);
    if (Date.now() > cluster.deadlineAt) throw new Error(`deadline reached waiting for ${what}\n${cluster.outputs()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Creates a manual run directly in PostgreSQL (its NOTIFY wakes the scheduler, as `dags trigger` does). */
export async function createRun(store: PgStore, dag: DagSpec, label: string): Promise<DagRunRecord> {
  const dagRecord = await store.getDag(dag.dagId);
  if (!dagRecord) throw new Error(`DAG ${dag.dagId} is not stored`);
  const now = Date.now();
  const { run } = await store.createDagRun({
    dagId: dag.dagId,
    runId: `${generateRunId('manual', now)}_${label}`,
    versionHash: dagRecord.versionHash,
    runType: 'manual',
    logicalDate: pythonIsoUtc(now),
    dataIntervalStart: pythonIsoUtc(now),
    dataIntervalEnd: pythonIsoUtc(now),
    runAfter: pythonIsoUtc(now),
    conf: {},
    queuedAt: now,
  }, now);
  if (!run) throw new Error(`the run ${label} of ${dag.dagId} was not created`);
  return run;
}

export async function waitForRun(cluster: BenchCluster, run: DagRunRecord): Promise<{ run: DagRunRecord; instances: TaskInstanceRecord[] }> {
  const store = cluster.store as PgStore;
  const done = await until(cluster, `run ${run.runId} of ${run.dagId}`, async () => {
    const current = await store.getDagRun(run);
    return current && (current.state === 'success' || current.state === 'failed') ? current : null;
  });
  const instances = await store.listTaskInstances(run);
  const failed = instances.filter((ti) => ti.state !== 'success');
  if (done.state !== 'success' || failed.length > 0) {
    throw new Error(`run ${run.runId} of ${run.dagId} ended ${done.state}; ${failed.length} tasks not successful (first: ${failed[0]?.taskId} ${failed[0]?.state} ${failed[0]?.note ?? ''})\n${cluster.outputs()}`);
  }
  return { run: done, instances };
}

export function dagOf(bundle: DagBundle, dagId: string): DagSpec {
  const dag = bundle.dags.find((d) => d.dagId === dagId);
  if (!dag) throw new Error(`the export has no DAG ${dagId}: ${JSON.stringify(bundle.importErrors)}`);
  return dag;
}

/** CPU milliseconds so far of the cluster's parts (null where /proc cannot be read). */
export interface ClusterCpu {
  scheduler: number | null;
  workers: number | null;
  tasks: number | null;
  database: number | null;
}

/**
 * Reads the CPU time of the scheduler, the workers (node), the task processes (reaped by the workers, or forked
 * by their fork servers) and the
 * PostgreSQL backends serving the scheduler and workers. Redis is left out: it is one server shared with
 * whatever else runs on the machine.
 */
export async function clusterCpu(cluster: BenchCluster): Promise<{ cpu: ClusterCpu; backends: Map<number, number> }> {
  const sum = (values: Array<number | null | undefined>): number | null => (values.some((v) => v === null || v === undefined) ? null : values.reduce((a: number, v) => a + (v as number), 0));
  const scheduler = cluster.processes.filter((p) => p.name === 'scheduler').map((p) => processCpuMs(p.pid));
  const workers = cluster.processes.filter((p) => p.name.startsWith('worker')).map((p) => processCpuMs(p.pid));
  const rows = await (cluster.pool as NonNullable<BenchCluster['pool']>).query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND (application_name LIKE 'dagbridge-scheduler%' OR application_name LIKE 'dagbridge-worker%')`,
    [cluster.databaseName],
  );
  const backends = new Map<number, number>();
  for (const { pid } of rows.rows) {
    const cpu = processCpuMs(pid);
    if (cpu) backends.set(pid, cpu.selfMs);
  }
  return {
    cpu: {
      scheduler: sum(scheduler.map((c) => c?.selfMs)),
      workers: sum(workers.map((c) => c?.selfMs)),
      // Reaped task processes, and the fork servers with the attempts they forked (reaped by the servers).
      tasks: sum([...workers.map((c) => c?.childrenMs), ...cluster.processes.filter((p) => p.name.startsWith('worker')).map((p) => forkServerCpuMs(p.pid))]),
      database: rows.rows.length > 0 && backends.size === rows.rows.length ? [...backends.values()].reduce((a, b) => a + b, 0) : null,
    },
    backends,
  };
}

/** CPU used between two readings; database backends are compared pid by pid (a new connection counts from 0). */
export function cpuBetween(before: Awaited<ReturnType<typeof clusterCpu>>, after: Awaited<ReturnType<typeof clusterCpu>>): ClusterCpu {
  const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : b - a);
  let database: number | null = after.cpu.database === null ? null : 0;
  for (const [pid, ms] of after.backends) if (database !== null) database += ms - (before.backends.get(pid) ?? 0);
  return {
    scheduler: diff(before.cpu.scheduler, after.cpu.scheduler),
    workers: diff(before.cpu.workers, after.cpu.workers),
    tasks: diff(before.cpu.tasks, after.cpu.tasks),
    database,
  };
}

