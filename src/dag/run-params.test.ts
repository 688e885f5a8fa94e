/**
 * Airflow 2.10.5 DAG.create_dagrun (airflow/models/dag.py): `copied_params.update(conf); copied_params.validate()`
 * with ParamsDict.__setitem__ validating a known param's new value; the messages are ParamsDict's
 * ("Invalid input for param NAME: ...") around jsonschema's.
 */
import { describe, expect, it } from 'vitest';
import type { ParamSpec } from './bundle.js';
import { runParamsProblem } from './run-params.js';

const param = (value: unknown, schema: Record<string, unknown> = {}): ParamSpec => ({ default: value, description: null, schema });
const required = (schema: Record<string, unknown> = {}): ParamSpec => ({ default: null, description: null, schema, hasDefault: false });

// A few params of Airflow 2.10.5's example_params_ui_tutorial.
const tutorial: Record<string, ParamSpec> = {
  flag: param(false),
  most_loved_number: param(42, { type: 'integer', title: 'Your favorite number' }),
  pick_one: param('value 42', { type: 'string', enum: Array.from({ length: 48 }, (_, i) => `value ${i + 16}`) }),
  time: param('12:13:14', { type: ['string', 'null'], format: 'time' }),
  required_field: required({ type: 'string', title: 'Required text field' }),
  checked_text: param('length-checked-field', { type: 'string', minLength: 10, maxLength: 20 }),
  checked_number: param(100, { type: 'number', minimum: 64, maximum: 128 }),
  array_of_objects: param([{ name: 'account_name', country: 'country_name' }], {
    type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  }),
  hidden_secret_field: param('constant value', { const: 'constant value' }),
};

describe('runParamsProblem', () => {
  it.each([
    ['no conf: the required param without a default refuses the run', null, 'Invalid input for param required_field: No value passed and Param has no default value'],
    ['the conf gives the required param', { required_field: 'x' }, null],
    ['a conf value the schema refuses, before any missing param', { checked_number: 200 }, 'Invalid input for param checked_number: 200 is greater than the maximum of 128'],
    ['the conf is checked key by key in its own order', { required_field: 'x', pick_one: 'value 1', checked_text: 'short' }, "Invalid input for param pick_one: 'value 1' is not one of " + "['" + Array.from({ length: 48 }, (_, i) => `value ${i + 16}`).join("', '") + "']"],
    ['nested items', { required_field: 'x', array_of_objects: [{ country: 'y' }] }, "Invalid input for param array_of_objects: 'name' is a required property"],
    ['const', { required_field: 'x', hidden_secret_field: 'other' }, "Invalid input for param hidden_secret_field: 'constant value' was expected"],
    ['a conf key that is no param is taken as is', { required_field: 'x', extra: { any: 'thing' } }, null],
    ['null for a param that allows it', { required_field: 'x', time: null }, null],
    ['null for a typed param', { required_field: null }, "Invalid input for param required_field: None is not of type 'string'"],
  ])('%s', (_name, conf, expected) => {
    expect(runParamsProblem(tutorial, conf)).toBe(expected);
  });

  it('a Param(None) has a default, a schemaless Param() has none', () => {
    expect(runParamsProblem({ a: param(null) }, {})).toBeNull();
    expect(runParamsProblem({ a: required() }, {})).toBe('Invalid input for param a: No value passed and Param has no default value');
    expect(runParamsProblem({ a: required() }, { a: null })).toBeNull();
  });

  it('a default the schema refuses refuses every run that does not replace it', () => {
    const params = { n: param('three', { type: 'integer' }) };
    expect(runParamsProblem(params, {})).toBe("Invalid input for param n: 'three' is not of type 'integer'");
    expect(runParamsProblem(params, { n: 3 })).toBeNull();
  });

  it('a date-time that is ISO 8601 but not RFC 3339 passes (Param._warn_if_not_rfc3339_dt)', () => {
    const params = { when: param('2024-06-03T12:17:00+00:00', { type: 'string', format: 'date-time' }) };
    expect(runParamsProblem(params, { when: '2024-06-03 12:17:00' })).toBeNull();
    expect(runParamsProblem(params, { when: 'soon' })).toBe("Invalid input for param when: 'soon' is not a 'date-time'");
  });
});
