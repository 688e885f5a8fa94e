import { describe, expect, it } from 'vitest';
import { loadManifest } from './manifest.js';
import { factsFixture } from './testing.js';
import { satisfiedQueues, verifyManifest } from './verify.js';

const files: Record<string, string> = {
  '/repo/dagbridge.manifest.json': JSON.stringify({
    version: 1,
    python: '>=3.9,<3.13',
    requirementsFile: 'requirements.txt',
    executables: ['bash'],
    queues: {
      aws: { requirements: ['boto3>=1.26', 'botocore'], env: ['AWS_REGION'] },
      gpu: { requirements: ['torch==2.1.*'], executables: ['nvidia-smi'] },
    },
  }),
  '/repo/requirements.txt': [
    'requests>=2',
    'pywin32>=300; sys_platform == "win32"',
    'mylib @ https://example.com/mylib.tar.gz',
    'pandas>=1.5',
    '-c constraints.txt',
  ].join('\n'),
  '/repo/constraints.txt': 'pandas<2.1',
};
const manifest = loadManifest('/repo/dagbridge.manifest.json', {
  readText: (file) => {
    const text = files[file];
    if (text === undefined) throw new Error(`ENOENT ${file}`);
    return text;
  },
});

const goodFacts = factsFixture({
  distributions: { requests: '2.31.0', mylib: '0.1', pandas: '2.0.3', boto3: '1.28.0', botocore: '1.31.0', torch: '2.1.2' },
  executables: { bash: '/usr/bin/bash', 'nvidia-smi': '/usr/bin/nvidia-smi' },
  env: { AWS_REGION: true },
});

describe('verifyManifest', () => {
  it('reports every outcome of a satisfied interpreter', () => {
    const report = verifyManifest(manifest, goodFacts);
    expect(report.satisfied).toBe(true);
    expect(report.reasons).toEqual([]);
    expect(report.python).toEqual({ status: 'ok', found: '3.11.2', wanted: '>=3.9,<3.13', message: 'python 3.11.2 satisfies >=3.9,<3.13' });
    expect(report.common.requirements.map((outcome) => [outcome.status, outcome.message, outcome.source])).toEqual([
      ['ok', 'requests 2.31.0 satisfies >=2', 'requirements.txt:1'],
      ['not_applicable', 'pywin32>=300: not needed here (sys_platform == "win32" is false)', 'requirements.txt:2'],
      ['ok', 'mylib 0.1 is installed (direct reference: version not checked)', 'requirements.txt:3'],
      ['ok', 'pandas 2.0.3 satisfies >=1.5,<2.1', 'requirements.txt:4'],
    ]);
    expect(report.common.executables).toEqual([{ name: 'bash', status: 'ok', path: '/usr/bin/bash', message: 'executable bash is /usr/bin/bash' }]);
    expect(report.queues.map((queue) => [queue.name, queue.satisfied])).toEqual([
      ['aws', true],
      ['gpu', true],
    ]);
    expect(satisfiedQueues(report)).toEqual(['aws', 'gpu']);
  });

  it('says precisely what is wrong, per queue', () => {
    const facts = factsFixture({
      distributions: { requests: '2.31.0', mylib: '0.1', pandas: '2.1.0', boto3: '1.20.0', torch: '2.1.2' },
      executables: { bash: '/usr/bin/bash', 'nvidia-smi': null },
      env: { AWS_REGION: false },
    });
    const report = verifyManifest(manifest, facts);
    expect(report.satisfied).toBe(false);
    expect(report.reasons).toEqual([
      'all queues: pandas 2.1.0 does not satisfy >=1.5,<2.1 (constraints: constraints.txt:1)',
      'queue aws: boto3 1.20.0 does not satisfy >=1.26',
      'queue aws: botocore is missing',
      'queue aws: environment variable AWS_REGION is not set',
      'queue gpu: executable nvidia-smi is not on PATH',
    ]);
    const aws = report.queues.find((queue) => queue.name === 'aws');
    expect(aws?.reasons).toEqual([
      'queue aws: pandas 2.1.0 does not satisfy >=1.5,<2.1 (constraints: constraints.txt:1)',
      'queue aws: boto3 1.20.0 does not satisfy >=1.26',
      'queue aws: botocore is missing',
      'queue aws: environment variable AWS_REGION is not set',
    ]);
    expect(aws?.section?.requirements.map((outcome) => ({ name: outcome.name, status: outcome.status, found: outcome.found, wanted: outcome.wanted }))).toEqual([
      { name: 'boto3', status: 'wrong_version', found: '1.20.0', wanted: '>=1.26' },
      { name: 'botocore', status: 'missing', found: null, wanted: '' },
    ]);
  });

  it('serves the queues it can: a queue without a section needs the common part only', () => {
    const facts = factsFixture({
      distributions: { requests: '2.31.0', mylib: '0.1', pandas: '2.0.0' },
      executables: { bash: '/bin/bash', 'nvidia-smi': null },
    });
    const report = verifyManifest(manifest, facts, { queues: ['default', 'aws', 'default'] });
    expect(report.queues.map((queue) => [queue.name, queue.satisfied, queue.section === null])).toEqual([
      ['default', true, true],
      ['aws', false, false],
    ]);
    expect(satisfiedQueues(report)).toEqual(['default']);
  });

  it('fails every queue on a Python version mismatch', () => {
    const report = verifyManifest(manifest, { ...goodFacts, python: { ...goodFacts.python, version: '3.13.0' } }, { queues: ['default'] });
    expect(report.python.status).toBe('mismatch');
    expect(report.reasons).toEqual(['all queues: python 3.13.0 does not satisfy >=3.9,<3.13']);
    expect(report.queues[0]?.reasons).toEqual(['queue default: python 3.13.0 does not satisfy >=3.9,<3.13']);
  });

  it('evaluates markers for the worker interpreter', () => {
    const windows = factsFixture({ markers: { sys_platform: 'win32' }, distributions: { ...goodFacts.distributions }, executables: goodFacts.executables });
    const outcome = verifyManifest(manifest, windows).common.requirements[1];
    expect(outcome).toMatchObject({ name: 'pywin32', status: 'missing', message: 'pywin32>=300 is missing' });
  });

  it('accepts installed pre-releases, as PEP 440 says for installed versions', () => {
    const facts = { ...goodFacts, distributions: { ...goodFacts.distributions, boto3: '1.27.0rc1' } };
    expect(verifyManifest(manifest, facts, { queues: ['aws'] }).satisfied).toBe(true);
  });
});
