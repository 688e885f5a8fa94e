import { describe, expect, it } from 'vitest';
import { dagCallbackFor } from './dag-callbacks.js';

describe('dagCallbackFor', () => {
  it.each([
    [{ hasOnSuccessCallback: true } as const, 'success', { kind: 'success', reason: 'success' }],
    [{ hasOnFailureCallback: true } as const, 'success', null],
    [{ hasOnFailureCallback: true } as const, 'task_failure', { kind: 'failure', reason: 'task_failure' }],
    [{ hasOnFailureCallback: true } as const, 'all_tasks_deadlocked', { kind: 'failure', reason: 'all_tasks_deadlocked' }],
    [{ hasOnFailureCallback: true } as const, 'timed_out', { kind: 'failure', reason: 'timed_out' }],
    [{ hasOnSuccessCallback: true } as const, 'timed_out', null],
    [{}, 'success', null],
  ] as const)('%j ending %s calls %j', (spec, reason, expected) => {
    expect(dagCallbackFor(spec, reason)).toEqual(expected);
  });
});
