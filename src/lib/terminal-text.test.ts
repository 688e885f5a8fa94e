import { describe, expect, it } from 'vitest';
import { escapeControls } from './terminal-text.js';

describe('escapeControls', () => {
  it.each([
    ['\u001b]0;PWNED-TITLE\u0007', '\\x1b]0;PWNED-TITLE\\x07'],
    ['\u001b[31mred\u001b[0m', '\\x1b[31mred\\x1b[0m'],
    ['\u001b[2J', '\\x1b[2J'],
    ['a\rb', 'a\\x0db'],
    ['nul\u0000', 'nul\\x00'],
    ['\u009b31m C1 CSI', '\\x9b31m C1 CSI'],
    ['del\u007f', 'del\\x7f'],
    ['abc\u202edcba', 'abc\\u202edcba'],
    ['line\nbreak', 'line\\x0abreak'],
  ])('escapes %j', (raw, shown) => {
    expect(escapeControls(raw)).toBe(shown);
  });

  it('keeps tabs, printable text, U+FFFD and non-Latin letters as they are', () => {
    const text = 'col1\tcol2 ünïcödé 日本 \ufffd 🚀 \\x1b literal';
    expect(escapeControls(text)).toBe(text);
  });
});
