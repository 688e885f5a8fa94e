/**
 * Validates a DAG bundle read from stdin against the zod schema (src/dag/bundle.ts) and prints a summary.
 * `python3 -m dagbridge_shim export --dags-folder examples/dags | npx tsx bench/export/validate.ts`
 */
import { parseBundle } from '../../src/dag/bundle.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const bundle = parseBundle(JSON.parse(Buffer.concat(chunks).toString('utf8')), 'stdin');
process.stdout.write(
  `valid bundle: ${bundle.files.length} files, ${bundle.dags.length} DAGs, ` +
    `${bundle.dags.reduce((n, d) => n + d.tasks.length, 0)} tasks, ${bundle.importErrors.length} import errors\n`,
);
