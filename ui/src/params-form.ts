/**
 * The trigger form's fields from a DAG's Params (Airflow's `Param`: a default, a description and a JSON schema):
 * which input each param gets, how the input's text becomes a conf value, and the validation error, checked with
 * the control plane's own port of jsonschema (src/dag/param-schema.ts), so the form refuses what the trigger
 * endpoint would refuse, with the same message.
 */
import { looseIso8601, schemaError } from '../../src/dag/param-schema';

/** A param as `/api/v1/dags/{dag_id}/details` gives it. */
export interface ParamJson {
  value: unknown;
  description: string | null;
  schema: Record<string, unknown>;
}

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'enum' | 'array' | 'object' | 'json';

export interface Field {
  name: string;
  kind: FieldKind;
  description: string | null;
  /** The `enum` values (kind `enum`). */
  options: unknown[];
  /** True when null is allowed (`type: ["null", ...]`): an empty input is null. */
  nullable: boolean;
  schema: Record<string, unknown>;
}

function typesOf(schema: Record<string, unknown>): string[] {
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  return [];
}

export function fieldOf(name: string, param: ParamJson): Field {
  const schema = param.schema ?? {};
  const types = typesOf(schema);
  const nullable = types.includes('null');
  const main = types.filter((t) => t !== 'null');
  let kind: FieldKind = 'json';
  if (Array.isArray(schema.enum)) kind = 'enum';
  else if (main.length === 1) kind = (['string', 'integer', 'number', 'boolean', 'array', 'object'] as const).find((k) => k === main[0]) ?? 'json';
  else if (main.length === 0) kind = typeof param.value === 'string' || param.value === null || param.value === undefined ? 'string' : 'json';
  return { name, kind, description: param.description, options: Array.isArray(schema.enum) ? schema.enum : [], nullable, schema };
}

/** True when an array's items are strings (then one item per line), as Airflow's form shows them. */
function stringItems(field: Field): boolean {
  const items = field.schema.items as Record<string, unknown> | undefined;
  return items !== undefined && typesOf(items).includes('string');
}

/** The text an input shows for a value. */
export function textOf(field: Field, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (field.kind === 'array' && stringItems(field) && Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n');
  if (field.kind === 'array' || field.kind === 'object' || field.kind === 'json' || (field.kind === 'enum' && typeof value !== 'string')) return JSON.stringify(value, null, 2);
  return String(value);
}

/** The value an input's text stands for, or an error naming what is wrong with the text. */
export function valueOf(field: Field, text: string): { value: unknown } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '' && field.kind !== 'string') return { value: null };
  switch (field.kind) {
    case 'string':
      return { value: text === '' && field.nullable ? null : text };
    case 'integer':
    case 'number': {
      const n = Number(trimmed);
      if (!Number.isFinite(n)) return { error: `${JSON.stringify(trimmed)} is not a number` };
      return { value: n };
    }
    case 'boolean':
      return { value: trimmed === 'true' };
    case 'enum': {
      const found = field.options.find((option) => textOf(field, option) === text || String(option) === text);
      return found === undefined ? { error: `${JSON.stringify(text)} is not one of the choices` } : { value: found };
    }
    case 'array':
      if (stringItems(field) && !trimmed.startsWith('[')) return { value: text.split('\n').map((line) => line.trim()).filter((line) => line !== '') };
      return parseJson(trimmed);
    case 'object':
    case 'json':
      return parseJson(trimmed);
  }
}

function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * The validation error of a param's value against its schema, or null; as src/dag/run-params.ts resolves a param
 * (a `date-time` that is ISO 8601 but not RFC 3339 passes, as in Airflow).
 */
export function problemOf(field: Field, value: unknown): string | null {
  const problem = schemaError(value, field.schema);
  if (problem === null || (problem.format === 'date-time' && looseIso8601(value))) return null;
  return problem.message;
}
