/**
 * Task log capture: turns the byte chunks a task process writes to stdout and stderr into log lines, as they
 * arrive, with bounded memory whatever the task writes.
 *
 * Invariants:
 * - Memory per stream is bounded by `maxLineBytes`: a line longer than that is cut (on a UTF-8 character
 *   boundary) and the rest of it is counted, not kept; the delivered line ends with a marker that says how many
 *   bytes were cut.
 * - Total delivered output is bounded by `limitBytes` (counted in raw bytes, line terminators included). The
 *   first line that does not fit ends delivery for both streams; everything after it is counted and dropped,
 *   and `finish()` delivers ONE marker line that says how many bytes were dropped.
 * - `receivedBytes === deliveredBytes + truncatedBytes + droppedBytes` once both streams have ended.
 * - Reading never stops: the caller keeps feeding chunks, so the task is never blocked on a full pipe.
 */

/** Which pipe a log line came from. */
export type LogStream = 'stdout' | 'stderr';

/**
 * One line of task output: text without its terminator (`\n` or `\r\n`), and when it was read (epoch ms).
 * Lines dagbridge itself adds (the log limit marker, reports of the task's supervisor) come as `system`, a
 * stream task output cannot write to, so a task cannot forge them.
 */
export interface LogLine {
  readonly stream: LogStream | 'system';
  readonly line: string;
  readonly at: number;
}

/** Default cap of a single log line: 64 KiB. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
/** Default cap of a task attempt's whole log: 64 MiB. */
export const DEFAULT_LOG_LIMIT_BYTES = 64 * 1024 * 1024;

/** Prefix of the marker lines dagbridge adds to a task log. */
export const LOG_MARKER_PREFIX = '[dagbridge]';

/** Settings of a {@link LogCapture}. */
export interface LogCaptureOptions {
  /** Receives every line, synchronously, in the order it was read. */
  readonly onLine: (line: LogLine) => void;
  /** Longest line kept, in bytes (default {@link DEFAULT_MAX_LINE_BYTES}). */
  readonly maxLineBytes?: number;
  /** Most bytes delivered for the whole capture (default {@link DEFAULT_LOG_LIMIT_BYTES}). */
  readonly limitBytes?: number;
  /** Clock for `LogLine.at` (default `Date.now`). */
  readonly now?: () => number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The line being assembled for one stream. */
interface PendingLine {
  parts: Buffer[];
  /** Bytes kept in `parts`. */
  length: number;
  /** Bytes of the current line beyond `maxLineBytes`, counted and discarded. */
  cut: number;
  ended: boolean;
}

/** Splits stdout and stderr chunks into lines under a per-line and a total byte cap. */
export class LogCapture {
  private readonly onLine: (line: LogLine) => void;
  private readonly maxLineBytes: number;
  private readonly limitBytes: number;
  private readonly now: () => number;
  private readonly pending: Record<LogStream, PendingLine> = {
    stdout: { parts: [], length: 0, cut: 0, ended: false },
    stderr: { parts: [], length: 0, cut: 0, ended: false },
  };
  private limitReached = false;
  private finished = false;

  /** Every byte handed to `write`. */
  receivedBytes = 0;
  /** Bytes delivered as (parts of) lines, terminators included. */
  deliveredBytes = 0;
  /** Bytes cut from lines longer than `maxLineBytes`. */
  truncatedBytes = 0;
  /** Bytes dropped because the total limit was reached. */
  droppedBytes = 0;

  constructor(options: LogCaptureOptions) {
    this.onLine = options.onLine;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.limitBytes = options.limitBytes ?? DEFAULT_LOG_LIMIT_BYTES;
    this.now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.maxLineBytes) || this.maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${this.maxLineBytes}`);
    }
    if (!Number.isSafeInteger(this.limitBytes) || this.limitBytes < 0) {
      throw new RangeError(`limitBytes must be a non-negative integer, got ${this.limitBytes}`);
    }
  }

  /** Whether the total limit was reached (later output is only counted). */
  get isLimitReached(): boolean {
    return this.limitReached;
  }

  /** Feeds one chunk read from `stream`. Complete lines are delivered before this returns. */
  write(stream: LogStream, chunk: Uint8Array): void {
    const pending = this.pending[stream];
    if (pending.ended || this.finished) throw new Error(`log capture: write to ${stream} after it ended`);
    this.receivedBytes += chunk.length;
    if (this.limitReached) {
      this.droppedBytes += chunk.length;
      return;
    }
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let start = 0;
    while (start < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, start);
      if (newline === -1) {
        this.append(pending, bytes.subarray(start));
        return;
      }
      if (pending.length === 0 && pending.cut === 0 && newline - start <= this.maxLineBytes) {
        // The usual case, a whole line inside one chunk: decoded in place, no copy.
        this.deliver(stream, bytes, start, newline, 0, 1);
      } else {
        this.append(pending, bytes.subarray(start, newline));
        this.completeLine(stream, 1);
      }
      start = newline + 1;
      if (this.limitReached) {
        this.droppedBytes += bytes.length - start;
        return;
      }
    }
  }

  /** Marks `stream` as closed: a last line without a terminator is delivered. */
  end(stream: LogStream): void {
    const pending = this.pending[stream];
    if (pending.ended) return;
    if (!this.limitReached && (pending.length > 0 || pending.cut > 0)) this.completeLine(stream, 0);
    pending.ended = true;
  }

  /**
   * Ends both streams and, when the limit was reached, delivers the one marker line that says how many bytes
   * were dropped. Idempotent.
   */
  finish(): void {
    if (this.finished) return;
    this.end('stdout');
    this.end('stderr');
    this.finished = true;
    if (this.limitReached) {
      this.onLine({
        stream: 'system',
        line:
          `${LOG_MARKER_PREFIX} log limit of ${this.limitBytes} bytes reached: ` +
          `${this.droppedBytes} further bytes of output were dropped`,
        at: this.now(),
      });
    }
  }

  private append(pending: PendingLine, segment: Buffer): void {
    if (segment.length === 0) return;
    const room = this.maxLineBytes - pending.length;
    if (pending.cut > 0 || room <= 0) {
      pending.cut += segment.length;
      return;
    }
    if (segment.length <= room) {
      // Copied: a subarray would keep the whole chunk it came from alive until the line completes.
      pending.parts.push(Buffer.from(segment));
      pending.length += segment.length;
      return;
    }
    const keep = utf8Boundary(segment, room);
    pending.parts.push(Buffer.from(segment.subarray(0, keep)));
    pending.length += keep;
    pending.cut += segment.length - keep;
  }

  private completeLine(stream: LogStream, terminatorBytes: number): void {
    const pending = this.pending[stream];
    const { length, cut } = pending;
    const kept = pending.parts.length === 1 ? (pending.parts[0] as Buffer) : Buffer.concat(pending.parts, length);
    pending.parts = [];
    pending.length = 0;
    pending.cut = 0;
    this.deliver(stream, kept, 0, length, cut, terminatorBytes);
  }

  /** Delivers `bytes[start, end)` as one line (unless it no longer fits the limit). */
  private deliver(
    stream: LogStream,
    bytes: Buffer,
    start: number,
    end: number,
    cut: number,
    terminatorBytes: number,
  ): void {
    const length = end - start;
    if (this.deliveredBytes + length + terminatorBytes > this.limitBytes) {
      this.reachLimit(length + cut + terminatorBytes);
      return;
    }
    // `\r\n` ends a line too; a `\r` that was cut with the tail of a long line is simply gone.
    const stripCr = cut === 0 && length > 0 && bytes[end - 1] === CARRIAGE_RETURN;
    const text = bytes.toString('utf8', start, stripCr ? end - 1 : end);
    this.deliveredBytes += length + terminatorBytes;
    this.truncatedBytes += cut;
    this.onLine({
      stream,
      line: cut === 0 ? text : `${text} ${LOG_MARKER_PREFIX} line truncated: ${cut} more bytes dropped`,
      at: this.now(),
    });
  }

  /** Stops delivery: the refused line and whatever the other stream holds are dropped. */
  private reachLimit(refusedBytes: number): void {
    this.limitReached = true;
    this.droppedBytes += refusedBytes;
    for (const pending of Object.values(this.pending)) {
      this.droppedBytes += pending.length + pending.cut;
      pending.parts = [];
      pending.length = 0;
      pending.cut = 0;
    }
  }
}

/**
 * The largest cut position <= `limit` that does not split a UTF-8 character of `bytes` (continuation bytes
 * are `10xxxxxx`; a character is at most 4 bytes, so at most 3 steps back).
 */
export function utf8Boundary(bytes: Uint8Array, limit: number): number {
  if (limit >= bytes.length) return bytes.length;
  let cut = limit;
  for (let step = 0; step < 3 && cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80; step += 1) cut -= 1;
  return ((bytes[cut] as number) & 0xc0) === 0x80 ? limit : cut;
}
