import { describe, expect, it } from 'vitest';
import { normalizeName } from './names.js';
import { parseRequirement } from './requirement.js';

describe('normalizeName', () => {
  it.each([
    ['Foo.Bar', 'foo-bar'],
    ['foo__bar', 'foo-bar'],
    ['FOO-_.bar', 'foo-bar'],
    ['apache-airflow-providers-amazon', 'apache-airflow-providers-amazon'],
  ])('%s -> %s', (name, expected) => {
    expect(normalizeName(name)).toBe(expected);
  });
});

describe('parseRequirement', () => {
  it('reads name, extras, specifier and marker', () => {
    const requirement = parseRequirement('Apache_Airflow.Providers-Amazon [S3 , http]>= 8.0 ,<9 ; python_version>="3.9"');
    expect(requirement).toMatchObject({
      name: 'apache-airflow-providers-amazon',
      extras: ['http', 's3'],
      specifier: '>=8.0,<9',
      url: null,
      text: 'apache-airflow-providers-amazon[http,s3]>=8.0,<9; python_version >= "3.9"',
    });
  });

  it('accepts parenthesised specifiers and a bare name', () => {
    expect(parseRequirement('requests (>=2.0)').text).toBe('requests>=2.0');
    expect(parseRequirement('requests').text).toBe('requests');
    expect(parseRequirement('pkg[]').text).toBe('pkg');
  });

  it('reads direct references: the URL, never a version; credentials redacted', () => {
    const requirement = parseRequirement('mylib @ https://user:secret@example.com/mylib-1.0.tar.gz ; sys_platform == "linux"');
    expect(requirement).toMatchObject({ name: 'mylib', specifier: '', url: 'https://****@example.com/mylib-1.0.tar.gz' });
    expect(requirement.text).toBe('mylib @ https://****@example.com/mylib-1.0.tar.gz ; sys_platform == "linux"');
  });

  it.each([
    ['>=1.0', 'expected a distribution name at the start of ">=1.0"'],
    ['boto3>=', '">=" is not a valid PEP 440 version specifier'],
    ['boto3 1.0', 'expected a version specifier (such as >=1.0) or ";", found "1.0"'],
    ['boto3==1.0;', 'empty environment marker after ";"'],
    ['boto3==1.0; python_version >>= "3"', 'invalid environment marker: expected a marker variable or a quoted string, found ">=" at column 18'],
    ['boto3[s3', 'unclosed "[" in extras'],
    ['boto3[s 3]', 'invalid extra name "s 3"'],
    ['boto3 @', 'expected a URL after "@"'],
    ['boto3 @ ./local', '"./local" is not a URL (expected scheme://...)'],
    ['boto3 @ https://x/y.whl extra', 'unexpected "extra" after the URL'],
    ['boto3 (>=1.0', 'unclosed "(" around the version specifier'],
  ])('refuses %j', (text, message) => {
    expect(() => parseRequirement(text)).toThrow(message);
  });
});

describe('parseRequirement error quoting', () => {
  it('quotes at most 40 characters of the input, escaped (a line of an included /etc/passwd is not echoed whole)', () => {
    const line = 'root:x:0:0:root:/root:/bin/bash\u001b[2J\u0007 and more text after';
    expect(() => parseRequirement(`x ${line}`)).toThrow(/found "root:x:0:0:root:\/root:\/bin\/bash\\u001b\[2J\\u0007 and\.\.\." \(\d+ characters\)$/);
  });
});
