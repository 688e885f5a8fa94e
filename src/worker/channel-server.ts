/**
 * The worker's end of an attempt's supervisor channel (src/ports/task-channel.ts, docs/shim.md): a unix domain
 * socket in the attempt's private directory, its path and a per-attempt token handed to the task through its
 * environment. Node cannot pass file descriptors to a forked or exec'd child beyond stdio, so a socket path is
 * how both a fresh interpreter and a fork server's child find it.
 *
 * Invariants:
 * - A connection must present the attempt's token in its first frame, or it is answered `unauthorized` and
 *   closed. Nothing else is read before that.
 * - Every request is answered by one handler of the registry with the attempt's {@link ChannelScope}: handlers
 *   decide what that task instance may read and write; the server never widens it.
 * - Requests on one connection are answered one at a time, in order; the caps of {@link ChannelLimits} hold for
 *   the attempt as a whole. A frame above the size cap or not JSON is answered once and the connection closed.
 * - Handler failures are responses, never exceptions: the worker's attempt does not fail because a task asked
 *   for something wrong.
 */
import { retrying } from '../lib/retry.js';
import { silentLogger } from '../lib/logger.js';
import { isUnreachable } from '../lib/unreachable.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { z } from 'zod';
import { errorMessage } from '../lib/errors.js';
import {
  CHANNEL_PROTOCOL_VERSION,
  channelHelloSchema,
  channelRequestSchema,
  DEFAULT_CHANNEL_LIMITS,
  type ChannelErrorCode,
  type ChannelLimits,
  type ChannelResponse,
  type ChannelWelcome,
} from '../ports/task-channel.js';
import { encodeFrame, FrameReader, type FrameEvent } from './channel-frames.js';

/** The task instance attempt a channel belongs to: every request is answered for it and only it. */
export interface ChannelScope {
  readonly dagId: string;
  readonly runId: string;
  readonly taskId: string;
  readonly mapIndex: number;
  readonly tryNumber: number;
}

/** A refusal a handler raises: answered as an error response with this code, the message as given. */
export class ChannelRefusal extends Error {
  constructor(
    readonly code: Exclude<ChannelErrorCode, 'unauthorized' | 'internal'>,
    message: string,
  ) {
    super(message);
    this.name = 'ChannelRefusal';
  }
}

/** One request kind: its payload schema and the answer for a scope. */
export interface ChannelHandler<Schema extends z.ZodTypeAny = z.ZodTypeAny> {
  readonly payload: Schema;
  handle(payload: z.infer<Schema>, scope: ChannelScope): Promise<unknown>;
}

/** The request kinds a channel serves, by name. */
export type ChannelHandlers = ReadonlyMap<string, ChannelHandler>;

/** Builds one handler entry with its payload type inferred. */
export function channelHandler<Schema extends z.ZodTypeAny>(payload: Schema, handle: (payload: z.infer<Schema>, scope: ChannelScope) => Promise<unknown>): ChannelHandler {
  // A request that meets a PostgreSQL outage waits for the store (bounded), as the worker's own writes do: a
  // restart of the database must not fail the task that asked.
  return {
    payload,
    handle: (value, scope) => retrying(() => handle(value, scope), { what: 'answer a task channel request', log: silentLogger, retryIf: isUnreachable, maxElapsedMs: 120_000, maxDelayMs: 2_000 }),
  };
}

/** Longest socket path a `sockaddr_un` holds on Linux (108 bytes with the NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/** Where the task finds the channel, for its environment. */
export interface ChannelAddress {
  /** A filesystem path, or `@name` for a Linux abstract socket (used when the attempt path is too long). */
  readonly socket: string;
  readonly token: string;
  /** The socket file, when there is one (the supervisor gives it to a run-as user). */
  readonly file: string | null;
}

/** Counts of what a channel served, for the attempt's log. */
export interface ChannelStats {
  requests: number;
  refused: number;
  connections: number;
  /** Bytes received from the task and sent to it, frames included. */
  bytesIn: number;
  bytesOut: number;
}

/** Options of {@link startChannelServer}. */
export interface ChannelServerOptions {
  /** The attempt's private directory; the socket is created in it. */
  readonly attemptDir: string;
  readonly scope: ChannelScope;
  readonly handlers: ChannelHandlers;
  readonly limits?: Partial<ChannelLimits>;
  /** A problem worth a line in the task log (a limit reached, a bad token). */
  readonly onProblem?: (message: string) => void;
}

/** A listening channel. `close()` is idempotent and ends open connections. */
export interface ChannelServer {
  readonly address: ChannelAddress;
  readonly stats: Readonly<ChannelStats>;
  close(): Promise<void>;
}

/** Starts listening for one attempt. Rejects when the socket cannot be created. */
export async function startChannelServer(options: ChannelServerOptions): Promise<ChannelServer> {
  const limits: ChannelLimits = { ...DEFAULT_CHANNEL_LIMITS, ...options.limits };
  const token = randomBytes(32).toString('hex');
  const expected = Buffer.from(token, 'utf8');
  const file = path.join(options.attemptDir, 'channel.sock');
  const abstract = Buffer.byteLength(file) > MAX_SOCKET_PATH_BYTES;
  // An abstract name has no file permissions; the token is what keeps other processes out.
  const listenPath = abstract ? `\0dagbridge-channel-${randomBytes(12).toString('hex')}` : file;
  const stats: ChannelStats = { requests: 0, refused: 0, connections: 0, bytesIn: 0, bytesOut: 0 };
  const sockets = new Set<net.Socket>();
  const welcome: ChannelWelcome = { maxMessageBytes: limits.maxMessageBytes, maxRequests: limits.maxRequests, kinds: [...options.handlers.keys()].sort() };
  const problem = (message: string): void => options.onProblem?.(message);
  let limitReported = false;

  const server = net.createServer((socket) => {
    if (sockets.size >= limits.maxConnections) {
      stats.refused += 1;
      problem(`channel: refused a connection: ${limits.maxConnections} are open already (the limit)`);
      socket.end(frameOf({ v: CHANNEL_PROTOCOL_VERSION, id: null, ok: false, error: { code: 'limit', message: `the channel allows ${limits.maxConnections} connections at once` } }, limits));
      return;
    }
    sockets.add(socket);
    stats.connections += 1;
    socket.on('error', () => socket.destroy());
    socket.once('close', () => sockets.delete(socket));
    let authenticated = false;
    let chain = Promise.resolve();
    const send = (response: ChannelResponse): void => {
      if (socket.destroyed) return;
      const frame = frameOf(response, limits);
      stats.bytesOut += frame.length;
      socket.write(frame);
    };
    const fail = (id: number | null, code: ChannelErrorCode, message: string): ChannelResponse => ({ v: CHANNEL_PROTOCOL_VERSION, id, ok: false, error: { code, message } });
    const reader = new FrameReader(limits.maxMessageBytes, (event: FrameEvent) => {
      if (event.kind !== 'frame') {
        const message = event.kind === 'too_large'
          ? `a channel message of ${event.bytes} bytes is above the limit of ${limits.maxMessageBytes} bytes (maxMessageBytes); push large data to external storage and pass a reference`
          : `a channel message is not JSON: ${event.message}`;
        problem(`channel: ${message}; connection closed`);
        chain = chain.then(() => {
          send(fail(null, event.kind === 'too_large' ? 'limit' : 'invalid', message));
          socket.end();
        });
        return;
      }
      if (!authenticated) {
        const hello = channelHelloSchema.safeParse(event.value);
        const given = hello.success ? Buffer.from(hello.data.token, 'utf8') : Buffer.alloc(0);
        if (!hello.success || given.length !== expected.length || !timingSafeEqual(given, expected)) {
          stats.refused += 1;
          problem('channel: a connection presented no valid token and was closed');
          reader.stop();
          socket.end(frameOf(fail(null, 'unauthorized', `the first channel message must be {"v": ${CHANNEL_PROTOCOL_VERSION}, "kind": "hello", "token": <the attempt's token>}`), limits));
          return;
        }
        authenticated = true;
        send({ v: CHANNEL_PROTOCOL_VERSION, id: null, ok: true, result: welcome });
        return;
      }
      chain = chain.then(async () => send(await answer(event.value)));
    });
    const answer = async (value: unknown): Promise<ChannelResponse> => {
      const request = channelRequestSchema.safeParse(value);
      const rawId = (value as { id?: unknown } | null)?.id;
      const id = typeof rawId === 'number' && Number.isInteger(rawId) ? rawId : null;
      if (!request.success) {
        const issue = request.error.issues[0];
        return fail(id, 'invalid', `a channel request does not match protocol version ${CHANNEL_PROTOCOL_VERSION}: ${issue?.path.join('.') || 'the message'}: ${issue?.message}`);
      }
      const { kind, payload } = request.data;
      if (stats.requests >= limits.maxRequests) {
        stats.refused += 1;
        if (!limitReported) problem(`channel: the task sent more than ${limits.maxRequests} requests; later requests are refused (channelMaxRequests, DAGBRIDGE_CHANNEL_MAX_REQUESTS)`);
        limitReported = true;
        return fail(id, 'limit', `${kind}: the task has sent ${limits.maxRequests} channel requests, the limit of one attempt (channelMaxRequests, DAGBRIDGE_CHANNEL_MAX_REQUESTS)`);
      }
      stats.requests += 1;
      const handler = options.handlers.get(kind);
      if (!handler) return fail(id, 'unknown_kind', `${kind}: no such channel request; this worker serves ${welcome.kinds.join(', ')}`);
      const parsed = handler.payload.safeParse(payload);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return fail(id, 'invalid', `${kind}: payload.${issue?.path.join('.') ?? ''}: ${issue?.message}`);
      }
      try {
        // An answer above the frame cap becomes a `limit` error when it is framed (frameOf).
        return { v: CHANNEL_PROTOCOL_VERSION, id, ok: true, result: (await handler.handle(parsed.data, options.scope)) ?? null };
      } catch (thrown) {
        if (thrown instanceof ChannelRefusal) {
          stats.refused += 1;
          return fail(id, thrown.code, `${kind}: ${thrown.message}`);
        }
        return fail(id, 'unavailable', `${kind}: the worker could not answer: ${errorMessage(thrown)}`);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      stats.bytesIn += chunk.length;
      reader.write(chunk);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => problem(`channel: ${errorMessage(error)}`));
  if (!abstract) await chmod(file, 0o600);

  let closing: Promise<void> | null = null;
  return {
    address: { socket: abstract ? `@${listenPath.slice(1)}` : file, token, file: abstract ? null : file },
    stats,
    close: () => {
      closing ??= (async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (!abstract) await rm(file, { force: true });
      })();
      return closing;
    },
  };
}

/** A response frame; one too large to send becomes a `limit` error (the frame cap holds both ways). */
function frameOf(response: ChannelResponse, limits: ChannelLimits): Buffer {
  try {
    return encodeFrame(response, limits.maxMessageBytes);
  } catch (error) {
    return encodeFrame({ v: CHANNEL_PROTOCOL_VERSION, id: response.id, ok: false, error: { code: 'limit', message: errorMessage(error) } }, limits.maxMessageBytes);
  }
}
