import { describe, expect, it } from 'vitest';
import { UsageError } from '../lib/errors.js';
import { parseConf } from './common-options.js';

const limits = { maxConfBytes: 1024 * 1024, maxJsonDepth: 64 };

describe('parseConf', () => {
  it('refuses a conf nested 20 000 levels with a usage error naming the setting (no stack overflow)', () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    expect(() => parseConf(deep, limits)).toThrow(UsageError);
    expect(() => parseConf(deep, limits)).toThrow('--conf is nested more than 64 levels deep, the most maxJsonDepth (DAGBRIDGE_MAX_JSON_DEPTH) allows');
  });

  it('refuses a conf over maxConfBytes naming the setting, and accepts one at the limit', () => {
    const text = JSON.stringify({ k: 'x'.repeat(100) });
    expect(parseConf(text, { ...limits, maxConfBytes: text.length })).toEqual({ k: 'x'.repeat(100) });
    expect(() => parseConf(text, { ...limits, maxConfBytes: text.length - 1 })).toThrow(`--conf is ${text.length} bytes as JSON, more than the ${text.length - 1} allowed by maxConfBytes (DAGBRIDGE_MAX_CONF_BYTES)`);
  });
});
