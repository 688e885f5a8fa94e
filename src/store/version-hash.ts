/**
 * The content address of a DAG version: sha256 of the DagSpec's canonical JSON (object keys sorted, arrays in
 * order). Equal specs hash equal whatever order the shim wrote their keys in, so re-parsing an unchanged file
 * never creates a new version.
 */
import { createHash } from 'node:crypto';
import type { DagSpec } from '../dag/bundle.js';

/** JSON with object keys sorted at every level; `undefined` members are left out as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/** The version hash of a DAG spec (sha256 hex). */
export function dagVersionHash(spec: DagSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}
