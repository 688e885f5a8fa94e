import { createHash } from 'node:crypto';
import { mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileHashes, RACY_MS } from './file-hash.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** A clock past the racy window of files written just now. */
const later = (): number => Date.now() + RACY_MS + 1_000;

describe('FileHashes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'file-hash-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file once while it is unchanged, and again after any write, even of the same size', async () => {
    const file = path.join(dir, 'dag.py');
    await writeFile(file, 'a = 1\n');
    // An hour old, so that the rewrite below cannot share its mtime (file times tick every few milliseconds).
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(file, hourAgo, hourAgo);
    const hashes = new FileHashes(10, later);
    expect(await hashes.hashOf(file)).toBe(sha256('a = 1\n'));
    expect(await hashes.hashOf(file)).toBe(sha256('a = 1\n'));
    expect(hashes.reads).toBe(1);
    await writeFile(file, 'a = 2\n');
    expect(await hashes.hashOf(file)).toBe(sha256('a = 2\n'));
    expect(hashes.reads).toBe(2);
  });

  it('reads a file replaced by a rename (a new inode), as deployments do', async () => {
    const file = path.join(dir, 'dag.py');
    await writeFile(file, 'old\n');
    const hashes = new FileHashes(10, later);
    await hashes.hashOf(file);
    await writeFile(path.join(dir, 'next.py'), 'new\n');
    await rename(path.join(dir, 'next.py'), file);
    expect(await hashes.hashOf(file)).toBe(sha256('new\n'));
  });

  it('keeps at most the given number of files, least recently used out', async () => {
    const hashes = new FileHashes(2, later);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => path.join(dir, name)) as [string, string, string];
    for (const file of [a, b, c]) await writeFile(file, file);
    await hashes.hashOf(a);
    await hashes.hashOf(b);
    await hashes.hashOf(a);
    await hashes.hashOf(c);
    expect(hashes.reads).toBe(3);
    await hashes.hashOf(a);
    expect(hashes.reads).toBe(3);
    await hashes.hashOf(b);
    expect(hashes.reads).toBe(4);
  });

  it('does not remember a file changed within the racy window: a write in the same clock tick keeps its times', async () => {
    const file = path.join(dir, 'dag.py');
    await writeFile(file, 'a = 1\n');
    const hashes = new FileHashes();
    await hashes.hashOf(file);
    await hashes.hashOf(file);
    expect(hashes.reads).toBe(2);
  });

  it('throws for a file that is not there', async () => {
    await expect(new FileHashes().hashOf(path.join(dir, 'missing.py'))).rejects.toThrow(/ENOENT/);
  });
});
