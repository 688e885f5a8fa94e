import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { encodeFrame, FrameReader, type FrameEvent } from './channel-frames.js';
import { ChannelRefusal, channelHandler, startChannelServer, type ChannelServer } from './channel-server.js';

const scope = { dagId: 'd', runId: 'r', taskId: 't', mapIndex: -1, tryNumber: 1 };
const handlers = new Map([
  ['echo', channelHandler(z.object({ text: z.string() }), async ({ text }, s) => ({ text, taskId: s.taskId }))],
  ['refuse', channelHandler(z.object({}), async () => { throw new ChannelRefusal('forbidden', 'not yours'); })],
  ['explode', channelHandler(z.object({}), async () => { throw new Error('store unreachable'); })],
  ['big', channelHandler(z.object({ bytes: z.number() }), async ({ bytes }) => 'x'.repeat(bytes))],
]);

let dir: string;
let server: ChannelServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A raw client: sends frames, collects the answers until the server closes or `count` arrived. */
async function converse(address: string, frames: Buffer[], count: number): Promise<unknown[]> {
  const socket = net.connect(address.startsWith('@') ? `\0${address.slice(1)}` : address);
  const answers: unknown[] = [];
  return new Promise((resolve, reject) => {
    const reader = new FrameReader(64 * 1024 * 1024, (event: FrameEvent) => {
      if (event.kind !== 'frame') return reject(new Error(event.kind));
      answers.push(event.value);
      if (answers.length === count) socket.end();
    });
    socket.on('data', (chunk: Buffer) => reader.write(chunk));
    socket.on('error', () => resolve(answers));
    socket.on('close', () => resolve(answers));
    for (const frame of frames) socket.write(frame);
  });
}

const frame = (value: unknown): Buffer => encodeFrame(value, 1 << 30);
const hello = (token: string): Buffer => frame({ v: 1, kind: 'hello', token });
const request = (id: number, kind: string, payload: unknown): Buffer => frame({ v: 1, id, kind, payload });

async function start(limits: Record<string, number> = {}, attemptDir?: string): Promise<ChannelServer> {
  dir = await mkdtemp(path.join(tmpdir(), 'channel-'));
  server = await startChannelServer({ attemptDir: attemptDir ?? dir, scope, handlers, limits });
  return server;
}

describe('channel server', () => {
  it('answers requests in order for its scope, with typed refusals', async () => {
    const s = await start();
    const answers = await converse(s.address.socket, [
      hello(s.address.token),
      request(1, 'echo', { text: 'hi' }),
      request(2, 'echo', { text: 3 }),
      request(3, 'refuse', {}),
      request(4, 'explode', {}),
      request(5, 'nope', {}),
      frame({ v: 2, id: 6, kind: 'echo', payload: {} }),
    ], 7);
    expect(answers[0]).toEqual({ v: 1, id: null, ok: true, result: { maxMessageBytes: 32 * 1024 * 1024, maxRequests: 100_000, kinds: ['big', 'echo', 'explode', 'refuse'] } });
    expect(answers.slice(1)).toEqual([
      { v: 1, id: 1, ok: true, result: { text: 'hi', taskId: 't' } },
      { v: 1, id: 2, ok: false, error: { code: 'invalid', message: 'echo: payload.text: Expected string, received number' } },
      { v: 1, id: 3, ok: false, error: { code: 'forbidden', message: 'refuse: not yours' } },
      { v: 1, id: 4, ok: false, error: { code: 'unavailable', message: 'explode: the worker could not answer: store unreachable' } },
      { v: 1, id: 5, ok: false, error: { code: 'unknown_kind', message: 'nope: no such channel request; this worker serves big, echo, explode, refuse' } },
      { v: 1, id: 6, ok: false, error: { code: 'invalid', message: 'a channel request does not match protocol version 1: v: Invalid literal value, expected 1' } },
    ]);
    expect(s.stats.requests).toBe(5);
  });

  it('closes a connection that does not present the token, before reading anything else', async () => {
    const s = await start();
    const answers = await converse(s.address.socket, [hello('wrong'), request(1, 'echo', { text: 'hi' })], 2);
    expect(answers).toEqual([{ v: 1, id: null, ok: false, error: { code: 'unauthorized', message: expect.stringContaining('"kind": "hello"') } }]);
    const none = await converse(s.address.socket, [request(1, 'echo', { text: 'hi' })], 1);
    expect(none).toEqual([{ v: 1, id: null, ok: false, error: { code: 'unauthorized', message: expect.any(String) } }]);
  });

  it('caps the size of a message both ways and the requests of an attempt', async () => {
    const s = await start({ maxMessageBytes: 1000, maxRequests: 3 });
    const big = await converse(s.address.socket, [hello(s.address.token), request(1, 'echo', { text: 'x'.repeat(2000) })], 2);
    expect(big[1]).toEqual({ v: 1, id: null, ok: false, error: { code: 'limit', message: expect.stringMatching(/^a channel message of 20\d\d bytes is above the limit of 1000 bytes \(maxMessageBytes\)/) } });
    const answers = await converse(s.address.socket, [
      hello(s.address.token),
      request(1, 'big', { bytes: 5000 }),
      request(2, 'echo', { text: 'a' }),
      request(3, 'echo', { text: 'b' }),
      request(4, 'echo', { text: 'c' }),
    ], 5);
    expect(answers.slice(1)).toEqual([
      { v: 1, id: 1, ok: false, error: { code: 'limit', message: expect.stringMatching(/^a channel message of 50\d\d bytes is above the limit of 1000 bytes/) } },
      { v: 1, id: 2, ok: true, result: { text: 'a', taskId: 't' } },
      { v: 1, id: 3, ok: true, result: { text: 'b', taskId: 't' } },
      { v: 1, id: 4, ok: false, error: { code: 'limit', message: 'echo: the task has sent 3 channel requests, the limit of one attempt (channelMaxRequests, DAGBRIDGE_CHANNEL_MAX_REQUESTS)' } },
    ]);
  });

  it('listens on an abstract socket when the attempt path does not fit a socket address', async () => {
    const long = path.join(tmpdir(), 'x'.repeat(120));
    const s = await start({}, long);
    expect([s.address.socket.startsWith('@dagbridge-channel-'), s.address.file]).toEqual([true, null]);
    const answers = await converse(s.address.socket, [hello(s.address.token), request(1, 'echo', { text: 'far' })], 2);
    expect(answers[1]).toEqual({ v: 1, id: 1, ok: true, result: { text: 'far', taskId: 't' } });
  });
});
