import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_VERSION, parseBundle, type DagBundle } from './bundle.js';
import { dagOf, task } from './spec-fixtures.js';
import type { BundleError } from '../lib/errors.js';

const bundle = (): DagBundle => ({
  schemaVersion: BUNDLE_SCHEMA_VERSION,
  generator: { name: 'dagbridge_shim', version: '0.1.0', python: '3.11.7', pythonExecutable: '/usr/bin/python3', mode: 'standin', airflowVersion: null },
  dagsFolder: '/dags',
  files: [{ path: 'etl.py', hash: 'ab', imports: ['boto3'], dagIds: ['etl'], parseSeconds: 0.01 }],
  importErrors: [],
  dags: [dagOf([task('a'), task('b')], ['a>b'], { dagId: 'etl', file: 'etl.py', fileHash: 'ab' })],
});

describe('parseBundle', () => {
  it('accepts a valid bundle as is', () => {
    const value = bundle();
    expect(parseBundle(JSON.parse(JSON.stringify(value)))).toEqual(value);
  });

  it.each([[1], [2], [3], [5], [0], ['4'], [undefined]])('refuses schemaVersion %j with the version this build reads', (version) => {
    const value = { ...bundle(), schemaVersion: version };
    expect(() => parseBundle(value, 'bundle of /dags')).toThrow(
      `bundle of /dags: schemaVersion ${JSON.stringify(version)} is not supported (this dagbridge reads schemaVersion ${BUNDLE_SCHEMA_VERSION}); use the python-shim shipped with this dagbridge version`,
    );
    try {
      parseBundle(value);
    } catch (error) {
      expect((error as BundleError).code).toBe('BUNDLE_VERSION');
    }
  });

  it('names the path of the offending field', () => {
    const value = bundle() as unknown as { dags: Array<{ tasks: Array<Record<string, unknown>> }> };
    (value.dags[0]?.tasks[1] as Record<string, unknown>).retries = -1;
    expect(() => parseBundle(value)).toThrow(/^DAG bundle is malformed: dags\[0\]\.tasks\[1\]\.retries: Number must be greater than or equal to 0$/);
    const noDags = { ...bundle(), dags: undefined };
    expect(() => parseBundle(noDags)).toThrow(/DAG bundle is malformed: dags: Required/);
  });

  it('refuses a task kind it does not know', () => {
    const value = bundle() as unknown as { dags: Array<{ tasks: Array<Record<string, unknown>> }> };
    (value.dags[0]?.tasks[0] as Record<string, unknown>).kind = 'teleport';
    expect(() => parseBundle(value)).toThrow(/dags\[0\]\.tasks\[0\]\.kind: Invalid enum value/);
  });
});

describe('parseBundle: the id rule', () => {
  const withDags = (...dags: DagBundle['dags']): DagBundle => ({
    ...bundle(),
    files: [{ path: 'etl.py', hash: 'ab', imports: [], dagIds: dags.map((dag) => dag.dagId), parseSeconds: 0.01 }],
    dags,
  });
  const good = dagOf([task('a')], [], { dagId: 'good', file: 'etl.py', fileHash: 'ab' });

  // The DAGs of the security review (H6): ids changed after construction, past the shim's own check.
  it.each([
    ['a dag_id with a space', dagOf([task('a')], [], { dagId: 'has space', file: 'etl.py', fileHash: 'ab' }), /^DAG "has space": dag_id "has space" may contain only/],
    ['a dag_id with a newline and a pipe', dagOf([task('a')], [], { dagId: '../../mut|ated\nFAKE', file: 'etl.py', fileHash: 'ab' }), /^DAG "\.\.\/\.\.\/mut\|ated\\nFAKE": dag_id/],
    ['a task_id with a slash', dagOf([task('../t|x')], [], { dagId: 'mutated', file: 'etl.py', fileHash: 'ab' }), /^DAG "mutated": task_id "\.\.\/t\|x" may contain only/],
    ['a 251-character task_id', dagOf([task('t'.repeat(251))], [], { dagId: 'long', file: 'etl.py', fileHash: 'ab' }), /^DAG "long": task_id .* is longer than 250 characters/],
  ])('turns %s into an import error of its file and keeps the other DAGs', (_what, bad, message) => {
    const parsed = parseBundle(JSON.parse(JSON.stringify(withDags(good, bad))));
    expect(parsed.dags.map((dag) => dag.dagId)).toEqual(['good']);
    expect(parsed.files[0]?.dagIds).toEqual(['good']);
    expect(parsed.importErrors).toHaveLength(1);
    expect(parsed.importErrors[0]).toMatchObject({ file: 'etl.py', type: 'AirflowException' });
    expect(parsed.importErrors[0]?.message).toMatch(message);
    expect(parsed.importErrors[0]?.message).toMatch(/rename it \(Airflow's key rule, checked again by every worker\)$/);
  });

  it('refuses a TaskGroup id outside the rule', () => {
    const grouped = { ...good, taskGroups: [{ groupId: 'g roup', parentGroupId: null, prefixGroupId: true, tooltip: null, isMapped: false }] };
    expect(parseBundle(withDags(grouped)).importErrors[0]?.message).toMatch(/group_id "g roup" may contain only/);
  });
});
