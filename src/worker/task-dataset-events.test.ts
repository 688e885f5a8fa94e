import { describe, expect, it } from 'vitest';
import { consumerDag, datasetBundle, finishProducerTask } from '../ports/dataset-store.suite.js';
import { MemoryStore } from '../ports/memory-store.js';
import { createDatasetTriggeredRuns } from '../scheduler/dataset-trigger.js';
import { silentLogger } from '../lib/logger.js';
import { MAX_EVENTS_PER_LIST, taskDatasetEvents } from './task-dataset-events.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);
const read = consumerDag.tasks[0];

describe('taskDatasetEvents', () => {
  it('gives a dataset-triggered run its consumed events and a task its inlet events, oldest first, the newest MAX_EVENTS_PER_LIST', async () => {
    if (!read) throw new Error('consumer has a task');
    const store = new MemoryStore();
    await store.syncBundle(datasetBundle(), T0);
    for (let i = 1; i <= MAX_EVENTS_PER_LIST + 2; i += 1) await store.createDatasetEvent('s3://bucket/a', { i }, T0 + i);
    await finishProducerTask(store, 'attach', [{ uri: 's3://bucket/b', extra: { via: 'alias' }, aliases: ['my-alias'] }], T0 + 5_000);
    const [run] = await createDatasetTriggeredRuns(store, T0 + 6_000, silentLogger);
    if (!run) throw new Error('expected a dataset-triggered run');
    const events = await taskDatasetEvents(store, run, read);
    expect(events.triggeringDatasetEvents.length).toBe(MAX_EVENTS_PER_LIST);
    expect(events.triggeringDatasetEvents.at(-1)).toMatchObject({ uri: 's3://bucket/b', extra: { via: 'alias' }, sourceAliases: ['my-alias'], timestamp: '2024-01-01T12:00:05+00:00' });
    expect(events.inletEvents.map((e) => e.extra.i)).toEqual(Array.from({ length: MAX_EVENTS_PER_LIST }, (_, i) => i + 3));
    const manual = { ...run, runId: 'manual__x', runType: 'manual' as const };
    expect((await taskDatasetEvents(store, manual, { ...read, inlets: [] }))).toEqual({ inletEvents: [], triggeringDatasetEvents: [] });
  });
});
