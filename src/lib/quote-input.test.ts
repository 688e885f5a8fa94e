import { describe, expect, it } from 'vitest';
import { quoteInput } from './quote-input.js';

describe('quoteInput', () => {
  it('quotes short input whole, escaping controls', () => {
    expect(quoteInput('1.0')).toBe('"1.0"');
    expect(quoteInput('a\nb\u001b[2J\u0085\u2028')).toBe('"a\\nb\\u001b[2J\\u0085\\u2028"');
  });

  it('cuts at 40 characters (code points) and gives the length', () => {
    const line = 'root:x:0:0:root:/root:/bin/bash daemon:x:1:1:daemon:/usr/sbin';
    expect(quoteInput(line)).toBe(`"${line.slice(0, 40)}..." (${line.length} characters)`);
    expect(quoteInput('\u{1D400}'.repeat(41))).toBe(`"${'\u{1D400}'.repeat(40)}..." (41 characters)`);
  });
});
