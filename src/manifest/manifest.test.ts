import { describe, expect, it } from 'vitest';
import { jsonErrorPosition } from './json-error-position.js';
import { loadManifest, type LoadManifestOptions } from './manifest.js';

function files(entries: Record<string, string>): LoadManifestOptions {
  return {
    readText: (absolute: string): string => {
      const text = entries[absolute];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${absolute}'`);
      return text;
    },
  };
}

const manifestJson = JSON.stringify({
  $schema: '../schemas/manifest.schema.json',
  version: 1,
  python: '>=3.9,<3.13',
  requirementsFile: 'requirements.txt',
  requirements: ['pendulum>=2'],
  executables: ['bash', 'bash'],
  env: ['TZ'],
  queues: {
    aws: { requirements: ['boto3>=1.26'], executables: [], env: ['AWS_REGION'] },
    spark: { requirementsFile: 'spark.txt' },
  },
});

describe('loadManifest', () => {
  it('reads a manifest file with its requirements files', () => {
    const manifest = loadManifest('/repo/dagbridge.manifest.json', files({
      '/repo/dagbridge.manifest.json': manifestJson,
      '/repo/requirements.txt': 'requests>=2\n-c constraints.txt\n--pre',
      '/repo/constraints.txt': 'requests<3',
      '/repo/spark.txt': 'pyspark==3.5.0',
    }));
    expect(manifest.format).toBe('manifest');
    expect(manifest.python).toBe('>=3.9,<3.13');
    expect(manifest.common.requirements.map((requirement) => requirement.text)).toEqual(['pendulum>=2', 'requests>=2']);
    expect(manifest.common.requirements[0]?.source).toEqual({ file: '/repo/dagbridge.manifest.json', field: 'requirements[0]' });
    expect(manifest.common.executables).toEqual(['bash']);
    expect(manifest.common.env).toEqual(['TZ']);
    expect(Object.keys(manifest.queues)).toEqual(['aws', 'spark']);
    expect(manifest.queues.aws?.requirements.map((requirement) => requirement.text)).toEqual(['boto3>=1.26']);
    expect(manifest.queues.aws?.requirements[0]?.source?.field).toBe('queues.aws.requirements[0]');
    expect(manifest.queues.spark?.requirements[0]?.source).toEqual({ file: 'spark.txt', line: 1 });
    expect(manifest.constraints.map((requirement) => requirement.text)).toEqual(['requests<3']);
    expect(manifest.notes).toEqual(['requirements.txt:3: --pre ignored: it changes how pip downloads, not what must be installed']);
    expect(manifest.files).toEqual(['/repo/dagbridge.manifest.json', '/repo/requirements.txt', '/repo/constraints.txt', '/repo/spark.txt']);
    expect(manifest.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads a requirements.txt as the common part', () => {
    const manifest = loadManifest('/repo/requirements.txt', files({ '/repo/requirements.txt': 'boto3>=1.26\n' }));
    expect(manifest).toMatchObject({ format: 'requirements', python: null, queues: {} });
    expect(manifest.common.requirements.map((requirement) => requirement.text)).toEqual(['boto3>=1.26']);
  });

  describe('hash', () => {
    const hashOf = (entries: Record<string, string>, file = '/repo/requirements.txt') => loadManifest(file, files(entries)).hash;

    it('ignores comments, order, spelling of names and where the files live', () => {
      const a = hashOf({ '/repo/requirements.txt': 'boto3>=1.26\npandas' });
      expect(hashOf({ '/repo/requirements.txt': '# deps\nPandas  # data\nBoto3 >= 1.26\n' })).toBe(a);
      expect(hashOf({ '/elsewhere/r.txt': 'pandas\nboto3>=1.26' }, '/elsewhere/r.txt')).toBe(a);
    });

    it('covers what included files say', () => {
      const a = hashOf({ '/repo/requirements.txt': '-r more.txt', '/repo/more.txt': 'boto3>=1.26' });
      const b = hashOf({ '/repo/requirements.txt': '-r more.txt', '/repo/more.txt': 'boto3>=1.27' });
      expect(a).not.toBe(b);
      expect(hashOf({ '/repo/requirements.txt': 'boto3>=1.26' })).toBe(a);
    });

    it('is the same for a manifest file and a requirements file that mean the same', () => {
      expect(hashOf({ '/repo/m.json': JSON.stringify({ version: 1, requirements: ['boto3>=1.26'] }) }, '/repo/m.json')).toBe(
        hashOf({ '/repo/requirements.txt': 'boto3>=1.26' }),
      );
    });
  });

  it.each([
    ['{"version": 1,\n  "requirements": [}', '/repo/m.json: not valid JSON: Unexpected token'],
    ['{"version": 2}', '/repo/m.json: version: 2 is not supported (this dagbridge reads manifest version 1)'],
    ['[]', '/repo/m.json: version: null is not supported'],
    ['{"version": 1, "python": "3.9"}', '/repo/m.json: python: must be a PEP 440 specifier set such as ">=3.9,<3.13"'],
    ['{"version": 1, "requirement": []}', '/repo/m.json: (root): unknown field(s) "requirement"'],
    ['{"version": 1, "env": ["AWS-REGION"]}', '/repo/m.json: env[0]: must be an environment variable name (letters, digits, _)'],
    ['{"version": 1, "queues": {"aws": {"requirements": "boto3"}}}', '/repo/m.json: queues.aws.requirements: Expected array, received string'],
    ['{"version": 1, "queues": {"aws": {"requirements": ["boto3>="]}}}', '/repo/m.json: queues.aws.requirements[0]: "boto3>=": ">=" is not a valid PEP 440 version specifier'],
    ['{"version": 1, "queues": {"aws": {"extra": 1}}}', '/repo/m.json: queues.aws: unknown field(s) "extra"'],
    ['{"version": 1, "requirementsFile": "nope.txt"}', "cannot read requirements file nope.txt: ENOENT"],
  ])('refuses %s', (text, message) => {
    expect(() => loadManifest('/repo/m.json', files({ '/repo/m.json': text }))).toThrow(message);
  });

  it('reports a JSON syntax error with line and column', () => {
    expect(() => loadManifest('/repo/m.json', files({ '/repo/m.json': '{"version": 1,\n  "requirements": [}' }))).toThrow(/\(line 2, column 20\)$/);
  });
});

describe('jsonErrorPosition', () => {
  it.each([
    ['{"a": 1}', null],
    ['{"a": 1,}', { line: 1, column: 9 }],
    ['{\n "a": tru }', { line: 2, column: 10 }],
    ['[1, 2', { line: 1, column: 6 }],
    ['{"a": "x\\q"}', { line: 1, column: 10 }],
    ['{"a": 01}', { line: 1, column: 8 }],
    ['{} x', { line: 1, column: 4 }],
  ])('%j -> %j', (text, expected) => {
    expect(jsonErrorPosition(text)).toEqual(expected);
  });
});

describe('schemas/manifest.schema.json', () => {
  it('names the same fields as the zod schema', async () => {
    const { readFile } = await import('node:fs/promises');
    const { manifestFileSchema } = await import('./manifest.js');
    const schema = JSON.parse(await readFile(new URL('../../schemas/manifest.schema.json', import.meta.url), 'utf8')) as {
      properties: Record<string, unknown>;
      $defs: { section: { properties: Record<string, unknown> } };
    };
    const shape = manifestFileSchema.shape;
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(shape).sort());
    const section = shape.queues.unwrap().element;
    expect(Object.keys(schema.$defs.section.properties).sort()).toEqual(Object.keys(section.shape).sort());
  });
});
