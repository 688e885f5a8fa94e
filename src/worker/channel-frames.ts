/**
 * Length-prefixed JSON frames of the supervisor channel (src/ports/task-channel.ts): a 4-byte unsigned
 * big-endian length, then the UTF-8 JSON body. The reader never buffers more than one frame's cap: a length
 * above it is reported at once, before its body arrives.
 */
import { FRAME_HEADER_BYTES } from '../ports/task-channel.js';

/** One frame, encoded. Throws a RangeError when the body is above `maxBytes`. */
export function encodeFrame(value: unknown, maxBytes: number): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  if (body.length > maxBytes) throw new RangeError(`a channel message of ${body.length} bytes is above the limit of ${maxBytes} bytes`);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** What {@link FrameReader} hands on: a parsed frame, or why the stream cannot be read further. */
export type FrameEvent =
  | { kind: 'frame'; value: unknown }
  | { kind: 'too_large'; bytes: number }
  | { kind: 'not_json'; message: string };

/**
 * Splits a byte stream into frames. After `too_large` or `not_json` the stream is out of step (or hostile) and
 * the reader stops: the caller answers once and closes the connection.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected: number | null = null;
  private stopped = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onEvent: (event: FrameEvent) => void,
  ) {}

  /** Feeds bytes; calls `onEvent` for each complete frame. */
  write(chunk: Buffer): void {
    if (this.stopped) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.expected === null) {
        if (this.buffered < FRAME_HEADER_BYTES) return;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxBytes) {
          this.stop();
          this.onEvent({ kind: 'too_large', bytes: length });
          return;
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) return;
      const body = this.take(this.expected);
      this.expected = null;
      let value: unknown;
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch (error) {
        this.stop();
        this.onEvent({ kind: 'not_json', message: error instanceof Error ? error.message : String(error) });
        return;
      }
      this.onEvent({ kind: 'frame', value });
      if (this.stopped) return;
    }
  }

  /** Ignores every later byte. */
  stop(): void {
    this.stopped = true;
    this.chunks = [];
    this.buffered = 0;
  }

  private take(bytes: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const head = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }
}
