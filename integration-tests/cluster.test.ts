/**
 * The cluster end to end: one scheduler and two workers (real processes) against PostgreSQL and Redis.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { taskMessageId } from '../src/ports/message-id.js';
import { TASK_MESSAGE_VERSION } from '../src/ports/task-message.js';
import { ROOT, TestCluster } from './support/cluster.js';

const EXAMPLES = path.join(ROOT, 'examples', 'dags');
const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'cluster_dags');

/** A private copy of a DAG folder (tasks write marker files beside it). */
function dagsCopy(from: string): { dags: string; root: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'dagbridge-cluster-'));
  const dags = path.join(root, 'dags');
  cpSync(from, dags, { recursive: true });
  return { dags, root };
}

let cluster: TestCluster | null = null;
const roots: string[] = [];

beforeAll(() => {
  // The processes run the compiled CLI (`npm test` builds it first).
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
});

afterEach(async () => {
  await cluster?.tearDown();
  cluster = null;
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

async function newCluster(label: string, folder: string, env: Record<string, string> = {}): Promise<{ cluster: TestCluster; root: string }> {
  const { dags, root } = dagsCopy(folder);
  roots.push(root);
  cluster = await new TestCluster({ label, dagsFolder: dags, env }).setUp();
  return { cluster, root };
}

describe('cluster', () => {
  it('runs every example DAG through one scheduler and two workers to its expected final states', async () => {
    const { cluster: c } = await newCluster('examples', EXAMPLES);
    c.scheduler();
    c.worker('w1', ['--queues', 'default,aws', '--concurrency', '3']);
    c.worker('w2', ['--queues', 'default,aws', '--concurrency', '3']);
    const list = await c.cli(['dags', 'list', '--json']);
    const dagIds = (JSON.parse(list.stdout) as Array<{ dagId: string }>).map((d) => d.dagId);
    expect(dagIds.length).toBeGreaterThanOrEqual(10);
    await c.waitForDags(dagIds);
    const runs = new Map<string, string>();
    for (const dagId of dagIds) runs.set(dagId, await c.trigger(dagId, ['--logical-date', '2024-06-03T00:00:00+00:00']));
    const states: Record<string, string> = {};
    const taskStates: Record<string, Record<string, string>> = {};
    const workers = new Set<string>();
    for (const [dagId, runId] of runs) {
      states[dagId] = (await c.waitForRun(dagId, runId, 120_000)).state;
      const tis = await c.store.listTaskInstances({ dagId, runId });
      taskStates[dagId] = Object.fromEntries(tis.map((ti) => [ti.mapIndex >= 0 ? `${ti.taskId}[${ti.mapIndex}]` : ti.taskId, ti.state]));
      for (const ti of tis) if (ti.workerId) workers.add(ti.workerId);
    }
    expect(states).toEqual(Object.fromEntries(dagIds.map((id) => [id, 'success'])));
    expect(taskStates.example_branching).toMatchObject({ weekend_path: 'skipped', large: 'skipped', never_runs: 'skipped' });
    expect(taskStates.example_trigger_rules).toMatchObject({ fail: 'failed', skip: 'skipped' });
    expect(taskStates.example_aws_queue).toMatchObject({ list_buckets: 'skipped' });
    expect([...workers].sort()).toEqual(['w1', 'w2']);
  }, 240_000);

  it('reruns a task elsewhere when its worker is SIGKILLed mid-task, and the run completes', async () => {
    const { cluster: c, root } = await newCluster('sigkill', FIXTURES);
    c.scheduler();
    const first = c.worker('victim', ['--concurrency', '1']);
    await c.waitForDags(['slow']);
    const runId = await c.trigger('slow');
    const running = await c.until('slow_task to run on the first worker', async () => {
      const ti = await c.store.getTaskInstance({ dagId: 'slow', runId, taskId: 'slow_task', mapIndex: -1 });
      return ti?.state === 'running' && ti.workerId === 'victim' ? ti : null;
    });
    expect(running.tryNumber).toBe(1);
    // Kill it once the task's own code is running (not while the shim is still loading the DAG file).
    await c.until('the task to record its start', async () => existsSync(path.join(root, 'starts.log')) && readFileSync(path.join(root, 'starts.log'), 'utf8').includes('start 1'));
    first.process.kill('SIGKILL');
    await first.process;
    c.worker('survivor', ['--concurrency', '1']);
    const run = await c.waitForRun('slow', runId, 90_000);
    expect(run.state).toBe('success');
    const ti = await c.store.getTaskInstance({ dagId: 'slow', runId, taskId: 'slow_task', mapIndex: -1 });
    expect([ti?.state, ti?.workerId, ti?.tryNumber]).toEqual(['success', 'survivor', 2]);
    // The killed attempt started once; the handed-back try started once and finished.
    expect(readFileSync(path.join(root, 'starts.log'), 'utf8').trim().split('\n')).toEqual(['start 1', 'start 2', 'done 2']);
  }, 120_000);

  it('rebuilds the queue from PostgreSQL when Redis loses every message mid-run', async () => {
    const { cluster: c } = await newCluster('flush', FIXTURES);
    c.scheduler();
    await c.waitForDags(['many']);
    // No worker yet: every admitted task sits queued with a message in Redis.
    const runId = await c.trigger('many');
    // The scheduler commits the queued state before it enqueues, so wait for the messages, not only the rows.
    await c.until('tasks to be queued', async () => (await c.store.listQueued()).length >= 16);
    const before = await c.until('their messages to be in Redis', async () => {
      const ready = (await c.queue.messageIds()).flatMap((q) => q.ready);
      return ready.length >= 16 ? ready : null;
    });
    expect(before.length).toBeGreaterThanOrEqual(16);
    // "Flush": delete every key of this cluster's prefix.
    const keys = await c.redis.keys(`${c.prefix}*`);
    await c.redis.del(...keys);
    expect((await c.queue.messageIds()).flatMap((q) => q.ready)).toEqual([]);
    c.worker('w1', ['--concurrency', '4']);
    const run = await c.waitForRun('many', runId, 90_000);
    expect(run.state).toBe('success');
    const tis = await c.store.listTaskInstances({ dagId: 'many', runId });
    expect(tis.every((ti) => ti.state === 'success' && ti.tryNumber === 1)).toBe(true);
    expect(c.processes[0]?.output()).toContain('queued task instances had no message; enqueued again');
  }, 120_000);

  it('never creates the same run or starts the same try twice with two schedulers', async () => {
    const { cluster: c } = await newCluster('two-schedulers', FIXTURES);
    c.scheduler('scheduler-a');
    c.scheduler('scheduler-b');
    c.worker('w1', ['--concurrency', '4']);
    c.worker('w2', ['--concurrency', '4']);
    await c.waitForDags(['many', 'fanout']);
    const runIds = [await c.trigger('many'), await c.trigger('fanout')];
    await c.waitForRun('many', runIds[0] as string, 90_000);
    await c.waitForRun('fanout', runIds[1] as string, 90_000);
    const attempts = await c.store.pool.query<{ dag_id: string; task_id: string; try_number: number; n: string }>(
      'SELECT dag_id, task_id, try_number, count(*) AS n FROM task_instance_tries GROUP BY 1, 2, 3 HAVING count(*) > 1',
    );
    expect(attempts.rows).toEqual([]);
    const tis = [...(await c.store.listTaskInstances({ dagId: 'many', runId: runIds[0] as string })), ...(await c.store.listTaskInstances({ dagId: 'fanout', runId: runIds[1] as string }))];
    expect(tis.filter((ti) => ti.state !== 'success' || ti.tryNumber !== 1)).toEqual([]);
    const runs = await c.store.listDagRuns({});
    expect(runs.length).toBe(2);
  }, 150_000);

  it('runs a duplicated message once and dead-letters a malformed one without stopping', async () => {
    const { cluster: c, root } = await newCluster('messages', FIXTURES, {});
    c.scheduler();
    await c.waitForDags(['slow']);
    const runId = await c.trigger('slow');
    // Wait until the scheduler enqueued try 1, then put a copy of the same message under another id.
    const original = await c.until('the message of try 1', async () => (await c.queue.peek('default', 10)).find((m) => m.id.includes('slow_task')) ?? null);
    const payload = JSON.parse(original.payload) as Record<string, unknown>;
    expect(payload.v).toBe(TASK_MESSAGE_VERSION);
    expect(original.id).toBe(taskMessageId({ dagId: 'slow', runId, taskId: 'slow_task', mapIndex: -1, tryNumber: 1 }));
    await c.queue.enqueueRaw({ id: `${original.id}|copy`, queue: 'default', priority: 1, payload: original.payload });
    await c.queue.enqueueRaw({ id: 'garbage-1', queue: 'default', priority: 100, payload: '{"v": 1, "dagId": 42}' });
    c.worker('w1', ['--concurrency', '3'], { SLOW_SECONDS: '1' });
    const run = await c.waitForRun('slow', runId);
    expect(run.state).toBe('success');
    await c.until('both extra messages to be handled', async () => (await c.queue.stats(['default']))[0]?.ready === 0 && (await c.queue.stats(['default']))[0]?.inFlight === 0);
    expect(readFileSync(path.join(root, 'starts.log'), 'utf8').trim().split('\n')).toEqual(['start 1', 'done 1']);
    const dead = await c.queue.listDeadLetters('default');
    expect(dead.map((d) => [d.id, d.reason])).toEqual([['garbage-1', 'task message field dagId: Expected string, received number']]);
    expect(c.processes[1]?.output()).toContain('dropping a duplicate or stale message');
  }, 120_000);

  it('caps the log of a task that prints 200 MB and keeps the worker memory bounded', async () => {
    const { cluster: c } = await newCluster('flood', FIXTURES, { DAGBRIDGE_LOG_CAP_BYTES: String(1024 * 1024) });
    c.scheduler();
    const worker = c.worker('w1', ['--concurrency', '1']);
    await c.waitForDags(['flood']);
    const runId = await c.trigger('flood');
    let peakRssKb = 0;
    const sample = setInterval(() => {
      const status = existsSync(`/proc/${worker.pid}/status`) ? readFileSync(`/proc/${worker.pid}/status`, 'utf8') : '';
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peakRssKb = Math.max(peakRssKb, rss);
    }, 100);
    const run = await c.waitForRun('flood', runId, 120_000);
    clearInterval(sample);
    expect(run.state).toBe('success');
    const lines = await c.store.readLogLines({ dagId: 'flood', runId, taskId: 'print_a_lot', mapIndex: -1 }, 1);
    const bytes = lines.reduce((sum, l) => sum + Buffer.byteLength(l.line), 0);
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
    expect(lines.some((l) => l.line.includes('log limit'))).toBe(true);
    // Memory, not time: the worker never held the 200 MB.
    expect(peakRssKb).toBeGreaterThan(0);
    expect(peakRssKb).toBeLessThan(300 * 1024);
  }, 150_000);
});

describe('worker shutdown', () => {
  it('SIGTERM lets the running task finish; a second SIGTERM hands it back to another worker', async () => {
    const { cluster: c, root } = await newCluster('shutdown', FIXTURES, { DAGBRIDGE_SHUTDOWN_GRACE_MS: '60000' });
    c.scheduler();
    const patient = c.worker('patient', ['--concurrency', '1'], { SLOW_SECONDS: '2' });
    await c.waitForDags(['slow']);
    const first = await c.trigger('slow', ['--run-id', 'graceful']);
    await c.until('the task to start on the first worker', async () => existsSync(path.join(root, 'starts.log')));
    patient.process.kill('SIGTERM');
    const exit = await patient.process;
    expect(exit.exitCode).toBe(0);
    // The graceful stop waited for the task: it finished on try 1 before the worker exited.
    expect((await c.store.getTaskInstance({ dagId: 'slow', runId: first, taskId: 'slow_task', mapIndex: -1 }))).toMatchObject({ state: 'success', tryNumber: 1, workerId: 'patient' });
    expect(patient.output()).toContain('SIGTERM: finishing running tasks');

    rmSync(path.join(root, 'starts.log'));
    const impatient = c.worker('impatient', ['--concurrency', '1'], { SLOW_SECONDS: '30' });
    const second = await c.trigger('slow', ['--run-id', 'cold']);
    await c.until('the task to start on the second worker', async () => existsSync(path.join(root, 'starts.log')));
    impatient.process.kill('SIGTERM');
    await c.until('the worker to start draining', async () => impatient.output().includes('SIGTERM: finishing running tasks'));
    impatient.process.kill('SIGTERM');
    expect((await impatient.process).exitCode).toBe(0);
    const handedBack = await c.store.getTaskInstance({ dagId: 'slow', runId: second, taskId: 'slow_task', mapIndex: -1 });
    // Handed back as `scheduled`; the scheduler may already have queued it again for the next worker.
    expect(['scheduled', 'queued']).toContain(handedBack?.state);
    expect([handedBack?.tryNumber, handedBack?.note]).toEqual([2, 'handed back: the worker stopped before the task finished']);
    c.worker('rescuer', ['--concurrency', '1'], { SLOW_SECONDS: '0' });
    expect((await c.waitForRun('slow', second)).state).toBe('success');
    const done = await c.store.getTaskInstance({ dagId: 'slow', runId: second, taskId: 'slow_task', mapIndex: -1 });
    expect([done?.state, done?.tryNumber, done?.workerId]).toEqual(['success', 2, 'rescuer']);
  }, 150_000);

  it('stops a running task whose instance is marked success meanwhile, as Airflow\'s heartbeat does, and keeps the mark', async () => {
    const { cluster: c, root } = await newCluster('externally', FIXTURES);
    c.scheduler();
    const worker = c.worker('marked', ['--concurrency', '1'], { SLOW_SECONDS: '60' });
    await c.waitForDags(['slow']);
    const runId = await c.trigger('slow', ['--run-id', 'marked_meanwhile']);
    await c.until('the task to start', async () => existsSync(path.join(root, 'starts.log')));
    const key = { dagId: 'slow', runId, taskId: 'slow_task', mapIndex: -1 };
    expect((await c.cli(['tasks', 'mark-success', 'slow', runId, 'slow_task'])).exitCode).toBe(0);
    await c.until('the worker to stop the task', async () => worker.output().includes('State of this instance has been externally set to success. Terminating instance.'));
    await c.until('the task process to end', async () => (await c.store.readLogLines(key, 1)).some((l) => l.line.includes('dagbridge: State of this instance has been externally set to success')));
    // It never finished its sleep, and its outcome did not overwrite the mark.
    expect(readFileSync(path.join(root, 'starts.log'), 'utf8')).toBe('start 1\n');
    expect(await c.store.getTaskInstance(key)).toMatchObject({ state: 'success', tryNumber: 1 });
    expect((await c.waitForRun('slow', runId)).state).toBe('success');
  }, 150_000);

  it('--strict exits 1 when the environment satisfies none of the queues, saying what is missing', async () => {
    const { cluster: c } = await newCluster('strict', FIXTURES);
    const manifest = path.join(ROOT, 'integration-tests', 'fixtures', 'manifest_dags', 'dagbridge.manifest.json');
    const result = await c.cli(['worker', '--queues', 'aws', '--manifest', manifest, '--python', '/usr/bin/python3', '--strict']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('dagbridge: this environment satisfies none of the queues aws:\n  queue aws: boto3>=1.26 is missing');
  }, 60_000);
});
