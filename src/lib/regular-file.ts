/**
 * Reading a file a person names (a manifest, a requirements file, a connections file): only a regular file
 * (after symbolic links) of a bounded size, checked on the opened descriptor (opened non-blocking, so a FIFO
 * cannot hang it), so what is checked is what is read; `/dev/zero` or a directory is refused instead of read
 * without end.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The UTF-8 text of a regular file of at most `maxBytes`; `what` names the kind of file in the size error. */
export function readRegularFileText(absolutePath: string, maxBytes: number, what: string): string {
  const fd = openSync(absolutePath, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new Error(`it is ${fileKind(stats)}; give a regular file`);
    if (stats.size > maxBytes) throw new Error(`it is ${stats.size} bytes, more than the ${maxBytes} ${what} may be`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
