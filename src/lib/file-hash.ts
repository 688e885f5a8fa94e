/**
 * sha256 of a file's bytes, remembered by the file's identity and times (device, inode, size, mtime, ctime in
 * nanoseconds): a worker checks the DAG file of every attempt against the version its run was scheduled from,
 * and a `stat` costs far less than reading and hashing the file again. Any write to the file changes its mtime
 * and ctime, so a changed file is read again. File times have the resolution of the kernel's clock tick (a few
 * milliseconds), so a write in the same tick as the stat would keep them: a file changed in the last
 * {@link RACY_MS} is hashed but not remembered (git's "racily clean" rule).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';

/** How many files' hashes are kept (least recently used out). */
const KEPT_FILES = 1_024;
/** A file whose mtime or ctime is this recent is not remembered. */
export const RACY_MS = 2_000;

export class FileHashes {
  private readonly known = new Map<string, { stamp: string; hash: string }>();
  /** Files read and hashed (not answered from what was kept); for tests and figures. */
  reads = 0;

  constructor(private readonly kept = KEPT_FILES, private readonly now: () => number = Date.now) {}

  /** The file's sha256 hex; throws as `readFile` does when it cannot be read. */
  async hashOf(file: string): Promise<string> {
    const info = await stat(file, { bigint: true });
    const stamp = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    const hit = this.known.get(file);
    if (hit && hit.stamp === stamp) {
      this.known.delete(file);
      this.known.set(file, hit);
      return hit.hash;
    }
    const content = await readFile(file);
    this.reads += 1;
    const hash = createHash('sha256').update(content).digest('hex');
    this.known.delete(file);
    const changedMs = Number((info.mtimeNs > info.ctimeNs ? info.mtimeNs : info.ctimeNs) / 1_000_000n);
    // Stamped before the read: a write during it or after it leaves newer times, so the next call reads again.
    if (this.now() - changedMs >= RACY_MS) this.known.set(file, { stamp, hash });
    if (this.known.size > this.kept) this.known.delete(this.known.keys().next().value as string);
    return hash;
  }
}
