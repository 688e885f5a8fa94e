import { describe, expect, it } from 'vitest';
import { runWorkerCheck } from './check.js';

// Input errors are found before any Python process starts; the checks against real interpreters are in
// integration-tests/manifest-check.test.ts.
describe('runWorkerCheck input errors (exit 2)', () => {
  it('needs a manifest or a DAGs folder', async () => {
    const result = await runWorkerCheck({ python: 'python3', format: 'text' });
    expect(result).toEqual({
      exitCode: 2,
      output: 'worker check: cannot run: worker check needs a manifest (--manifest FILE) or a DAGs folder (--dags-folder DIR), or both\n',
      report: null,
    });
  });

  it('reports an unreadable manifest as JSON', async () => {
    const result = await runWorkerCheck({ manifestPath: '/nonexistent/dagbridge.manifest.json', python: 'python3', format: 'json' });
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.output)).toEqual({
      satisfied: false,
      error: {
        code: 'MANIFEST_INVALID',
        message: "cannot read manifest /nonexistent/dagbridge.manifest.json: ENOENT: no such file or directory, open '/nonexistent/dagbridge.manifest.json'",
      },
    });
  });

  it('reports it as a JUnit error for CI', async () => {
    const result = await runWorkerCheck({ manifestPath: '/nonexistent/requirements.txt', python: 'python3', format: 'junit' });
    expect(result.exitCode).toBe(2);
    expect(result.output).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="dagbridge worker check" tests="1" failures="0" errors="1" skipped="0" time="0.000">',
        '  <testsuite name="worker check input" tests="1" failures="0" errors="1" skipped="0" time="0.000">',
        '    <testcase classname="dagbridge.worker_check_input" name="input">',
        '      <error type="MANIFEST_INVALID" message="cannot read requirements file requirements.txt: ENOENT: no such file or directory, open &apos;/nonexistent/requirements.txt&apos;"/>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });
});
