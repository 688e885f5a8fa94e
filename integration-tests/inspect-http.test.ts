import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer } from '../src/http/health-server.js';
import { WorkerMetrics } from '../src/http/service-metrics.js';
import { silentLogger } from '../src/lib/logger.js';
import type { ServiceState } from '../src/lib/service-state.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
let server: HealthServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

async function get(path: string, method = 'GET'): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${server?.port ?? 0}${path}`, { method });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

describe('the /health and /metrics endpoint', () => {
  it('answers 200 while every check passes, 503 with the reasons otherwise, and renders the metrics', async () => {
    let state: ServiceState = 'running';
    let now = T0 + 2000;
    const metrics = new WorkerMetrics({ leaseMs: 30_000, state: () => state, redisStatus: () => 'ready', clock: () => T0 });
    metrics.record({ kind: 'heartbeat', ok: true, at: T0 + 1000, state: 'running', slotsBusy: 1, concurrency: 4 });
    metrics.record({ kind: 'poll', at: T0 + 1500 });
    metrics.record({ kind: 'message', queue: 'default', outcome: 'finished', state: 'failed', durationMs: 2000, enqueueToStartMs: 100 });
    server = await startHealthServer({ port: 0, host: '127.0.0.1', service: 'worker w1', health: (at) => metrics.health(at), metrics: metrics.registry, log: silentLogger, clock: () => now });
    expect(server.port).toBeGreaterThan(0);

    const ok = await get('/health');
    expect(ok.status).toBe(200);
    expect(ok.type).toBe('application/json');
    expect(JSON.parse(ok.body)).toEqual({
      status: 'ok',
      service: 'worker w1',
      at: '2024-01-01T12:00:02.000Z',
      checks: [
        { name: 'service', ok: true, detail: 'service is running' },
        { name: 'heartbeat', ok: true, detail: 'last successful heartbeat 1.0s ago (lease 30.0s)' },
        { name: 'poll', ok: true, detail: 'last successful poll 0.5s ago (stale after 30.0s)' },
        { name: 'redis', ok: true, detail: 'connection ready' },
      ],
    });

    state = 'stopping';
    now = T0 + 40_000;
    const down = await get('/health?verbose=1');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({
      status: 'unavailable',
      checks: [
        { name: 'service', ok: false, detail: 'service is stopping' },
        { name: 'heartbeat', ok: false, detail: 'last successful heartbeat 39.0s ago (lease 30.0s)' },
        { name: 'poll', ok: false },
        { name: 'redis', ok: true },
      ],
    });

    const text = await get('/metrics');
    expect(text.status).toBe(200);
    expect(text.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text.body).toContain('# TYPE dagbridge_task_outcomes_total counter\ndagbridge_task_outcomes_total{queue="default",state="failed"} 1\n');
    expect(text.body).toContain('dagbridge_task_duration_seconds_count{queue="default"} 1\n');
    expect(text.body).toContain('dagbridge_worker_slots_busy 1\n');

    expect((await get('/nope')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(405);
  });

  it('names the port when it is taken, and close is idempotent', async () => {
    const metrics = new WorkerMetrics({ leaseMs: 30_000, state: () => 'running' });
    server = await startHealthServer({ port: 0, host: '127.0.0.1', service: 'worker', health: (at) => metrics.health(at), metrics: metrics.registry, log: silentLogger });
    const port = server.port;
    await expect(startHealthServer({ port, host: '127.0.0.1', service: 'worker', health: () => [], metrics: metrics.registry, log: silentLogger }))
      .rejects.toThrow(`could not serve /health and /metrics on 127.0.0.1 port ${port}: EADDRINUSE`);
    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
  });
});
