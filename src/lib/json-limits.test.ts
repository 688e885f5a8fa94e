import { describe, expect, it } from 'vitest';
import { CONF_LIMIT_SETTINGS, describeJsonLimitProblem, jsonDepth, jsonLimitProblem } from './json-limits.js';

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i += 1) value = { a: value };
  return value;
}

describe('json limits', () => {
  it.each([
    [1, 0], ['x', 0], [null, 0], [[], 1], [{}, 1], [[[1]], 2], [{ a: [1, { b: 2 }] }, 3],
  ])('depth of %j is %i', (value, depth) => {
    expect(jsonDepth(value)).toBe(depth);
  });

  it('measures a value nested 200 000 levels without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) as unknown;
    expect(jsonDepth(deep)).toBe(200_000);
    expect(jsonLimitProblem(deep, { maxBytes: 1024 })).toEqual({ kind: 'depth', depth: 65, maxDepth: 64 });
  });

  it('accepts 64 levels and refuses 65', () => {
    expect(jsonLimitProblem(nested(64), { maxBytes: 1024 })).toBeNull();
    expect(jsonLimitProblem(nested(65), { maxBytes: 1024 })?.kind).toBe('depth');
  });

  it('counts UTF-8 bytes of the serialized value', () => {
    expect(jsonLimitProblem({ k: 'é'.repeat(10) }, { maxBytes: 28 })).toBeNull();
    expect(jsonLimitProblem({ k: 'é'.repeat(10) }, { maxBytes: 27 })).toEqual({ kind: 'bytes', bytes: 28, maxBytes: 27 });
  });

  it('names the bound and the setting', () => {
    expect(describeJsonLimitProblem('--conf', { kind: 'bytes', bytes: 2000, maxBytes: 1000 }, CONF_LIMIT_SETTINGS)).toBe(
      '--conf is 2000 bytes as JSON, more than the 1000 allowed by maxConfBytes (DAGBRIDGE_MAX_CONF_BYTES): make it smaller or raise maxConfBytes (DAGBRIDGE_MAX_CONF_BYTES)',
    );
    expect(describeJsonLimitProblem('--conf', { kind: 'depth', depth: 65, maxDepth: 64 }, CONF_LIMIT_SETTINGS)).toBe(
      '--conf is nested more than 64 levels deep, the most maxJsonDepth (DAGBRIDGE_MAX_JSON_DEPTH) allows: flatten it or raise maxJsonDepth (DAGBRIDGE_MAX_JSON_DEPTH)',
    );
  });
});
