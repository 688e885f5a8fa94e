import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { looseIso8601, pyRepr, schemaError } from './param-schema.js';

interface Case { value: unknown; schema: unknown; error: string | null }
const table = JSON.parse(readFileSync(new URL('../../schemas/param-cases.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('schemaError against the cases recorded from jsonschema (schemas/param-cases.json)', () => {
  it.each(table.cases.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    expect(schemaError(c.value, c.schema)?.message ?? null).toBe(c.error);
  });
});

describe('pyRepr', () => {
  it("prints JSON values as Python's repr does", () => {
    expect(pyRepr({ a: [1, 2.5, null, true], "it's": 'say "x"' })).toBe(`{'a': [1, 2.5, None, True], "it's": 'say "x"'}`);
    expect(pyRepr(1e-7)).toBe('1e-07');
    expect(pyRepr(1.5e300)).toBe('1.5e+300');
    expect(pyRepr(0.0001)).toBe('0.0001');
    expect(pyRepr('a\u0000\u00a0\u2028b')).toBe("'a\\x00\\xa0\\u2028b'");
  });
});

describe('looseIso8601 (Airflow 2.10.5 Param._warn_if_not_rfc3339_dt)', () => {
  it('reads date-times pendulum parses and refuses the rest', () => {
    expect(looseIso8601('2024-06-03T12:17:00')).toBe(true);
    expect(looseIso8601('2024-06-03 12:17')).toBe(true);
    expect(looseIso8601('2024-02-30T00:00:00')).toBe(false);
    expect(looseIso8601('tomorrow')).toBe(false);
  });
});
