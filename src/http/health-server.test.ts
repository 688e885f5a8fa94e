// Binds loopback only, port 0, and closes what it opened.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { MetricsRegistry } from '../lib/metrics.js';
import { startHealthServer, type HealthServer } from './health-server.js';

let server: HealthServer | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = null;
});

/** A connected client socket and what the server sent before the socket closed. */
interface Client {
  readonly socket: Socket;
  readonly closed: Promise<string>;
}

function open(port: number): Promise<Client> {
  return new Promise((resolve) => {
    let received = '';
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    const closed = new Promise<string>((done) => socket.on('close', () => done(received)));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    // A dropped connection may be reset: the close above reports it.
    socket.on('error', () => undefined);
    socket.on('connect', () => resolve({ socket, closed }));
  });
}

const start = (extra: Partial<Parameters<typeof startHealthServer>[0]> = {}): Promise<HealthServer> =>
  startHealthServer({ port: 0, service: 'worker', health: () => [], metrics: new MetricsRegistry(), log: silentLogger, ...extra });

describe('health server', () => {
  it('listens on 127.0.0.1 when no host is given', async () => {
    server = await start();
    expect(server.host).toBe('127.0.0.1');
  });

  it('closes connections beyond maxConnections at accept', async () => {
    server = await start({ limits: { maxConnections: 2 } });
    await open(server.port);
    await open(server.port);
    const third = await open(server.port);
    expect(await third.closed).toBe('');
  });

  it('closes a client that never finishes its headers', async () => {
    server = await start({ limits: { headersTimeoutMs: 1_000, requestTimeoutMs: 1_000 } });
    const slow = await open(server.port);
    slow.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    // Closed by the server (Node's own default would keep it for 60 s, past this test's hang guard); nothing answered.
    expect(await slow.closed).toBe('');
  });

  it('refuses a header block over the size limit', async () => {
    server = await start();
    const big = await open(server.port);
    big.socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Fill: ${'a'.repeat(10_000)}\r\n\r\n`);
    // The 16 KiB default of Node would have answered 200.
    expect(await big.closed).not.toMatch(/^HTTP\/1\.1 200/);
  });
});
