import { describe, expect, it } from 'vitest';
import { bundleOf, dagOf, task } from '../dag/spec-fixtures.js';
import { MemoryStore } from '../ports/memory-store.js';
import type { DagRunRecord } from '../ports/metadata-store.js';
import { taskChannelHandlers } from './channel-handlers.js';
import type { ChannelScope } from './channel-server.js';

/** A run of DAG `d` whose tasks `fire` (a TriggerDagRunOperator) and `plain` run try 1, and a DAG `target`. */
async function running(): Promise<{ store: MemoryStore; scope: (taskId: string) => ChannelScope }> {
  const dag = dagOf([task('fire', { kind: 'trigger_dagrun', operator: 'TriggerDagRunOperator' }), task('plain')]);
  const store = new MemoryStore();
  await store.syncBundle(bundleOf(dag, dagOf([task('t')], [], { dagId: 'target' })), 0);
  const { run } = await store.createDagRun({
    dagId: 'd', runId: 'r', versionHash: (await store.getDag('d'))?.versionHash ?? '', runType: 'manual', logicalDate: '2024-01-01T00:00:00+00:00',
    dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-01T00:00:00+00:00', conf: {}, queuedAt: 0, state: 'running',
  }, 0);
  for (const taskId of ['fire', 'plain']) {
    await store.applyChanges(run as DagRunRecord, dag, [
      { kind: 'create', taskId, mapIndex: -1, priorityWeight: 1 },
      { kind: 'transition', taskId, mapIndex: -1, from: 'none', to: 'scheduled', newTry: true },
      { kind: 'transition', taskId, mapIndex: -1, from: 'scheduled', to: 'queued' },
    ], 1);
    await store.startTry({ dagId: 'd', runId: 'r', taskId, mapIndex: -1 }, 1, { workerId: 'w', hostname: 'h', pid: 1 }, 2);
  }
  return { store, scope: (taskId) => ({ dagId: 'd', runId: 'r', taskId, mapIndex: -1, tryNumber: 1 }) };
}

const request = { dagId: 'target', runId: 'child', conf: { n: 1 }, logicalDate: '2024-02-01T00:00:00+00:00', resetDagRun: false };

async function trigger(store: MemoryStore, scope: ChannelScope, payload: unknown = request): Promise<unknown> {
  const handler = taskChannelHandlers({ store }).get('dagrun.trigger');
  if (!handler) throw new Error('dagrun.trigger is not served');
  return handler.handle(handler.payload.parse(payload), scope);
}

describe('dagrun.trigger', () => {
  it('creates the run while the try runs; a repeat of the same attempt reads it as its own, another attempt does not', async () => {
    const { store, scope } = await running();
    const handlers = taskChannelHandlers({ store });
    const handler = handlers.get('dagrun.trigger');
    if (!handler) throw new Error('dagrun.trigger is not served');
    const first = await handler.handle(handler.payload.parse(request), scope('fire'));
    expect(first).toMatchObject({ created: true, run: { dagId: 'target', runId: 'child', state: 'queued', conf: { n: 1 }, logicalDate: '2024-02-01T00:00:00+00:00' } });
    expect(await handler.handle(handler.payload.parse(request), scope('fire'))).toMatchObject({ created: true });
    expect(await trigger(store, scope('fire'))).toMatchObject({ created: false, run: { runId: 'child' } });
    expect((await store.listDagRuns({ dagId: 'target' })).length).toBe(1);
    expect(await trigger(store, scope('fire'), { ...request, dagId: 'nowhere' })).toEqual({ created: false, run: null });
  });

  it('refuses a task that is not a TriggerDagRunOperator, a try that no longer runs, and a run id outside the rule', async () => {
    const { store, scope } = await running();
    await expect(trigger(store, scope('plain'))).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('d.plain is a PythonOperator') });
    await expect(trigger(store, { ...scope('fire'), tryNumber: 2 })).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('no longer running try 2') });
    await expect(trigger(store, scope('fire'), { ...request, runId: 'a b' })).rejects.toMatchObject({ code: 'invalid' });
    expect(await store.listDagRuns({ dagId: 'target' })).toEqual([]);
  });
});

describe('external.dag_ti_count', () => {
  it('counts the instances of any of the DAG\'s tasks at the logical dates in the states (TaskStateTrigger.count_running_dags)', async () => {
    const { store, scope } = await running();
    const handler = taskChannelHandlers({ store }).get('external.dag_ti_count');
    if (!handler) throw new Error('external.dag_ti_count is not served');
    const ask = (payload: unknown) => handler.handle(handler.payload.parse(payload), scope('plain'));
    const at = { dagId: 'd', logicalDates: ['2024-01-01T00:00:00+00:00'] };
    expect(await ask({ ...at, states: ['running', 'success'] })).toEqual({ count: 2 });
    expect(await ask({ ...at, states: ['success'] })).toEqual({ count: 0 });
    expect(await ask({ ...at, logicalDates: ['2024-01-02T00:00:00+00:00'], states: ['running'] })).toEqual({ count: 0 });
    expect(await ask({ ...at, dagId: 'nowhere', states: ['running'] })).toEqual({ count: 0 });
    expect(() => handler.payload.parse({ ...at, states: 'running' })).toThrow();
  });
});
