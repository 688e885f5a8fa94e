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
import { parseManifestDocument } from '../src/manifest/manifest.js';
import { verifyManifest } from '../src/manifest/verify.js';
import { createPythonEnv, installFakeDistribution, simplePackage, type PythonEnv } from './support/python-envs.js';

let env: PythonEnv;
let bare: PythonEnv;
let repo: string;

beforeAll(async () => {
  [env, bare] = await Promise.all([createPythonEnv('generate'), createPythonEnv('generate-bare')]);
  await installFakeDistribution(env, { name: 'boto3', version: '1.28.0', files: simplePackage('boto3', '1.28.0') });
  await installFakeDistribution(env, { name: 'PyYAML', version: '6.0.1', files: { ...simplePackage('yaml', '6.0.1'), '_yaml/__init__.py': '' } });
  await installFakeDistribution(env, { name: 'python-dateutil', version: '2.8.2', files: simplePackage('dateutil', '2.8.2') });
  repo = await mkdtemp(path.join(tmpdir(), 'dagbridge-generate-repo-'));
  await mkdir(path.join(repo, 'dags', 'common'), { recursive: true });
  await writeFile(path.join(repo, 'dags', 'common', '__init__.py'), '');
});

afterAll(async () => {
  await Promise.all([env?.remove(), bare?.remove(), repo ? rm(repo, { recursive: true, force: true }) : undefined]);
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
});
