import { describe, expect, it } from 'vitest';
import type { TaskInstanceRecord } from '../ports/metadata-store.js';
import { taskInstanceJson } from './airflow-json.js';

const ti: TaskInstanceRecord = {
  dagId: 'd', runId: 'r', taskId: 'files', mapIndex: 1, state: 'success', tryNumber: 1, maxTries: 0, queue: 'default', pool: 'default_pool',
  poolSlots: 1, priorityWeight: 1, queuedAt: null, startDate: null, endDate: null, nextRetryAt: null, rescheduleAt: null, sensorFirstPokeAt: null,
  workerId: null, hostname: null, pid: null, note: null,
};

describe('taskInstanceJson', () => {
  // Airflow 2.10.5 TaskInstanceSchema: rendered_map_index is the task_instance column, set by _render_map_index.
  it('answers the name map_index_template rendered as rendered_map_index, and null without one, as Airflow', () => {
    expect(taskInstanceJson({ ...ti, renderedMapIndex: 'file b.csv' }, null, null).rendered_map_index).toBe('file b.csv');
    expect(taskInstanceJson(ti, null, null).rendered_map_index).toBeNull();
    expect(taskInstanceJson({ ...ti, renderedMapIndex: null }, null, null).rendered_map_index).toBeNull();
  });
});
