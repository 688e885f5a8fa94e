import { describe, expect, it } from 'vitest';
import { StatusScreen } from './status.js';

function capture(): { out: { write(text: string): boolean }; text: () => string } {
  let text = '';
  return { out: { write: (chunk: string) => ((text += chunk), true) }, text: () => text };
}

describe('StatusScreen', () => {
  it('redraws in place on a terminal: cursor up over the last frame, each line cleared, the rest cleared', () => {
    const sink = capture();
    const screen = new StatusScreen(sink.out, true);
    screen.draw(['a', 'b', 'c']);
    screen.draw(['d']);
    screen.draw(['e', 'f']);
    expect(sink.text()).toBe('\x1b[2Ka\n\x1b[2Kb\n\x1b[2Kc\n\x1b[J' + '\x1b[3A\r\x1b[2Kd\n\x1b[J' + '\x1b[1A\r\x1b[2Ke\n\x1b[2Kf\n\x1b[J');
  });

  it('appends plain blocks elsewhere', () => {
    const sink = capture();
    const screen = new StatusScreen(sink.out, false);
    screen.draw(['a', 'b']);
    screen.draw(['c']);
    expect(sink.text()).toBe('a\nb\n\nc\n');
  });
});
