import { describe, expect, it } from 'vitest';
import { logicalLines, readRequirementsFile } from './requirements-file.js';

/** An in-memory file system under /repo. */
function files(entries: Record<string, string>) {
  return (absolute: string): string => {
    const text = entries[absolute];
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${absolute}'`);
    return text;
  };
}

function read(entries: Record<string, string>, top = '/repo/requirements.txt') {
  return readRequirementsFile(top, { readText: files(entries) });
}

describe('logicalLines', () => {
  it('reads CRLF files with a byte order mark', () => {
    expect(logicalLines('\uFEFFboto3\r\npandas \\\r\n>=2\r\n')).toEqual([
      { line: 1, text: 'boto3' },
      { line: 2, text: 'pandas >=2' },
    ]);
  });

  it('joins continuations, then removes comments, keeping the first line number', () => {
    expect(logicalLines('# header\nboto3>=1.26 \\\n  ,<2  # pinned\n\n  pandas#not-a-comment\nnumpy \\\n# comment ends it\nlast \\')).toEqual([
      { line: 2, text: 'boto3>=1.26   ,<2' },
      { line: 5, text: 'pandas#not-a-comment' },
      { line: 6, text: 'numpy' },
      { line: 8, text: 'last' },
    ]);
  });
});

describe('readRequirementsFile', () => {
  it('reads requirements with extras, markers, URLs and per-requirement options', () => {
    const content = read({
      '/repo/requirements.txt': [
        '--index-url https://user:token@pypi.example.com/simple',
        'boto3>=1.26,<2 --hash=sha256:abc --hash=sha256:def',
        'apache-airflow-providers-amazon[s3]==8.10.0',
        'pywin32>=300; sys_platform == "win32"',
        'mylib @ https://example.com/mylib-1.0.tar.gz',
        'https://example.com/wheels/My_Tool-2.1.0-py3-none-any.whl',
        'git+https://github.com/org/repo.git@v1#egg=repo-tool',
        './local/package',
        '-e ./editable',
        '--pre',
      ].join('\n'),
    });
    expect(content.requirements.map((requirement) => requirement.text)).toEqual([
      'boto3>=1.26,<2',
      'apache-airflow-providers-amazon[s3]==8.10.0',
      'pywin32>=300; sys_platform == "win32"',
      'mylib @ https://example.com/mylib-1.0.tar.gz',
      'my-tool @ https://example.com/wheels/My_Tool-2.1.0-py3-none-any.whl',
      'repo-tool @ git+https://github.com/org/repo.git@v1#egg=repo-tool',
    ]);
    expect(content.requirements[0]?.source).toEqual({ file: 'requirements.txt', line: 2 });
    expect(content.notes).toEqual([
      'requirements.txt:1: --index-url ignored: it changes how pip downloads, not what must be installed',
      'requirements.txt:2: --hash ignored: dagbridge checks names and versions, not archives',
      'requirements.txt:2: --hash ignored: dagbridge checks names and versions, not archives',
      'requirements.txt:8: a path or URL without a distribution name is not checked; write it as "name @ URL"',
      'requirements.txt:9: -e ignored: editable installs are not checked',
      'requirements.txt:10: --pre ignored: it changes how pip downloads, not what must be installed',
    ]);
    expect(content.notes.join('\n')).not.toContain('token');
  });

  it('follows -r and -c relative to the including file, in every spelling', () => {
    const content = read({
      '/repo/requirements.txt': '-r base/common.txt\n--requirement=extra.txt\n-cconstraints.txt\npandas',
      '/repo/base/common.txt': 'requests>=2\n-r ../nested.txt',
      '/repo/nested.txt': 'pyyaml',
      '/repo/extra.txt': 'numpy',
      '/repo/constraints.txt': 'pandas<2.2\nrequests==2.31.0',
    });
    expect(content.requirements.map((requirement) => `${requirement.text} (${requirement.source?.file}:${requirement.source?.line})`)).toEqual([
      'requests>=2 (base/common.txt:1)',
      'pyyaml (nested.txt:1)',
      'numpy (extra.txt:1)',
      'pandas (requirements.txt:4)',
    ]);
    expect(content.constraints.map((requirement) => requirement.text)).toEqual(['pandas<2.2', 'requests==2.31.0']);
    expect(content.files).toEqual(['/repo/requirements.txt', '/repo/base/common.txt', '/repo/nested.txt', '/repo/extra.txt', '/repo/constraints.txt']);
  });

  it.each([
    [{ '/repo/requirements.txt': 'ok\nboto3>=1.26,' }, 'requirements.txt:2: ">=1.26," is not a valid PEP 440 version specifier'],
    [{ '/repo/requirements.txt': 'boto3 = 1.0' }, 'requirements.txt:1: expected a version specifier (such as >=1.0) or ";", found "= 1.0"'],
    [{ '/repo/requirements.txt': '--frobnicate' }, 'requirements.txt:1: unknown option --frobnicate (not a pip requirements-file option)'],
    [{ '/repo/requirements.txt': '--index-url' }, 'requirements.txt:1: option --index-url needs a value'],
    [{ '/repo/requirements.txt': '--hash=sha256:abc' }, 'requirements.txt:1: option --hash must follow a requirement on the same line'],
    [{ '/repo/requirements.txt': 'boto3 -r other.txt' }, 'requirements.txt:1: option -r cannot follow a requirement; put it on its own line'],
    [{ '/repo/requirements.txt': '\n-r missing.txt' }, "requirements.txt:2: cannot read requirements file missing.txt: ENOENT: no such file or directory, open '/repo/missing.txt'"],
    [{ '/repo/requirements.txt': '-r https://example.com/req.txt' }, 'requirements.txt:1: remote requirements files (-r URL) are not supported'],
    [
      { '/repo/requirements.txt': '-r a.txt', '/repo/a.txt': 'x\n-r requirements.txt' },
      'a.txt:2: requirements files include each other in a cycle: requirements.txt -> a.txt -> requirements.txt',
    ],
    [{ '/repo/requirements.txt': 'ok\n\npkg; python_version >= 3' }, 'requirements.txt:3: invalid environment marker: unexpected "3" at column 20'],
  ])('refuses bad input with file:line (%#)', (entries, message) => {
    expect(() => read(entries)).toThrow(message);
  });

  it('fails with MANIFEST_INVALID', () => {
    expect(() => read({ '/repo/requirements.txt': 'boto3 ==' })).toThrow(expect.objectContaining({ code: 'MANIFEST_INVALID' }));
  });
});
