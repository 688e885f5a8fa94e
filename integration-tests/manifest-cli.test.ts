/**
 * `dagbridge worker check` and `dagbridge manifest generate` as CI runs them: exit codes and the three formats.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './support/cluster.js';
import { createPythonEnv, installFakeDistribution, simplePackage, type PythonEnv } from './support/python-envs.js';

const REPO = path.join(ROOT, 'integration-tests', 'fixtures', 'manifest_dags');
const MANIFEST = path.join(REPO, 'dagbridge.manifest.json');
let full: PythonEnv;
let lean: PythonEnv;

async function dagbridge(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa(process.execPath, [CLI, ...args], { reject: false, cwd: ROOT });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  full = await createPythonEnv('check-full');
  await installFakeDistribution(full, { name: 'boto3', version: '1.28.0', files: simplePackage('boto3', '1.28.0') });
  lean = await createPythonEnv('check-lean');
}, 60_000);

afterAll(async () => {
  await full?.remove();
  await lean?.remove();
});

describe('dagbridge worker check', () => {
  it('exits 0 for an environment that satisfies every queue', async () => {
    const result = await dagbridge(['worker', 'check', '--manifest', MANIFEST, '--python', full.python, '--dags-folder', REPO]);
    expect(result.exitCode).toBe(0);
  }, 60_000);

  it('exits 1 with the precise reason, in text, JSON and JUnit', async () => {
    const text = await dagbridge(['worker', 'check', '--manifest', MANIFEST, '--python', lean.python]);
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toContain('queue aws: boto3>=1.26 is missing');
    const json = await dagbridge(['worker', 'check', '--manifest', MANIFEST, '--python', lean.python, '--format', 'json']);
    expect(json.exitCode).toBe(1);
    expect((JSON.parse(json.stdout) as { manifest: { reasons: string[] } }).manifest.reasons).toEqual(['queue aws: boto3>=1.26 is missing']);
    const junit = await dagbridge(['worker', 'check', '--manifest', MANIFEST, '--python', lean.python, '--format', 'junit']);
    expect(junit.exitCode).toBe(1);
    expect(junit.stdout).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>/);
    expect(junit.stdout).toContain('<failure');
  }, 60_000);

  it('exits 2 for a bad manifest or a bad option, naming the field', async () => {
    const badFormat = await dagbridge(['worker', 'check', '--manifest', MANIFEST, '--format', 'yaml']);
    expect([badFormat.exitCode, badFormat.stderr.trim()]).toEqual([2, 'dagbridge: --format must be text, json or junit, not "yaml"']);
    const missing = await dagbridge(['worker', 'check', '--manifest', path.join(REPO, 'nope.json')]);
    expect(missing.exitCode).toBe(2);
  }, 60_000);
});

describe('dagbridge manifest generate', () => {
  it('pins what the generating interpreter has, grouped by the queues that use it', async () => {
    const result = await dagbridge(['manifest', 'generate', '--dags-folder', REPO, '--python', full.python, '--pin', 'exact']);
    expect(result.exitCode).toBe(0);
    const manifest = JSON.parse(result.stdout) as { version: number; queues?: Record<string, { requirements: string[] }>; requirements?: string[] };
    expect(manifest.version).toBe(1);
    expect(JSON.stringify(manifest)).toContain('boto3==1.28.0');
  }, 60_000);
});
