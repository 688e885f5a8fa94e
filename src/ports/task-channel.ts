/**
 * The supervisor channel of contract 3 (docs/shim.md "The supervisor channel"): while a task runs it asks its
 * worker, over a per-attempt unix domain socket, for what Airflow lets a task read at run time (XComs of any task
 * or run, Variables, Connections, other DAGs' states) and writes its own XComs and Variables through it. The
 * task holds no database credentials; the worker answers from its store, scoped to the task instance that holds
 * the channel.
 *
 * Frames: a 4-byte unsigned big-endian length, then that many bytes of UTF-8 JSON (one object). The first frame
 * of a connection is a {@link channelHelloSchema} carrying the attempt's token; then each request frame gets one
 * response frame with the same `id`, in order.
 */
import { z } from 'zod';

/** Version of the channel's messages (`v` in every frame), inside contract 3. */
export const CHANNEL_PROTOCOL_VERSION = 1;

/** Environment variable naming the socket (a path, or `@name` for a Linux abstract socket). */
export const CHANNEL_SOCKET_ENV = 'DAGBRIDGE_CHANNEL_SOCKET';
/** Environment variable holding the attempt's token, checked in the hello frame. */
export const CHANNEL_TOKEN_ENV = 'DAGBRIDGE_CHANNEL_TOKEN';

/** Bytes of a frame's length prefix. */
export const FRAME_HEADER_BYTES = 4;

/** Caps of one attempt's channel. */
export interface ChannelLimits {
  /** Largest frame, either way, in bytes (the JSON body). Default {@link DEFAULT_CHANNEL_LIMITS}. */
  readonly maxMessageBytes: number;
  /** Requests answered over the attempt's whole life (all connections); later ones are refused. */
  readonly maxRequests: number;
  /** Connections open at once. */
  readonly maxConnections: number;
}

/**
 * Defaults: 32 MiB per message (the result file's cap: an XCom that fits one fits the other), 100 000 requests
 * (a poke-mode sensor poking every 5 s for a day sends about 17 000), 8 connections (a task's own subprocesses).
 */
export const DEFAULT_CHANNEL_LIMITS: ChannelLimits = Object.freeze({
  maxMessageBytes: 32 * 1024 * 1024,
  maxRequests: 100_000,
  maxConnections: 8,
});

/** The first frame of a connection. */
export const channelHelloSchema = z.object({
  v: z.literal(CHANNEL_PROTOCOL_VERSION),
  kind: z.literal('hello'),
  token: z.string().min(1).max(256),
});

/** A request frame. `kind` names the handler; `payload` is checked by that handler's schema. */
export const channelRequestSchema = z.object({
  v: z.literal(CHANNEL_PROTOCOL_VERSION),
  id: z.number().int().nonnegative(),
  kind: z.string().min(1).max(100),
  payload: z.record(z.unknown()),
});
export type ChannelRequest = z.infer<typeof channelRequestSchema>;

/**
 * Why a request was not answered:
 * - `unauthorized`: the hello's token is not the attempt's (the connection is closed);
 * - `invalid`: the frame or the payload does not match the protocol (names the field);
 * - `unknown_kind`: no handler of that kind;
 * - `forbidden`: outside the task instance's scope (another task's XCom write, ...);
 * - `limit`: a cap of {@link ChannelLimits} (the message names it and its value);
 * - `unavailable`: the worker could not answer (its store is unreachable); the task may retry;
 * - `internal`: a bug in the worker.
 */
export type ChannelErrorCode = 'unauthorized' | 'invalid' | 'unknown_kind' | 'forbidden' | 'limit' | 'unavailable' | 'internal';

/** A response frame. `id` is null only for a frame that could not be read (its id is unknown). */
export type ChannelResponse =
  | { v: typeof CHANNEL_PROTOCOL_VERSION; id: number | null; ok: true; result: unknown }
  | { v: typeof CHANNEL_PROTOCOL_VERSION; id: number | null; ok: false; error: { code: ChannelErrorCode; message: string } };

/** What the hello's response carries: the caps (so the client refuses an oversized message before sending). */
export interface ChannelWelcome {
  readonly maxMessageBytes: number;
  readonly maxRequests: number;
  readonly kinds: readonly string[];
}
