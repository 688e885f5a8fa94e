/** Canonical JSON and the DAG version hash, as the PostgreSQL store writes them (one definition, in the ports). */
export { canonicalJson } from '../lib/content-hash.js';
export { dagVersionHash } from '../ports/dag-version.js';
