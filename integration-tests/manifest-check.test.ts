/**
 * `worker check` against two real Python environments built offline: one with (fake) boto3 and botocore
 * installed, one without. Exit codes, text, JSON and JUnit output, and the DAG import check that catches a
 * DAG file importing boto3 in the environment that lacks it, with no manifest at all.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerCheckReport } from '../src/manifest/check-report.js';
import { runWorkerCheck } from '../src/manifest/check.js';
import { createPythonEnv, installFakeDistribution, simplePackage, type PythonEnv } from './support/python-envs.js';

let withAws: PythonEnv;
let plain: PythonEnv;
let repo: string;
const timings: string[] = [];

beforeAll(async () => {
  [withAws, plain] = await Promise.all([createPythonEnv('with-aws'), createPythonEnv('plain')]);
  await installFakeDistribution(withAws, { name: 'boto3', version: '1.28.0', files: simplePackage('boto3', '1.28.0') });
  await installFakeDistribution(withAws, { name: 'botocore', version: '1.31.0', files: simplePackage('botocore', '1.31.0') });

  repo = await mkdtemp(path.join(tmpdir(), 'dagbridge-manifest-repo-'));
  await writeFile(
    path.join(repo, 'dagbridge.manifest.json'),
    JSON.stringify(
      {
        version: 1,
        python: '>=3.9',
        requirementsFile: 'requirements.txt',
        executables: ['sh'],
        queues: { aws: { requirements: ['boto3>=1.26'], env: ['DAGBRIDGE_TEST_AWS_REGION'] } },
      },
      null,
      2,
    ),
  );
  await writeFile(path.join(repo, 'requirements.txt'), '# shared by every queue\nbotocore>=1.30 --hash=sha256:0000\n');
  await writeFile(path.join(repo, 'too-new.txt'), 'boto3>=1.29\n');
  await writeFile(path.join(repo, 'bad.json'), '{\n  "version": 1,\n  "queues": {"aws": {"requirements": ["boto3>=1.26,"]}}\n}\n');

  const dags = path.join(repo, 'dags');
  await mkdir(dags);
  await writeFile(
    path.join(dags, 's3_sync.py'),
    [
      'import boto3',
      'from airflow import DAG',
      'from airflow.operators.bash import BashOperator',
      '',
      'with DAG("s3_sync", schedule=None) as dag:',
      '    BashOperator(task_id="upload", bash_command="echo upload", queue="aws")',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(dags, 'hello.py'),
    [
      'from airflow import DAG',
      'from airflow.operators.bash import BashOperator',
      '',
      'with DAG("hello", schedule=None) as dag:',
      '    BashOperator(task_id="say", bash_command="echo hello")',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await Promise.all([withAws?.remove(), plain?.remove(), repo ? rm(repo, { recursive: true, force: true }) : undefined]);
  if (timings.length > 0) process.stdout.write(`worker check timings:\n${timings.map((line) => `  ${line}`).join('\n')}\n`);
});

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings.push(`${label}: ${((performance.now() - started) / 1000).toFixed(3)} s`);
  }
}

const awsEnv = { ...process.env, DAGBRIDGE_TEST_AWS_REGION: 'eu-west-1' };
const noAwsEnv = { ...process.env };
delete noAwsEnv.DAGBRIDGE_TEST_AWS_REGION;

describe('worker check with a manifest', () => {
  it('exits 0 for the environment that holds everything', async () => {
    const result = await timed('manifest, satisfied, text', () =>
      runWorkerCheck({ manifestPath: path.join(repo, 'dagbridge.manifest.json'), python: withAws.python, format: 'text', processEnv: awsEnv }),
    );
    expect(result.output).toContain('worker check: satisfied\n');
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain(`python:   ${withAws.python} (`);
    expect(result.output).toMatch(/\n {2}ok +boto3>=1\.26 +1\.28\.0 +.*dagbridge\.manifest\.json: queues\.aws\.requirements\[0\]\n/);
    expect(result.output).toMatch(/\n {2}ok +botocore>=1\.30 +1\.31\.0 +requirements\.txt:2\n/);
    expect(result.output).toContain('notes:\n  requirements.txt:2: --hash ignored: dagbridge checks names and versions, not archives\n');
    expect(result.output).not.toContain('eu-west-1');
  });

  it('exits 1 with a precise report for the environment without boto3', async () => {
    const result = await timed('manifest, unsatisfied, text', () =>
      runWorkerCheck({ manifestPath: path.join(repo, 'dagbridge.manifest.json'), python: plain.python, format: 'text', processEnv: noAwsEnv }),
    );
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain('worker check: UNSATISFIED\n');
    expect(result.output).toContain(
      [
        'problems:',
        '  all queues: botocore>=1.30 is missing',
        '  queue aws: boto3>=1.26 is missing',
        '  queue aws: environment variable DAGBRIDGE_TEST_AWS_REGION is not set',
        '',
      ].join('\n'),
    );
  });

  it('reports a wrong version', async () => {
    const result = await runWorkerCheck({ manifestPath: path.join(repo, 'too-new.txt'), python: withAws.python, format: 'json' });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.output) as WorkerCheckReport;
    expect(report.reasons).toEqual(['all queues: boto3 1.28.0 does not satisfy >=1.29']);
    expect(report.manifest?.common.requirements[0]).toMatchObject({ status: 'wrong_version', found: '1.28.0', wanted: '>=1.29', source: 'too-new.txt:1' });
  });

  it('checks only the queues a worker serves', async () => {
    const result = await runWorkerCheck({
      manifestPath: path.join(repo, 'dagbridge.manifest.json'),
      python: withAws.python,
      queues: ['default'],
      format: 'json',
      processEnv: noAwsEnv,
    });
    const report = JSON.parse(result.output) as WorkerCheckReport;
    expect(result.exitCode).toBe(0);
    expect(report.manifest?.queues.map((queue) => [queue.name, queue.satisfied])).toEqual([['default', true]]);
  });

  it('prints JSON for scripts', async () => {
    const result = await runWorkerCheck({ manifestPath: path.join(repo, 'dagbridge.manifest.json'), python: plain.python, format: 'json', processEnv: awsEnv });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.output) as WorkerCheckReport;
    expect(report.satisfied).toBe(false);
    expect(report.python.executable).toBe(plain.python);
    expect(report.manifest?.queues.map((queue) => ({ name: queue.name, satisfied: queue.satisfied, reasons: queue.reasons }))).toEqual([
      { name: 'aws', satisfied: false, reasons: ['queue aws: botocore>=1.30 is missing', 'queue aws: boto3>=1.26 is missing'] },
    ]);
    expect(report.manifest?.common.executables).toEqual([expect.objectContaining({ name: 'sh', status: 'ok' })]);
  });

  it('prints JUnit XML for CI', async () => {
    const result = await runWorkerCheck({ manifestPath: path.join(repo, 'dagbridge.manifest.json'), python: plain.python, format: 'junit', processEnv: awsEnv });
    expect(result.exitCode).toBe(1);
    expect(result.output.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="dagbridge worker check" tests="6" failures="3" errors="0" skipped="0"')).toBe(true);
    expect(result.output).toContain('<testsuite name="manifest: all queues" tests="3" failures="1" errors="0" skipped="0" time="0.000">');
    expect(result.output).toContain('<testsuite name="manifest: queue aws" tests="3" failures="2" errors="0" skipped="0" time="0.000">');
    expect(result.output).toContain(
      '    <testcase classname="dagbridge.manifest_queue_aws" name="boto3&gt;=1.26">\n      <failure type="missing" message="boto3&gt;=1.26 is missing">',
    );
  });

  it('exits 2 for a bad manifest, naming the field', async () => {
    const result = await runWorkerCheck({ manifestPath: path.join(repo, 'bad.json'), python: plain.python, format: 'text' });
    expect(result.exitCode).toBe(2);
    expect(result.output).toBe(
      `worker check: cannot run: ${path.join(repo, 'bad.json')}: queues.aws.requirements[0]: "boto3>=1.26,": ">=1.26," is not a valid PEP 440 version specifier\n`,
    );
  });

  it('exits 2 for an interpreter that does not exist', async () => {
    const result = await runWorkerCheck({ manifestPath: path.join(repo, 'requirements.txt'), python: path.join(repo, 'no-python'), format: 'json' });
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.output)).toMatchObject({ satisfied: false, error: { code: 'INTERPRETER_NOT_FOUND' } });
  });
});

describe('worker check with a DAGs folder', () => {
  it('catches the DAG file that imports boto3 in the environment without it, with no manifest', async () => {
    const result = await timed('DAG imports only, unsatisfied, text', () =>
      runWorkerCheck({ dagsFolder: path.join(repo, 'dags'), python: plain.python, format: 'text' }),
    );
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(/\n {2}ok +hello\.py +1 DAG\n/);
    expect(result.output).toMatch(/\n {2}failed +s3_sync\.py +ModuleNotFoundError: No module named 'boto3'\n/);
    expect(result.output).toContain("problems:\n  DAG import: s3_sync.py: ModuleNotFoundError: No module named 'boto3'\n");
  });

  it('passes in the environment with boto3, manifest and DAG imports together', async () => {
    const result = await timed('manifest + DAG imports, satisfied, junit', () =>
      runWorkerCheck({
        manifestPath: path.join(repo, 'dagbridge.manifest.json'),
        dagsFolder: path.join(repo, 'dags'),
        python: withAws.python,
        format: 'junit',
        processEnv: awsEnv,
      }),
    );
    expect(result.output).toContain('failures="0"');
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain('<testsuite name="DAG imports" tests="2" failures="0"');
    expect(result.output).toContain('<testcase classname="dagbridge.dag_imports" name="s3_sync.py"/>');
  });
});
