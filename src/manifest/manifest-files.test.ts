import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest } from './manifest.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-manifest-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('manifest files on disk', () => {
  it('refuses a device, a directory and an oversized file instead of reading them', () => {
    expect(() => loadManifest('/dev/zero')).toThrow('cannot read requirements file zero: it is a character device; give a regular file');
    expect(() => loadManifest(dir)).toThrow(`cannot read requirements file ${path.basename(dir)}: it is a directory; give a regular file`);
    const big = path.join(dir, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, 10 * 1024 * 1024 + 1);
    expect(() => loadManifest(big)).toThrow(`cannot read manifest ${big}: it is 10485761 bytes, more than the 10485760 a manifest or requirements file may be`);
  });

  it('refuses a device included from a requirements file, naming the including line', () => {
    const file = path.join(dir, 'requirements.txt');
    writeFileSync(file, 'requests>=2\n-r /dev/zero\n');
    expect(() => loadManifest(file)).toThrow('cannot read requirements file /dev/zero: it is a character device; give a regular file');
    writeFileSync(file, 'requests>=2\n');
    expect(loadManifest(file).common.requirements.map((r) => r.name)).toEqual(['requests']);
  });
});
