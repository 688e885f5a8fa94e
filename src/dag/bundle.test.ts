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

  it.each([[2], [0], ['1'], [undefined]])('refuses schemaVersion %j with the version this build reads', (version) => {
    const value = { ...bundle(), schemaVersion: version };
    expect(() => parseBundle(value, 'bundle of /dags')).toThrow(
      `bundle of /dags: schemaVersion ${JSON.stringify(version)} is not supported (this dagbridge reads schemaVersion 1); use the python-shim shipped with this dagbridge version`,
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
