import { describe, expect, it } from 'vitest';
import { LogCapture, utf8Boundary, type LogCaptureOptions, type LogLine } from './log-lines.js';

function capture(options: Partial<LogCaptureOptions> = {}): { log: LogCapture; lines: LogLine[] } {
  const lines: LogLine[] = [];
  let clock = 1000;
  const log = new LogCapture({ onLine: (line) => lines.push(line), now: () => clock++, ...options });
  return { log, lines };
}

const text = (lines: LogLine[]): string[] => lines.map((entry) => `${entry.stream}:${entry.line}`);

describe('LogCapture line splitting', () => {
  it('delivers complete lines as they arrive and keeps a partial line until it completes', () => {
    const { log, lines } = capture();
    log.write('stdout', Buffer.from('one\ntw'));
    expect(text(lines)).toEqual(['stdout:one']);
    log.write('stdout', Buffer.from('o\nthr'));
    expect(text(lines)).toEqual(['stdout:one', 'stdout:two']);
    log.write('stdout', Buffer.from('ee'));
    log.end('stdout');
    expect(text(lines)).toEqual(['stdout:one', 'stdout:two', 'stdout:three']);
    expect(lines.map((entry) => entry.at)).toEqual([1000, 1001, 1002]);
  });

  it('strips CRLF, also when the CR and LF arrive in different chunks, and keeps empty lines', () => {
    const { log, lines } = capture();
    log.write('stderr', Buffer.from('a\r\n\r\nb\r'));
    log.write('stderr', Buffer.from('\nc\rd\n\n'));
    log.finish();
    expect(text(lines)).toEqual(['stderr:a', 'stderr:', 'stderr:b', 'stderr:c\rd', 'stderr:']);
  });

  it('keeps stdout and stderr partial lines apart', () => {
    const { log, lines } = capture();
    log.write('stdout', Buffer.from('out-'));
    log.write('stderr', Buffer.from('err-'));
    log.write('stdout', Buffer.from('1\n'));
    log.write('stderr', Buffer.from('1\n'));
    expect(text(lines)).toEqual(['stdout:out-1', 'stderr:err-1']);
  });

  it('decodes a multi-byte character split across chunks', () => {
    const { log, lines } = capture();
    const bytes = Buffer.from('zß€😀\n');
    for (const byte of bytes) log.write('stdout', Buffer.of(byte));
    expect(text(lines)).toEqual(['stdout:zß€😀']);
  });

  it('delivers nothing for a stream that ends without output, and a final line without terminator', () => {
    const { log, lines } = capture();
    log.write('stdout', Buffer.from('last'));
    log.finish();
    log.finish();
    expect(text(lines)).toEqual(['stdout:last']);
    expect(log.receivedBytes).toBe(4);
    expect(log.deliveredBytes).toBe(4);
  });

  it('refuses writes after a stream ended', () => {
    const { log } = capture();
    log.end('stdout');
    expect(() => log.write('stdout', Buffer.from('x'))).toThrow('write to stdout after it ended');
  });
});

describe('LogCapture per-line cap', () => {
  it('cuts a long line at the cap, says how many bytes were cut, and keeps the next line whole', () => {
    const { log, lines } = capture({ maxLineBytes: 8 });
    log.write('stdout', Buffer.from('0123456789'));
    log.write('stdout', Buffer.from('abcdef\r\nnext\n'));
    expect(text(lines)).toEqual(['stdout:01234567 [dagbridge] line truncated: 9 more bytes dropped', 'stdout:next']);
    expect(log.truncatedBytes).toBe(9);
    expect(log.deliveredBytes).toBe(8 + 1 + 5);
    expect(log.receivedBytes).toBe(log.deliveredBytes + log.truncatedBytes + log.droppedBytes);
  });

  it('keeps a line of exactly the cap whole, whether it arrives in one chunk or in pieces', () => {
    const { log, lines } = capture({ maxLineBytes: 4 });
    log.write('stdout', Buffer.from('abcd\nabcde\n'));
    log.write('stdout', Buffer.from('ab'));
    log.write('stdout', Buffer.from('cd\nab'));
    log.write('stdout', Buffer.from('cde\n'));
    expect(text(lines)).toEqual([
      'stdout:abcd',
      'stdout:abcd [dagbridge] line truncated: 1 more bytes dropped',
      'stdout:abcd',
      'stdout:abcd [dagbridge] line truncated: 1 more bytes dropped',
    ]);
  });

  it('does not split a UTF-8 character at the cap', () => {
    const { log, lines } = capture({ maxLineBytes: 5 });
    log.write('stdout', Buffer.from('abcd€x\n')); // € is 3 bytes: cut before it
    expect(text(lines)).toEqual(['stdout:abcd [dagbridge] line truncated: 4 more bytes dropped']);
  });

  it('holds at most maxLineBytes of a line that never ends', () => {
    const { log, lines } = capture({ maxLineBytes: 1024 });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let index = 0; index < 100; index += 1) log.write('stdout', chunk);
    log.finish();
    expect(lines).toHaveLength(1);
    expect(lines[0]?.line).toBe(`${'a'.repeat(1024)} [dagbridge] line truncated: ${100 * 64 * 1024 - 1024} more bytes dropped`);
  });
});

describe('LogCapture total limit', () => {
  it('stops at the first line that does not fit and ends with one marker line counting the dropped bytes', () => {
    const { log, lines } = capture({ limitBytes: 10 });
    log.write('stdout', Buffer.from('1234\n')); // 5 bytes
    log.write('stderr', Buffer.from('abcd\n')); // 10 bytes: exactly the limit
    log.write('stderr', Buffer.from('part'));
    log.write('stdout', Buffer.from('x\nmore\n')); // 'x\n' does not fit
    log.write('stdout', Buffer.from('later\n'));
    log.finish();
    expect(text(lines)).toEqual([
      'stdout:1234',
      'stderr:abcd',
      'system:[dagbridge] log limit of 10 bytes reached: 17 further bytes of output were dropped',
    ]);
    expect(log.droppedBytes).toBe(2 + 5 + 6 + 4);
    expect(log.receivedBytes).toBe(log.deliveredBytes + log.truncatedBytes + log.droppedBytes);
    expect(log.isLimitReached).toBe(true);
  });

  it('counts a flood after the limit without splitting it', () => {
    const { log, lines } = capture({ limitBytes: 1000 });
    const chunk = Buffer.from('y'.repeat(99) + '\n');
    for (let index = 0; index < 1000; index += 1) log.write('stdout', chunk);
    log.finish();
    expect(lines).toHaveLength(11);
    expect(lines[10]?.line).toBe('[dagbridge] log limit of 1000 bytes reached: 99000 further bytes of output were dropped');
    expect(log.deliveredBytes).toBe(1000);
  });

  it('emits no marker when everything fitted', () => {
    const { log, lines } = capture({ limitBytes: 4 });
    log.write('stdout', Buffer.from('abc\n'));
    log.finish();
    expect(text(lines)).toEqual(['stdout:abc']);
  });

  it('rejects nonsensical caps', () => {
    expect(() => capture({ maxLineBytes: 0 })).toThrow('maxLineBytes');
    expect(() => capture({ limitBytes: -1 })).toThrow('limitBytes');
  });
});

describe('utf8Boundary', () => {
  it.each([
    ['abc', 2, 2],
    ['abc', 9, 3],
    ['a€', 2, 1],
    ['a€', 3, 1],
    ['a€b', 4, 4],
    ['😀', 3, 0],
  ])('%s cut at %d -> %d', (value, limit, expected) => {
    expect(utf8Boundary(Buffer.from(value), limit)).toBe(expected);
  });
});
