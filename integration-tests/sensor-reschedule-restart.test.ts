/**
 * A reschedule-mode sensor through a worker that is SIGKILLed between two pokes: a new worker pokes it on, it
 * succeeds once its condition holds, on the same try, and its downstream runs once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCluster } from './support/cluster.js';
import { startFixtureCluster, type FixtureCluster } from './support/fixture-cluster.js';

let started: FixtureCluster | undefined;
let cluster: TestCluster;

beforeAll(async () => {
  started = await startFixtureCluster('resched', 'reschedule_dags', ['--concurrency', '1']);
  cluster = started.cluster;
}, 60_000);

afterAll(async () => {
  await started?.tearDown();
});

const ti = (runId: string, taskId: string) => cluster.store.getTaskInstance({ dagId: 'reschedule_sensor', runId, taskId, mapIndex: -1 });

describe('a reschedule-mode sensor', () => {
  it('goes on poking on another worker after its worker is SIGKILLed mid-reschedule, and succeeds on the same try', async () => {
    await cluster.waitForDags(['reschedule_sensor']);
    const runId = await cluster.trigger('reschedule_sensor');
    await cluster.until('the sensor to be up_for_reschedule', async () => (await ti(runId, 'wait'))?.state === 'up_for_reschedule');
    const first = cluster.processes.find((p) => p.name === 'w1');
    if (!first) throw new Error('worker w1 is not running');
    first.process.kill('SIGKILL');
    await first.process;
    // While no worker runs, the sensor's next pokes wait in the queue or behind the dead worker's lease.
    await cluster.store.setVariable('reschedule_gate', 'open');
    cluster.worker('w2', ['--concurrency', '1']);
    const run = await cluster.waitForRun('reschedule_sensor', runId, 120_000);
    expect(run.state).toBe('success');
    const wait = await ti(runId, 'wait');
    // Reschedules are not retries: the whole wait is one try, ended by the new worker.
    expect([wait?.state, wait?.tryNumber, wait?.workerId]).toEqual(['success', 1, 'w2']);
    const after = await ti(runId, 'after');
    expect([after?.state, after?.tryNumber]).toEqual(['success', 1]);
    const log = (await cluster.store.readLogLines({ dagId: 'reschedule_sensor', runId, taskId: 'wait', mapIndex: -1 }, 1)).map((l) => l.line).join('\n');
    expect(log).toContain('Success criteria met. Exiting.');
  }, 180_000);
});
