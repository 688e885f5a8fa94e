import { describe, expect, it } from 'vitest';
import type { TaskInstanceRecord } from '../ports/metadata-store.js';
import { planMark } from './mark-task-instances.js';

const ti = (taskId: string, state: TaskInstanceRecord['state']): TaskInstanceRecord => ({ taskId, state } as TaskInstanceRecord);

describe('planMark', () => {
  it('changes what is not yet in the state, leaves what is, and refuses removed instances', () => {
    const plan = planMark([ti('a', 'none'), ti('b', 'failed'), ti('c', 'removed'), ti('d', 'running')], 'failed');
    expect(plan.change.map((t) => t.taskId)).toEqual(['a', 'd']);
    expect(plan.unchanged.map((t) => t.taskId)).toEqual(['b']);
    expect(plan.refused.map((t) => t.taskId)).toEqual(['c']);
  });
});
