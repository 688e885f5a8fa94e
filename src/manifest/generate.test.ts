import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DagBundle, DagSpec } from '../dag/bundle.js';
import { SHIM_FALLBACK_MODULES, generateManifest, localModuleNames } from './generate.js';
import { parseManifestDocument } from './manifest.js';
import { factsFixture } from './testing.js';

function dag(dagId: string, file: string, queues: string[]): DagSpec {
  return { dagId, file, tasks: queues.map((queue, index) => ({ taskId: `t${index}`, queue })) } as unknown as DagSpec;
}

const bundle = {
  dagsFolder: '/repo/dags',
  files: [
    { path: 'aws_sync.py', hash: '1', imports: ['airflow', 'boto3', 'botocore', 'json', 'helpers'], dagIds: ['aws_sync'], parseSeconds: 0 },
    { path: 'aws_report.py', hash: '2', imports: ['boto3', 'pandas', 'yaml'], dagIds: ['aws_report'], parseSeconds: 0 },
    { path: 'etl.py', hash: '3', imports: ['pandas', 'requests', 'google', 'nope_pkg', 'os'], dagIds: ['etl'], parseSeconds: 0 },
    { path: 'lib/util.py', hash: '4', imports: ['dateutil'], dagIds: [], parseSeconds: 0 },
  ],
  importErrors: [{ file: 'broken.py', type: 'ModuleNotFoundError', message: "No module named 'snowflake'", traceback: '' }],
  dags: [dag('aws_sync', 'aws_sync.py', ['aws', 'aws']), dag('aws_report', 'aws_report.py', ['aws']), dag('etl', 'etl.py', ['default', 'default'])],
} as unknown as DagBundle;

const facts = factsFixture({
  distributions: {
    boto3: '1.28.0',
    botocore: '1.31.0',
    pandas: '2.0.3',
    pyyaml: '6.0.1',
    requests: '2.31.0',
    'python-dateutil': '2.8.2',
    'google-cloud-storage': '2.10.0',
    'google-api-core': '2.11.0',
    'apache-airflow': '2.7.3',
  },
  modules: {
    airflow: ['apache-airflow', 'apache-airflow-providers-amazon'],
    boto3: ['boto3'],
    botocore: ['botocore'],
    pandas: ['pandas'],
    yaml: ['PyYAML'],
    requests: ['requests'],
    dateutil: ['python-dateutil'],
    google: ['google-api-core', 'google-cloud-storage'],
  },
});

describe('generateManifest', () => {
  it('pins what the DAG files import and groups by the queues of their tasks', () => {
    const result = generateManifest({ bundle, facts, pin: 'exact', localModules: ['helpers', 'lib'] });
    expect(result.manifest).toEqual({
      version: 1,
      requirements: ['pandas==2.0.3', 'python-dateutil==2.8.2'],
      queues: {
        aws: { requirements: ['boto3==1.28.0', 'botocore==1.31.0', 'pyyaml==6.0.1'] },
        default: { requirements: ['requests==2.31.0'] },
      },
    });
    expect(result.requirements.find((entry) => entry.distribution === 'pandas')).toEqual({
      distribution: 'pandas',
      requirement: 'pandas==2.0.3',
      modules: ['pandas'],
      files: ['aws_report.py', 'etl.py'],
      queue: null,
    });
    expect(result.unresolved).toEqual([
      {
        module: 'google',
        files: ['etl.py'],
        reason: 'several installed distributions provide module "google"; add the one the DAG needs by hand',
        candidates: ['google-api-core', 'google-cloud-storage'],
      },
      { module: 'nope_pkg', files: ['etl.py'], reason: 'no installed distribution provides module "nope_pkg" in /opt/py/bin/python3', candidates: [] },
      { module: 'snowflake', files: ['broken.py'], reason: 'no installed distribution provides module "snowflake" in /opt/py/bin/python3', candidates: [] },
    ]);
    // The generated document is a valid manifest.
    expect(() => parseManifestDocument(result.manifest, { source: 'generated', baseDir: '/repo' })).not.toThrow();
  });

  it('pins minimum versions', () => {
    const result = generateManifest({ bundle, facts, pin: 'minimum', localModules: ['helpers', 'lib'] });
    expect(result.manifest.requirements).toEqual(['pandas>=2.0.3', 'python-dateutil>=2.8.2']);
  });

  it('puts everything at the top level when the bundle uses one queue', () => {
    const oneQueue = { ...bundle, dags: bundle.dags.map((spec) => ({ ...spec, tasks: spec.tasks.map((task) => ({ ...task, queue: 'default' })) })) };
    const result = generateManifest({ bundle: oneQueue, facts, pin: 'exact', localModules: ['helpers', 'lib'] });
    expect(result.manifest.queues).toBeUndefined();
    expect(result.manifest.requirements).toEqual([
      'boto3==1.28.0',
      'botocore==1.31.0',
      'pandas==2.0.3',
      'python-dateutil==2.8.2',
      'pyyaml==6.0.1',
      'requests==2.31.0',
    ]);
  });

  it('leaves out the DAG repo modules only when told which they are', () => {
    const result = generateManifest({ bundle, facts, pin: 'exact' });
    expect(result.unresolved.map((entry) => entry.module)).toEqual(['google', 'helpers', 'nope_pkg', 'snowflake']);
  });
});

describe('generateManifest and pendulum', () => {
  const pendulumBundle = {
    dagsFolder: '/repo/dags',
    files: [
      { path: 'tutorial.py', hash: '1', imports: ['airflow', 'pendulum'], dagIds: ['tutorial'], parseSeconds: 0 },
      { path: 'aws.py', hash: '2', imports: ['boto3', 'pendulum.tz'], dagIds: ['aws'], parseSeconds: 0 },
    ],
    importErrors: [{ file: 'old.py', type: 'ModuleNotFoundError', message: "No module named 'pendulum'", traceback: '' }],
    dags: [dag('tutorial', 'tutorial.py', ['default']), dag('aws', 'aws.py', ['aws'])],
  } as unknown as DagBundle;

  it('pins an installed pendulum like any distribution: the stand-in does not satisfy it on a worker', () => {
    const withPendulum = factsFixture({
      distributions: { pendulum: '3.0.0', boto3: '1.28.0' },
      modules: { pendulum: ['pendulum'], boto3: ['boto3'] },
    });
    const result = generateManifest({ bundle: pendulumBundle, facts: withPendulum, pin: 'minimum' });
    expect(result.manifest).toEqual({ version: 1, requirements: ['pendulum>=3.0.0'], queues: { aws: { requirements: ['boto3>=1.28.0'] } } });
    expect(result.standins).toEqual([]);
  });

  it('lists pendulum served by the stand-in without requiring it', () => {
    const withoutPendulum = factsFixture({ distributions: { boto3: '1.28.0' }, modules: { boto3: ['boto3'] } });
    const result = generateManifest({ bundle: pendulumBundle, facts: withoutPendulum, pin: 'minimum' });
    expect(result.manifest).toEqual({ version: 1, requirements: [], queues: { aws: { requirements: ['boto3>=1.28.0'] } } });
    expect(result.unresolved).toEqual([]);
    expect(result.standins).toEqual([
      {
        module: 'pendulum',
        distribution: 'pendulum',
        files: ['aws.py', 'old.py', 'tutorial.py'],
        reason:
          `not installed in ${withoutPendulum.python.executable}: the shim's stand-in pendulum served it; not required (workers ` +
          'running Apache Airflow have pendulum from Airflow, other workers use the stand-in); add "pendulum" to the manifest ' +
          'to require the real one',
      },
    ]);
  });

  it('knows the stand-ins the shim ships', () => {
    const shipped = readdirSync(new URL('../../python-shim/dagbridge_shim/fallbacks', import.meta.url), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== '__pycache__')
      .map((entry) => entry.name);
    expect(Object.keys(SHIM_FALLBACK_MODULES).sort()).toEqual(shipped.sort());
  });
});

describe('localModuleNames', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'dagbridge-generate-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists modules and packages of the DAGs, plugins and include folders', () => {
    mkdirSync(path.join(root, 'dags', 'common'), { recursive: true });
    mkdirSync(path.join(root, 'dags', '__pycache__'), { recursive: true });
    mkdirSync(path.join(root, 'plugins', 'operators'), { recursive: true });
    mkdirSync(path.join(root, 'include', 'sql'), { recursive: true });
    writeFileSync(path.join(root, 'dags', 'etl.py'), '');
    writeFileSync(path.join(root, 'dags', 'README.md'), '');
    writeFileSync(path.join(root, 'dags', 'my-script.py'), '');
    writeFileSync(path.join(root, 'plugins', 'hooks.py'), '');
    writeFileSync(path.join(root, 'include', 'helpers.py'), '');
    expect(localModuleNames(path.join(root, 'dags'), path.join(root, 'plugins'))).toEqual([
      '__pycache__',
      'common',
      'etl',
      'helpers',
      'hooks',
      'include',
      'operators',
      'sql',
    ]);
  });
});
