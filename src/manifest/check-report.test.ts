import { describe, expect, it } from 'vitest';
import type { DagBundle } from '../dag/bundle.js';
import { formatCheckReport, xml, type WorkerCheckReport } from './check-report.js';
import { dagImportReport } from './check.js';
import { loadManifest } from './manifest.js';
import { factsFixture } from './testing.js';
import { verifyManifest } from './verify.js';

const files: Record<string, string> = {
  '/repo/dagbridge.manifest.json': JSON.stringify({
    version: 1,
    python: '>=3.9',
    requirements: ['requests>=2', 'pywin32; sys_platform == "win32"'],
    executables: ['bash'],
    queues: { aws: { requirements: ['boto3>=1.26'], env: ['AWS_REGION'] } },
  }),
};
const manifest = loadManifest('/repo/dagbridge.manifest.json', { readText: (file) => files[file] ?? '' });

const bundle = {
  dagsFolder: '/repo/dags',
  files: [
    { path: 'etl.py', hash: 'a', imports: [], dagIds: ['etl', 'etl_hourly'], parseSeconds: 0.01 },
    { path: 'report.py', hash: 'b', imports: [], dagIds: ['report'], parseSeconds: 0.01 },
  ],
  importErrors: [
    { file: 's3_sync.py', type: 'ModuleNotFoundError', message: "No module named 'boto3'", traceback: 'Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named \'boto3\'' },
  ],
} as unknown as DagBundle;

function report(distributions: Record<string, string>): WorkerCheckReport {
  const verify = verifyManifest(
    manifest,
    factsFixture({ distributions, executables: { bash: '/usr/bin/bash' }, env: { AWS_REGION: false } }),
  );
  const dagImports = dagImportReport(bundle, 0.25);
  const reasons = [...verify.reasons, "DAG import: s3_sync.py: ModuleNotFoundError: No module named 'boto3'"];
  return {
    satisfied: false,
    python: { executable: '/opt/py/bin/python3', version: '3.11.2' },
    manifest: verify,
    dagImports,
    reasons,
    seconds: 0.42,
    environment: { cwd: '/repo', pythonPath: ['/opt/dagbridge/python-shim', '/repo/src'], passEnv: ['*_CONFIG_FILE_PATH'] },
  };
}

const failing = report({ requests: '2.31.0', boto3: '1.20.0' });

describe('formatCheckReport', () => {
  it('renders aligned text', () => {
    expect(formatCheckReport(failing, 'text')).toBe(
      [
        'worker check: UNSATISFIED',
        'python:   /opt/py/bin/python3 (3.11.2)',
        `manifest: /repo/dagbridge.manifest.json (hash ${manifest.hash.slice(0, 12)})`,
        'cwd:      /repo (tasks run here too)',
        'PYTHONPATH: /opt/dagbridge/python-shim : /repo/src',
        'passEnv:  *_CONFIG_FILE_PATH',
        '',
        'all queues',
        '  ok              python >=3.9     3.11.2',
        '  ok              requests>=2      2.31.0                            /repo/dagbridge.manifest.json: requirements[0]',
        '  not_applicable  pywin32          sys_platform == "win32" is false  /repo/dagbridge.manifest.json: requirements[1]',
        '  ok              executable bash  /usr/bin/bash',
        '',
        'queue aws: unsatisfied',
        '  wrong_version   boto3>=1.26      1.20.0 installed, wants >=1.26    /repo/dagbridge.manifest.json: queues.aws.requirements[0]',
        '  not_set         env AWS_REGION   not set',
        '',
        'DAG imports: /repo/dags (3 files)',
        '  ok              etl.py           2 DAGs',
        '  ok              report.py        1 DAG',
        "  failed          s3_sync.py       ModuleNotFoundError: No module named 'boto3'",
        '',
        'problems:',
        '  queue aws: boto3 1.20.0 does not satisfy >=1.26',
        '  queue aws: environment variable AWS_REGION is not set',
        "  DAG import: s3_sync.py: ModuleNotFoundError: No module named 'boto3'",
        '',
        'checked in 0.42 s',
        '',
      ].join('\n'),
    );
  });

  it('renders JUnit XML: a suite for the common part, one per queue, one for DAG imports', () => {
    expect(formatCheckReport(failing, 'junit')).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="dagbridge worker check" tests="10" failures="4" errors="0" skipped="1" time="0.420">',
        '  <testsuite name="manifest: all queues" tests="4" failures="0" errors="0" skipped="1" time="0.000">',
        '    <testcase classname="dagbridge.manifest_all_queues" name="python &gt;=3.9"/>',
        '    <testcase classname="dagbridge.manifest_all_queues" name="requests&gt;=2"/>',
        '    <testcase classname="dagbridge.manifest_all_queues" name="pywin32; sys_platform == &quot;win32&quot;">',
        '      <skipped message="pywin32: not needed here (sys_platform == &quot;win32&quot; is false)"/>',
        '    </testcase>',
        '    <testcase classname="dagbridge.manifest_all_queues" name="executable bash"/>',
        '  </testsuite>',
        '  <testsuite name="manifest: queue aws" tests="3" failures="3" errors="0" skipped="0" time="0.000">',
        '    <testcase classname="dagbridge.manifest_queue_aws" name="queue aws is satisfied">',
        '      <failure type="unsatisfied" message="queue aws: boto3 1.20.0 does not satisfy &gt;=1.26; queue aws: environment variable AWS_REGION is not set">queue aws: boto3 1.20.0 does not satisfy &gt;=1.26\nqueue aws: environment variable AWS_REGION is not set</failure>',
        '    </testcase>',
        '    <testcase classname="dagbridge.manifest_queue_aws" name="boto3&gt;=1.26">',
        '      <failure type="wrong_version" message="boto3 1.20.0 does not satisfy &gt;=1.26">boto3 1.20.0 does not satisfy &gt;=1.26\nwritten at /repo/dagbridge.manifest.json: queues.aws.requirements[0]</failure>',
        '    </testcase>',
        '    <testcase classname="dagbridge.manifest_queue_aws" name="env AWS_REGION">',
        '      <failure type="not_set" message="environment variable AWS_REGION is not set">environment variable AWS_REGION is not set</failure>',
        '    </testcase>',
        '  </testsuite>',
        '  <testsuite name="DAG imports" tests="3" failures="1" errors="0" skipped="0" time="0.250">',
        '    <testcase classname="dagbridge.dag_imports" name="etl.py"/>',
        '    <testcase classname="dagbridge.dag_imports" name="report.py"/>',
        '    <testcase classname="dagbridge.dag_imports" name="s3_sync.py">',
        '      <failure type="ModuleNotFoundError" message="ModuleNotFoundError: No module named &apos;boto3&apos;">Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named &apos;boto3&apos;</failure>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });

  it('renders JSON with every outcome', () => {
    const parsed = JSON.parse(formatCheckReport(failing, 'json')) as WorkerCheckReport;
    expect(parsed.satisfied).toBe(false);
    expect(parsed.reasons).toEqual(failing.reasons);
    expect(parsed.manifest?.queues[0]?.section?.requirements[0]).toEqual({
      requirement: 'boto3>=1.26',
      label: 'boto3>=1.26',
      name: 'boto3',
      marker: null,
      status: 'wrong_version',
      found: '1.20.0',
      wanted: '>=1.26',
      source: '/repo/dagbridge.manifest.json: queues.aws.requirements[0]',
      message: 'boto3 1.20.0 does not satisfy >=1.26',
    });
    expect(parsed.dagImports?.files.map((file) => [file.file, file.status])).toEqual([
      ['etl.py', 'ok'],
      ['report.py', 'ok'],
      ['s3_sync.py', 'failed'],
    ]);
  });
});

describe('xml', () => {
  it('escapes markup and drops characters XML cannot carry', () => {
    expect(xml(`<a b="c" d='e'>&\u0000\u0007ok\ttab`)).toBe('&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;ok\ttab');
  });
});
