import { describe, expect, it } from 'vitest';
import { QueueError, toQueueError } from './queue-error.js';

describe('toQueueError', () => {
  it('maps a Lua error code to its reason and strips the code', () => {
    const error = toQueueError(new Error('DAGBRIDGE_INVALID_ARGUMENT leaseMs must be a positive integer, got 0'), 'claim');
    expect(error).toBeInstanceOf(QueueError);
    expect(error).toMatchObject({ reason: 'invalid-argument', code: 'INTERNAL', userFacing: false });
    expect(error.message).toBe('queue claim: leaseMs must be a positive integer, got 0');
  });

  it('drops the script location Redis 7 appends to a raised error', () => {
    const raised = new Error('DAGBRIDGE_INVALID_ARGUMENT maxDeliveries must be an integer >= 1, got 0 script: 90ea846efcb9a4229d4a53ece1395e80e65fc642, on @user_script:25.');
    expect(toQueueError(raised, 'reap').message).toBe('queue reap: maxDeliveries must be an integer >= 1, got 0');
  });

  it('explains an out-of-memory refusal and a read-only replica', () => {
    const oom = toQueueError(new Error("OOM command not allowed when used memory > 'maxmemory'."), 'enqueue');
    expect(oom).toMatchObject({ reason: 'out-of-memory', userFacing: true });
    expect(oom.message).toMatch(/noeviction/);
    expect(toQueueError(new Error("READONLY You can't write against a read only replica."), 'ack')).toMatchObject({ reason: 'read-only' });
  });

  it('marks a closed connection unavailable and passes other errors through', () => {
    expect(toQueueError(new Error('Connection is closed.'), 'claim')).toMatchObject({ reason: 'unavailable' });
    const other = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(toQueueError(other, 'claim')).toBe(other);
    expect(toQueueError('plain string', 'claim').message).toBe('plain string');
  });
});
