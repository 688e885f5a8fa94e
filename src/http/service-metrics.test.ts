import { describe, expect, it, vi } from 'vitest';
import type { ServiceState } from '../lib/service-state.js';
import { silentLogger } from '../lib/logger.js';
import { MemoryTaskQueue } from '../queue/memory-queue.js';
import { MemoryStore } from '../ports/memory-store.js';
import { acceptingWorkerRegistry } from '../ports/testing.js';
import { WorkerService } from '../worker/worker-service.js';
import { SchedulerMetrics, WorkerMetrics } from './service-metrics.js';

const T0 = 1_700_000_000_000;

describe('WorkerMetrics', () => {
  it('counts outcomes, durations and latency per queue and keeps the slot gauges', () => {
    const metrics = new WorkerMetrics({ leaseMs: 30_000, state: () => 'running', clock: () => T0 });
    metrics.record({ kind: 'message', queue: 'default', outcome: 'finished', state: 'success', durationMs: 1500, enqueueToStartMs: 40 });
    metrics.record({ kind: 'message', queue: 'default', outcome: 'not_started', state: null, durationMs: null, enqueueToStartMs: null });
    metrics.record({ kind: 'message', queue: 'aws', outcome: 'dead_lettered', state: null, durationMs: null, enqueueToStartMs: null });
    metrics.record({ kind: 'heartbeat', ok: true, at: T0 + 5000, state: 'running', slotsBusy: 3, concurrency: 4 });
    const text = metrics.registry.render();
    expect(text).toContain('dagbridge_worker_messages_total{queue="aws",outcome="dead_lettered"} 1\n');
    expect(text).toContain('dagbridge_worker_messages_total{queue="default",outcome="finished"} 1\n');
    expect(text).toContain('dagbridge_worker_messages_total{queue="default",outcome="not_started"} 1\n');
    expect(text).toContain('dagbridge_task_outcomes_total{queue="default",state="success"} 1\n');
    expect(text).toContain('dagbridge_task_duration_seconds_sum{queue="default"} 1.5\n');
    expect(text).toContain('dagbridge_task_enqueue_to_start_seconds_bucket{queue="default",le="0.05"} 1\n');
    expect(text).toContain('dagbridge_worker_slots_busy 3\n');
    expect(text).toContain('dagbridge_worker_slots_total 4\n');
    expect(text).toContain('dagbridge_worker_heartbeats_total{result="ok"} 1\n');
    expect(text).toContain('dagbridge_worker_last_heartbeat_timestamp_seconds 1700000005\n');
  });

  it('is live while heartbeats succeed within the lease and a worker with free slots keeps polling', () => {
    let state: ServiceState = 'running';
    let redis = 'ready';
    const metrics = new WorkerMetrics({ leaseMs: 30_000, pollStaleMs: 10_000, state: () => state, redisStatus: () => redis, clock: () => T0 });
    metrics.record({ kind: 'heartbeat', ok: true, at: T0 + 1000, state: 'running', slotsBusy: 0, concurrency: 2 });
    metrics.record({ kind: 'poll', at: T0 + 2000 });
    expect(metrics.health(T0 + 3000)).toEqual([
      { name: 'service', ok: true, detail: 'service is running' },
      { name: 'heartbeat', ok: true, detail: 'last successful heartbeat 2.0s ago (lease 30.0s)' },
      { name: 'poll', ok: true, detail: 'last successful poll 1.0s ago (stale after 10.0s)' },
      { name: 'redis', ok: true, detail: 'connection ready' },
    ]);
    // Stopped consuming with a free slot: the poll check fails; the heartbeat is still fine.
    expect(metrics.health(T0 + 20_000).map((c) => [c.name, c.ok])).toEqual([['service', true], ['heartbeat', true], ['poll', false], ['redis', true]]);
    // Every slot busy: not polling is expected.
    metrics.record({ kind: 'heartbeat', ok: true, at: T0 + 20_000, state: 'running', slotsBusy: 2, concurrency: 2 });
    expect(metrics.health(T0 + 21_000)[2]).toEqual({ name: 'poll', ok: true, detail: 'not polling: every slot is busy' });
    metrics.record({ kind: 'heartbeat', ok: true, at: T0 + 22_000, state: 'draining', slotsBusy: 0, concurrency: 2 });
    expect(metrics.health(T0 + 23_000)[2]).toEqual({ name: 'poll', ok: true, detail: 'not polling: worker is draining' });
    // Heartbeats failing past the lease, Redis reconnecting, service stopping.
    metrics.record({ kind: 'heartbeat', ok: false, at: T0 + 40_000, state: 'draining', slotsBusy: 0, concurrency: 2 });
    state = 'stopping';
    redis = 'reconnecting';
    expect(metrics.health(T0 + 53_000)).toEqual([
      { name: 'service', ok: false, detail: 'service is stopping' },
      { name: 'heartbeat', ok: false, detail: 'last successful heartbeat 31.0s ago (lease 30.0s); the last one failed' },
      { name: 'poll', ok: true, detail: 'not polling: worker is draining' },
      { name: 'redis', ok: false, detail: 'connection reconnecting' },
    ]);
  });
});

describe('SchedulerMetrics', () => {
  it('counts iterations and repairs, caches queue depths read after housekeeping, and reports loop liveness', async () => {
    const queue = new MemoryTaskQueue({ now: () => T0 });
    await queue.enqueueRaw({ id: 'a', queue: 'default', priority: 1, payload: '{}' });
    await queue.enqueueRaw({ id: 'b', queue: 'aws', priority: 1, payload: '{}' });
    await queue.claim('w1', ['aws'], 30_000);
    const metrics = new SchedulerMetrics({ queue, state: () => 'running', staleAfterMs: 60_000, clock: () => T0 });
    expect(metrics.health(T0 + 1000)[1]).toEqual({ name: 'loop', ok: true, detail: 'no successful iteration yet (started 1.0s ago) (stale after 60.0s)' });
    metrics.record({ kind: 'iteration', ok: true, at: T0 + 2000, durationMs: 250, stats: { runsDecided: 2, runsUnchanged: 0, changesApplied: 5, queued: 3, runsFinished: [{ dagId: 'd', runId: 'r', state: 'success' }] } });
    metrics.record({ kind: 'iteration', ok: false, at: T0 + 4000, durationMs: 10, error: 'connection refused' });
    metrics.record({ kind: 'housekeeping', at: T0 + 4000, report: { leasesRequeued: 1, deadLettered: 0, handedBack: 2, failedLost: 0, reenqueued: 0, unserved: [] } });
    await metrics.settled();
    const text = metrics.registry.render();
    for (const line of [
      'dagbridge_scheduler_iterations_total{result="failed"} 1',
      'dagbridge_scheduler_iterations_total{result="ok"} 1',
      'dagbridge_scheduler_task_instances_queued_total 3',
      'dagbridge_scheduler_changes_applied_total 5',
      'dagbridge_dag_runs_finished_total{state="success"} 1',
      'dagbridge_housekeeping_repairs_total{repair="handed_back"} 2',
      'dagbridge_housekeeping_repairs_total{repair="leases_requeued"} 1',
      'dagbridge_queue_messages{queue="aws",kind="in_flight"} 1',
      'dagbridge_queue_messages{queue="aws",kind="ready"} 0',
      'dagbridge_queue_messages{queue="default",kind="ready"} 1',
      'dagbridge_queue_stats_timestamp_seconds 1700000004',
    ]) expect(text).toContain(`${line}\n`);
    expect(metrics.health(T0 + 5000)[1]).toEqual({ name: 'loop', ok: true, detail: 'last successful iteration 3.0s ago (stale after 60.0s); last error: connection refused' });
    expect(metrics.health(T0 + 62_001)[1]?.ok).toBe(false);
  });
});

describe('WorkerService with its metrics hook', () => {
  it('reports polls, heartbeats and a dead-lettered message', async () => {
    const store = Object.assign(new MemoryStore(), acceptingWorkerRegistry);
    const queue = new MemoryTaskQueue();
    await queue.enqueueRaw({ id: 'bad', queue: 'default', priority: 1, payload: 'not json' });
    let service: WorkerService | null = null;
    const metrics = new WorkerMetrics({ leaseMs: 60_000, state: () => service?.state ?? 'idle' });
    service = new WorkerService({
      workerId: 'w1', store, queue, verdict: { served: ['default'], refused: [], manifestHash: null, report: null, manifestEnv: [], verifiedAt: 0 }, concurrency: 2, leaseMs: 60_000, heartbeatMs: 10, shutdownGraceMs: 0, idlePollMs: 10,
      attempt: { python: 'python3', dagsFolder: '/nonexistent', noAirflow: true, env: { passEnv: [], passAirflowVariables: false, passAirflowConnections: false, extraPythonPaths: [] }, killGraceMs: 0, logCapBytes: 1024, workBaseDir: undefined },
      log: silentLogger,
      metrics,
    });
    await service.start();
    try {
      await vi.waitFor(() => {
        const text = metrics.registry.render();
        expect(text).toContain('dagbridge_worker_messages_total{queue="default",outcome="dead_lettered"} 1\n');
        expect(text).toContain('dagbridge_worker_heartbeats_total{result="ok"}');
        expect(text).toContain('dagbridge_worker_last_poll_timestamp_seconds');
      }, { timeout: 10_000, interval: 20 });
      expect(metrics.health(Date.now()).map((c) => [c.name, c.ok])).toEqual([['service', true], ['heartbeat', true], ['poll', true]]);
    } finally {
      await service.stop();
    }
    expect((await queue.listDeadLetters('default')).map((d) => d.reason)).toEqual(['task message is not JSON: not json']);
  });
});
