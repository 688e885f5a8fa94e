/**
 * `manifest generate` with the module map of a real Python environment: distributions written into a venv,
 * their modules resolved through the facts probe, pinned, grouped by task queue; then the generated manifest
 * verified against the same environment (it must pass) and against a bare one (it must not).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagBundle, DagSpec } from '../src/dag/bundle.js';
import { collectFacts } from '../src/manifest/facts.js';
import { generateManifest, localModuleNames } from '../src/manifest/generate.js';
import { generateManifestFromFolder } from '../src/manifest/generate-from-folder.js';
import { parseManifestDocument } from '../src/manifest/manifest.js';
import { verifyManifest } from '../src/manifest/verify.js';
import { createPythonEnv, installFakeDistribution, simplePackage, type PythonEnv } from './support/python-envs.js';

let env: PythonEnv;
let bare: PythonEnv;
let withPendulum: PythonEnv;
let repo: string;

beforeAll(async () => {
  [env, bare, withPendulum] = await Promise.all([createPythonEnv('generate'), createPythonEnv('generate-bare'), createPythonEnv('generate-pendulum')]);
  // A pendulum distribution with just what the DAG below calls (the real one wins over the shim's stand-in).
  await installFakeDistribution(withPendulum, {
    name: 'pendulum',
    version: '3.0.0',
    files: {
      'pendulum/__init__.py':
        '__version__ = "3.0.0"\nimport datetime as _dt\n\ndef datetime(*args, tz=None):\n    return _dt.datetime(*args, tzinfo=_dt.timezone.utc)\n',
    },
  });
  await installFakeDistribution(env, { name: 'boto3', version: '1.28.0', files: simplePackage('boto3', '1.28.0') });
  await installFakeDistribution(env, { name: 'PyYAML', version: '6.0.1', files: { ...simplePackage('yaml', '6.0.1'), '_yaml/__init__.py': '' } });
  await installFakeDistribution(env, { name: 'python-dateutil', version: '2.8.2', files: simplePackage('dateutil', '2.8.2') });
  repo = await mkdtemp(path.join(tmpdir(), 'dagbridge-generate-repo-'));
  await mkdir(path.join(repo, 'dags', 'common'), { recursive: true });
  await writeFile(path.join(repo, 'dags', 'common', '__init__.py'), '');
});

afterAll(async () => {
  await Promise.all([env?.remove(), bare?.remove(), withPendulum?.remove(), repo ? rm(repo, { recursive: true, force: true }) : undefined]);
});

function dag(dagId: string, file: string, queue: string): DagSpec {
  return { dagId, file, tasks: [{ taskId: 'task', queue }] } as unknown as DagSpec;
}

describe('generateManifest with a real environment', () => {
  it('resolves modules through the probe, pins them and groups them by queue', async () => {
    const facts = await collectFacts({ python: env.python, modules: true });
    expect(facts.modules?.yaml).toEqual(['pyyaml']);
    const bundle = {
      dagsFolder: path.join(repo, 'dags'),
      files: [
        { path: 's3.py', hash: '1', imports: ['airflow', 'boto3', 'common', 'json'], dagIds: ['s3'], parseSeconds: 0 },
        { path: 'etl.py', hash: '2', imports: ['airflow', 'yaml', 'dateutil', 'requests'], dagIds: ['etl'], parseSeconds: 0 },
        { path: 'both.py', hash: '3', imports: ['dateutil'], dagIds: ['both'], parseSeconds: 0 },
      ],
      importErrors: [],
      dags: [dag('s3', 's3.py', 'aws'), dag('etl', 'etl.py', 'default'), dag('both', 'both.py', 'aws')],
    } as unknown as DagBundle;

    const result = generateManifest({ bundle, facts, pin: 'minimum', localModules: localModuleNames(path.join(repo, 'dags')) });
    expect(result.manifest).toEqual({
      version: 1,
      requirements: ['python-dateutil>=2.8.2'],
      queues: { aws: { requirements: ['boto3>=1.28.0'] }, default: { requirements: ['pyyaml>=6.0.1'] } },
    });
    expect(result.unresolved).toEqual([
      { module: 'requests', files: ['etl.py'], reason: `no installed distribution provides module "requests" in ${facts.python.executable}`, candidates: [] },
    ]);

    const manifest = parseManifestDocument(result.manifest, { source: 'generated', baseDir: repo });
    expect(verifyManifest(manifest, facts).satisfied).toBe(true);
    const bareReport = verifyManifest(manifest, await collectFacts({ python: bare.python }));
    expect(bareReport.reasons).toEqual([
      'all queues: python-dateutil>=2.8.2 is missing',
      'queue aws: boto3>=1.28.0 is missing',
      'queue default: pyyaml>=6.0.1 is missing',
    ]);
  });

  it('pins an installed pendulum, and leaves one the stand-in served out of the manifest', async () => {
    const dagsFolder = path.join(repo, 'pendulum-dags');
    await mkdir(dagsFolder, { recursive: true });
    await writeFile(
      path.join(dagsFolder, 'tutorial.py'),
      [
        'import pendulum',
        'from airflow import DAG',
        'from airflow.operators.empty import EmptyOperator',
        '',
        'with DAG("tutorial", start_date=pendulum.datetime(2021, 1, 1, tz="UTC"), schedule=None):',
        '    EmptyOperator(task_id="t")',
        '',
      ].join('\n'),
    );

    const served = await generateManifestFromFolder({ dagsFolder, python: bare.python, pin: 'minimum' });
    expect(served.manifest.requirements).toEqual([]);
    expect(served.unresolved).toEqual([]);
    expect(served.standins.map((entry) => [entry.module, entry.files])).toEqual([['pendulum', ['tutorial.py']]]);
    const bareFacts = await collectFacts({ python: bare.python });
    expect(verifyManifest(parseManifestDocument(served.manifest, { source: 'generated', baseDir: repo }), bareFacts).satisfied).toBe(true);

    const pinned = await generateManifestFromFolder({ dagsFolder, python: withPendulum.python, pin: 'minimum' });
    expect(pinned.manifest.requirements).toEqual(['pendulum>=3.0.0']);
    expect(pinned.standins).toEqual([]);
    // A worker with only the stand-in does not satisfy a real pendulum requirement.
    const report = verifyManifest(parseManifestDocument(pinned.manifest, { source: 'generated', baseDir: repo }), bareFacts);
    expect(report.reasons).toEqual(['all queues: pendulum>=3.0.0 is missing']);
  });
});
