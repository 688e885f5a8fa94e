/**
 * The content address of a DAG version: sha256 of the DagSpec's canonical JSON. Equal specs hash equal whatever
 * order the shim wrote their keys in, so re-parsing an unchanged file never creates a new version. Every store
 * (PostgreSQL and in-memory) names versions by it.
 */
import type { DagSpec } from '../dag/bundle.js';
import { contentHash } from '../lib/content-hash.js';

/** The version hash of a DAG spec (sha256 hex). */
export function dagVersionHash(spec: DagSpec): string {
  return contentHash(spec);
}
