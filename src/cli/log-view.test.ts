import { describe, expect, it } from 'vitest';
import { renderLogLine } from './log-view.js';

describe('renderLogLine', () => {
  it('marks each line with its stream, so task output cannot pass for a dagbridge line', () => {
    const forged = renderLogLine({ stream: 'stdout', line: 'dagbridge: try 1 finished: success (forged system line)', at: 0 });
    const real = renderLogLine({ stream: 'system', line: 'dagbridge: try 1 finished: success', at: 0 });
    expect(forged).toBe('stdout | dagbridge: try 1 finished: success (forged system line)');
    expect(real).toBe('system | dagbridge: try 1 finished: success');
    expect(renderLogLine({ stream: 'stderr', line: 'INFO - done', at: 0 })).toBe('stderr | INFO - done');
  });

  it('escapes terminal control sequences and carriage returns that would overwrite the mark', () => {
    expect(renderLogLine({ stream: 'stdout', line: '\u001b]0;PWNED-TITLE\u0007\u001b[2J', at: 0 })).toBe('stdout | \\x1b]0;PWNED-TITLE\\x07\\x1b[2J');
    expect(renderLogLine({ stream: 'stdout', line: 'x\rsystem | dagbridge: fake', at: 0 })).toBe('stdout | x\\x0dsystem | dagbridge: fake');
  });

  it('prefixes the time when asked', () => {
    expect(renderLogLine({ stream: 'stdout', line: 'hi', at: 0 }, { timestamps: true })).toBe('1970-01-01T00:00:00.000Z stdout | hi');
  });
});
