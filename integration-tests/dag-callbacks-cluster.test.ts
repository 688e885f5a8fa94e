/**
 * A DAG callback is called exactly once in a cluster (PostgreSQL): two schedulers finishing the same run record one
 * callback request (the row is written by the compare-and-set that wins), two schedulers claiming it hand it to one,
 * and a restarted scheduler or a repeated claim gets nothing more. The claimed request is then called through the
 * real shim (`python -m dagbridge_shim dag-callback`), its output kept with the request.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/logger.js';
import type { Executor } from '../src/ports/executor.js';
import { triggerDagRun } from '../src/scheduler/run-creator.js';
import { SchedulerLoop } from '../src/scheduler/scheduler-loop.js';
import { resolvePython } from '../src/shim/python.js';
import { PgStore } from '../src/store/pg-store.js';
import { runDagCallback } from '../src/worker/dag-callback.js';
import { ROOT } from './support/cluster.js';
import { bundleOf, createMigratedDatabase, dagSpec, taskSpec, type TestDatabase } from './support/database.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'callback_dags');
const T0 = Date.UTC(2024, 5, 1, 12, 0, 0);

const idle: Executor = { name: 'none', enqueue: async () => undefined, openSlots: () => 0, stop: async () => undefined };

let db: TestDatabase;
const stores: PgStore[] = [];
const storeOn = (): PgStore => {
  const store = new PgStore(db.newPool({ max: 4 }));
  stores.push(store);
  return store;
};

beforeAll(async () => {
  db = await createMigratedDatabase('dag_callbacks');
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await db.drop();
});

describe('DAG callbacks in a cluster', () => {
  it('are recorded once, claimed once and called once through the shim', async () => {
    const [a, b] = [storeOn(), storeOn()];
    const spec = dagSpec('callbacks_success', {
      file: 'dag_callbacks.py',
      schedule: { type: 'none' },
      tasks: [taskSpec('first', { downstream: ['last'] }), taskSpec('last', { upstream: ['first'] })],
      hasOnSuccessCallback: true,
      hasOnFailureCallback: true,
    });
    await a.syncBundle(bundleOf([spec]), T0, { pausedOnCreation: false });
    const dag = await a.getDag('callbacks_success');
    if (!dag) throw new Error('DAG not stored');
    const { run } = await triggerDagRun(a, dag, T0);
    await new SchedulerLoop(a, idle, silentLogger).tick(T0 + 1);
    await db.pool.query("UPDATE task_instances SET state = 'success' WHERE dag_id = $1 AND run_id = $2", [run.dagId, run.runId]);

    // Two schedulers decide the finished run at once: one wins the compare-and-set, one request is recorded.
    const stats = await Promise.all([new SchedulerLoop(a, idle, silentLogger).tick(T0 + 2), new SchedulerLoop(b, idle, silentLogger).tick(T0 + 2)]);
    expect(stats.flatMap((s) => s.runsFinished)).toEqual([{ dagId: run.dagId, runId: run.runId, state: 'success' }]);
    expect(await a.getDagCallback(run)).toMatchObject({ kind: 'success', reason: 'success', state: 'pending' });

    // Both claim at once: one gets it. A restarted scheduler and a repeated claim get nothing.
    const claims = (await Promise.all([a.claimDagCallbacks(4, T0 + 3), b.claimDagCallbacks(4, T0 + 3)])).flat();
    expect(claims).toEqual([{ dagId: run.dagId, runId: run.runId, kind: 'success', reason: 'success' }]);
    expect(await storeOn().claimDagCallbacks(4, T0 + 4)).toEqual([]);
    expect(await a.claimDagCallbacks(4, T0 + 4)).toEqual([]);

    const python = await resolvePython();
    const outcome = await runDagCallback({
      store: a, identity: { workerId: 'scheduler-test', hostname: 'test', pid: process.pid }, python: python.executable,
      dagsFolder: FIXTURES, noAirflow: true, env: {}, killGraceMs: 2_000, logCapBytes: 1 << 20, log: silentLogger,
    }, claims[0]!);
    await a.finishDagCallback(claims[0]!, outcome, T0 + 5);
    const record = await b.getDagCallback(run);
    expect(record).toMatchObject({ state: 'done', error: null });
    const calls = (record?.output ?? '').split('\n').filter((line) => line.startsWith('CB ')).map((line) => JSON.parse(line.slice(3)) as unknown);
    expect(calls).toEqual([{ name: 'success', reason: 'success', dagRunState: 'success', taskId: 'last', tiState: 'success', runId: run.runId }]);
    // Finishing again (a redelivered outcome) changes nothing.
    await a.finishDagCallback(claims[0]!, { error: 'late', output: '' }, T0 + 6);
    expect(await a.getDagCallback(run)).toMatchObject({ state: 'done', error: null });
  }, 60_000);
});
