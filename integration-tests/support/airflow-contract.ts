/**
 * Checks a response against Airflow 2.10.5's OpenAPI document (../shared/airflow-contracts, Apache-2.0): the
 * schema of the operation's response for that status, with every $ref resolved, validated by ajv. OpenAPI
 * 3.0's `nullable` is understood by ajv; `discriminator` and unknown formats (Airflow writes `datetime`) are
 * not checked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

const CONTRACT = join('shared', 'airflow-contracts', 'airflow-2.10.5-rest-api-v1.yaml');

/** Where the contract lives: DAGBRIDGE_AIRFLOW_OPENAPI, or `shared/airflow-contracts` in a folder above the repository. */
function contractPath(): string {
  if (process.env.DAGBRIDGE_AIRFLOW_OPENAPI) return process.env.DAGBRIDGE_AIRFLOW_OPENAPI;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, CONTRACT))) return join(dir, CONTRACT);
    if (dirname(dir) === dir) throw new Error(`Airflow's OpenAPI document ${CONTRACT} not found above the repository; set DAGBRIDGE_AIRFLOW_OPENAPI`);
  }
}

type Json = Record<string, unknown>;
let loaded: { doc: Json; ajv: Ajv } | undefined;
const compiled = new Map<string, ValidateFunction>();

/** OpenAPI 3.0 allows `nullable` next to `anyOf`/`allOf` without `type`; ajv wants it as `anyOf [..., null]`. */
function nullableWithoutType(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableWithoutType);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) out[key] = nullableWithoutType(value);
  if (out.nullable === true && out.type === undefined) {
    const { nullable: _nullable, description, ...rest } = out;
    return { description, anyOf: [rest, { type: 'null' }] };
  }
  return out;
}

function load(): { doc: Json; ajv: Ajv } {
  if (loaded) return loaded;
  const doc = nullableWithoutType(parse(readFileSync(contractPath(), 'utf8'))) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'airflow', components: doc.components } as Json);
  loaded = { doc, ajv };
  return loaded;
}

function deref(doc: Json, node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  let target: unknown = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) target = (target as Json)[part];
  return deref(doc, target as Json);
}

/** The operation's response schema for `status`, as a validator. Throws when the document has no such response. */
export function airflowValidator(path: string, method: string, status: number): ValidateFunction {
  const id = `${method} ${path} ${status}`;
  const cached = compiled.get(id);
  if (cached) return cached;
  const { doc, ajv } = load();
  const operation = ((doc.paths as Json)[path] as Json | undefined)?.[method.toLowerCase()] as Json | undefined;
  if (!operation) throw new Error(`Airflow's API has no ${method} ${path}`);
  const response = (operation.responses as Json)[String(status)] as Json | undefined;
  if (!response) throw new Error(`Airflow's ${method} ${path} documents no ${status} response`);
  const content = (deref(doc, response).content as Json | undefined)?.['application/json'] as Json | undefined;
  const schema = content?.schema as Json | undefined;
  if (!schema) throw new Error(`Airflow's ${method} ${path} ${status} has no JSON schema`);
  const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"airflow#/components/')) as Json;
  const validate = ajv.compile(rewritten);
  compiled.set(id, validate);
  return validate;
}

/** Errors of `body` against the operation's documented response (empty when it conforms). */
export function airflowContractErrors(path: string, method: string, status: number, body: unknown): string[] {
  const validate = airflowValidator(path, method, status);
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
