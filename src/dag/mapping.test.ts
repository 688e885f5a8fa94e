import { describe, expect, it } from 'vitest';
import { mappedInputSchema, type MappedInput } from './bundle.js';
import { mappedDependencies, mappedLength, mapsFromXcom, xcomMapInputLength } from './mapping.js';
import { task } from './spec-fixtures.js';

const xcom = (taskId: string): MappedInput => ({ type: 'xcom', taskId, key: 'return_value' });
const mapped = (inputs: Record<string, MappedInput>) =>
  task('m', { mapping: { kind: 'expand', inputs, partial: {}, groupId: null } });

// a pushed [1, 2, 3], b pushed ['x', 'y'], c has not finished.
const lengths = xcomMapInputLength([
  { taskId: 'a', mapIndex: -1, key: 'return_value', value: [1, 2, 3] },
  { taskId: 'b', mapIndex: -1, key: 'return_value', value: ['x', 'y'] },
]);

describe('mappedLength of XComArg.zip and .concat (Airflow 2.10.5 models/xcom_arg.py get_task_map_length)', () => {
  it.each<[string, MappedInput, ReturnType<typeof mappedLength>]>([
    ['zip: the shortest', { type: 'zip', args: [xcom('a'), xcom('b')], fillvalue: false }, { kind: 'known', length: 2 }],
    ['zip with a fillvalue: the longest', { type: 'zip', args: [xcom('a'), xcom('b')], fillvalue: true }, { kind: 'known', length: 3 }],
    ['concat: the sum', { type: 'concat', args: [xcom('a'), xcom('b')] }, { kind: 'known', length: 5 }],
    ['a zip inside a concat', { type: 'concat', args: [{ type: 'zip', args: [xcom('a'), xcom('b')], fillvalue: false }, xcom('a')] }, { kind: 'known', length: 5 }],
    ['unknown until every part is pushed', { type: 'zip', args: [xcom('a'), xcom('c')], fillvalue: true }, { kind: 'unknown', missing: ['c.return_value'] }],
  ])('%s', (_name, input, expected) => {
    expect(mappedLength(mapped({ value: input }), lengths)).toEqual(expected);
  });

  it('multiplies with the other expand inputs (cross product)', () => {
    expect(mappedLength(mapped({ value: { type: 'concat', args: [xcom('a'), xcom('b')] }, other: { type: 'literal', value: [1, 2] } }), lengths)).toEqual({ kind: 'known', length: 10 });
  });

  it('names every producer of the parts as a mapped dependency', () => {
    const t = mapped({ value: { type: 'zip', args: [xcom('b'), { type: 'concat', args: [xcom('a'), xcom('c')] }], fillvalue: false } });
    expect(mappedDependencies(t)).toEqual(['a', 'b', 'c']);
    expect(mapsFromXcom(t)).toBe(true);
    expect(mapsFromXcom(mapped({ value: { type: 'literal', value: [1] } }))).toBe(false);
  });

  it('the bundle schema reads zip and concat inputs and refuses an empty one', () => {
    const zip = { type: 'zip', args: [xcom('a'), { type: 'concat', args: [xcom('b')] }], fillvalue: false };
    expect(mappedInputSchema.parse(zip)).toEqual(zip);
    expect(mappedInputSchema.safeParse({ type: 'concat', args: [] }).success).toBe(false);
    expect(mappedInputSchema.safeParse({ type: 'zip', args: [xcom('a')] }).success).toBe(false);
  });
});
