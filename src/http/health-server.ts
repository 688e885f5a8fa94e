/**
 * The optional HTTP endpoint of the scheduler and the worker (`--http-port`, env `DAGBRIDGE_HTTP_PORT`):
 *
 * - `GET /health`: liveness from local state only (last loop or poll time, heartbeat, connection state), never
 *   a broker or database round trip, so a probe stays cheap and answers even while PostgreSQL or Redis hang.
 *   200 with `{"status":"ok",...}` when every check passes, 503 with `{"status":"unavailable",...}` and the
 *   failing checks' reasons otherwise.
 * - `GET /metrics`: the in-process registry in the Prometheus text format.
 *
 * node:http only; every other path is 404, every other method 405. Nothing here writes to the cluster.
 * It listens on 127.0.0.1 unless told otherwise (`--http-host`), and bounds what a client can hold: open
 * connections, header count and size, and the time to send headers and a whole request, so slow or many
 * sockets cannot pile up (the answers are small and local; nothing legitimate needs more).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { METRICS_CONTENT_TYPE, type MetricsRegistry } from '../lib/metrics.js';

/** One liveness check: its name, whether it passes, and a sentence saying what was seen. */
export interface HealthCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The body of `/health`. */
export interface HealthReport {
  readonly status: 'ok' | 'unavailable';
  /** `scheduler` or `worker`, with its id when it has one. */
  readonly service: string;
  /** ISO 8601 time of the answer. */
  readonly at: string;
  readonly checks: readonly HealthCheck[];
}

/** What the server answers from. */
export interface HealthServerOptions {
  /** Port; 0 picks a free one (tests). */
  port: number;
  /** Interface to listen on. Default `127.0.0.1`: only this machine (a Prometheus elsewhere needs `0.0.0.0`). */
  host?: string;
  /** Limits of what clients may hold open; each has a default in {@link HTTP_LIMITS}. */
  limits?: Partial<HttpLimits>;
  service: string;
  /** The current checks; must read local state only. */
  health: (now: number) => readonly HealthCheck[];
  metrics: MetricsRegistry;
  log: Logger;
  clock?: () => number;
}

/** Bounds on clients of the endpoint. */
export interface HttpLimits {
  /** Open connections at once; more are closed at accept. */
  readonly maxConnections: number;
  /** Headers read per request (the rest are ignored). */
  readonly maxHeadersCount: number;
  /** Bytes of request line plus headers; more is answered 431 and closed. */
  readonly maxHeaderBytes: number;
  /** Time to send the whole header block, ms; a slower client gets 408 and is closed. */
  readonly headersTimeoutMs: number;
  /** Time to send the whole request, ms. */
  readonly requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this long, ms. */
  readonly keepAliveTimeoutMs: number;
}

/** The default limits: generous for a scraper and a probe, small for anyone holding sockets open. */
export const HTTP_LIMITS: HttpLimits = {
  maxConnections: 64,
  maxHeadersCount: 50,
  maxHeaderBytes: 8 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
};

/** The interface served when none is given: this machine only. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

/** A listening endpoint. */
export interface HealthServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** The address actually bound. */
  readonly host: string;
  /** Stops listening and closes idle connections. Idempotent. */
  close(): Promise<void>;
}

/** Builds the `/health` report from checks. */
export function healthReport(service: string, checks: readonly HealthCheck[], now: number): HealthReport {
  return { status: checks.every((check) => check.ok) ? 'ok' : 'unavailable', service, at: new Date(now).toISOString(), checks };
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function handle(options: HealthServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/health' && path !== '/metrics') {
    send(res, 404, 'application/json', `${JSON.stringify({ error: `no such endpoint ${path}: use /health or /metrics` })}\n`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'application/json', `${JSON.stringify({ error: `${req.method ?? '?'} is not allowed: use GET` })}\n`);
    return;
  }
  const now = (options.clock ?? Date.now)();
  if (path === '/metrics') {
    send(res, 200, METRICS_CONTENT_TYPE, options.metrics.render());
    return;
  }
  const report = healthReport(options.service, options.health(now), now);
  send(res, report.status === 'ok' ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
}

/** Starts listening; resolves once bound (rejects when the port is taken, naming it). */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const limits: HttpLimits = { ...HTTP_LIMITS, ...options.limits };
  const host = options.host ?? DEFAULT_HTTP_HOST;
  const server: Server = createServer({ maxHeaderSize: limits.maxHeaderBytes, requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.headersTimeoutMs, keepAliveTimeout: limits.keepAliveTimeoutMs, connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs) }, (req, res) => {
    try {
      handle(options, req, res);
    } catch (error) {
      // A failing check function must not take the process down: answer 500 with the reason.
      options.log.warn('health endpoint failed', { error: errorMessage(error) });
      if (!res.headersSent) send(res, 500, 'application/json', `${JSON.stringify({ error: errorMessage(error) })}\n`);
      else res.destroy();
    }
  });
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = limits.maxHeadersCount;
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new Error(`could not serve /health and /metrics on ${host} port ${options.port}: ${error.code ?? error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => options.log.warn('health endpoint error', { error: errorMessage(error) }));
  const address = server.address() as AddressInfo;
  const port = address.port;
  options.log.info('serving /health and /metrics', { host: address.address, port });
  let closing: Promise<void> | undefined;
  return {
    port,
    host: address.address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
