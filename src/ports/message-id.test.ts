import { describe, expect, it } from 'vitest';
import { parseTaskMessageId, taskMessageId } from './message-id.js';

describe('taskMessageId', () => {
  it('joins the task-instance key and the try', () => {
    expect(taskMessageId({ dagId: 'etl', runId: 'scheduled__2024-01-01T00:00:00+00:00', taskId: 'g.load', mapIndex: -1, tryNumber: 2 })).toBe(
      'etl|scheduled__2024-01-01T00:00:00+00:00|g.load|-1|2',
    );
  });

  it('escapes separators so distinct keys never share an id', () => {
    const a = taskMessageId({ dagId: 'd', runId: 'a|b', taskId: 't', mapIndex: 0, tryNumber: 1 });
    const b = taskMessageId({ dagId: 'd|a', runId: 'b', taskId: 't', mapIndex: 0, tryNumber: 1 });
    const c = taskMessageId({ dagId: 'd', runId: 'a%7Cb', taskId: 't', mapIndex: 0, tryNumber: 1 });
    expect(a).toBe('d|a%7Cb|t|0|1');
    expect(b).toBe('d%7Ca|b|t|0|1');
    expect(c).toBe('d|a%257Cb|t|0|1');
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('round-trips through parseTaskMessageId', () => {
    const keys = [
      { dagId: 'd', runId: 'a|b%7C|', taskId: 't%', mapIndex: 12, tryNumber: 3 },
      { dagId: 'x', runId: 'manual__2024', taskId: 'y', mapIndex: -1, tryNumber: 1 },
    ];
    for (const key of keys) expect(parseTaskMessageId(taskMessageId(key))).toEqual(key);
  });

  it('reads ids it did not build as null', () => {
    expect(parseTaskMessageId('dead-letter:0123456789abcdef')).toBeNull();
    expect(parseTaskMessageId('a|b|c|x|1')).toBeNull();
  });
});
