import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { sleep } from '../lib/sleep.js';
import { listenForChanges, type ListenPool } from './change-listener.js';

/** A pool client that counts releases the way pg-pool does: a second release throws. */
class FakeClient extends EventEmitter {
  releases = 0;
  queries: string[] = [];
  failNext: Error | null = null;
  onQuery: ((sql: string) => void) | null = null;

  async query(sql: string): Promise<void> {
    this.queries.push(sql);
    this.onQuery?.(sql);
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = null;
      throw error;
    }
  }

  release(): void {
    this.releases += 1;
    if (this.releases > 1) throw new Error('Release called on client which has already been released to the pool.');
  }
}

function fakePool(): { pool: ListenPool; clients: FakeClient[]; prepare: (setup: (client: FakeClient) => void) => void } {
  const clients: FakeClient[] = [];
  const setups: Array<(client: FakeClient) => void> = [];
  const pool = {
    connect: async () => {
      const client = new FakeClient();
      setups.shift()?.(client);
      clients.push(client);
      return client as unknown as pg.PoolClient;
    },
  } as unknown as ListenPool;
  return { pool, clients, prepare: (setup) => setups.push(setup) };
}

describe('listenForChanges', () => {
  it('wakes the subscriber on listening and on each notification, and gives the client back once on stop', async () => {
    const { pool, clients } = fakePool();
    let wakes = 0;
    const stop = await listenForChanges(pool, () => (wakes += 1), silentLogger, { retryMs: 5 });
    expect(wakes).toBe(1);
    clients[0]!.emit('notification', { channel: 'dagbridge_changes' });
    expect(wakes).toBe(2);
    await stop();
    expect(clients[0]!.queries).toEqual(['LISTEN dagbridge_changes', 'UNLISTEN dagbridge_changes']);
    expect(clients[0]!.releases).toBe(1);
  });

  it('releases a lost connection once however many errors it reports, and listens again on one new connection', async () => {
    const { pool, clients } = fakePool();
    let wakes = 0;
    const stop = await listenForChanges(pool, () => (wakes += 1), silentLogger, { retryMs: 5 });
    clients[0]!.emit('error', new Error('read ECONNRESET'));
    clients[0]!.emit('error', new Error('Connection terminated unexpectedly'));
    await sleep(50);
    expect(clients[0]!.releases).toBe(1);
    expect(clients.length).toBe(2);
    expect(wakes).toBe(2);
    await stop();
    expect(clients[1]!.releases).toBe(1);
  });

  it('does not release twice when the connection fails while stop() gives it back', async () => {
    const { pool, clients } = fakePool();
    const stop = await listenForChanges(pool, () => undefined, silentLogger, { retryMs: 5 });
    const client = clients[0]!;
    client.onQuery = (sql) => {
      if (sql.startsWith('UNLISTEN')) client.emit('error', new Error('terminating connection due to administrator command'));
    };
    await expect(stop()).resolves.toBeUndefined();
    expect(client.releases).toBe(1);
    await sleep(30);
    expect(clients.length).toBe(1);
  });

  it('retries once per failure when the connection breaks while LISTEN is sent', async () => {
    const { pool, clients, prepare } = fakePool();
    prepare((client) => {
      client.onQuery = () => client.emit('error', new Error('Connection terminated'));
      client.failNext = new Error('Connection terminated');
    });
    const stop = await listenForChanges(pool, () => undefined, silentLogger, { retryMs: 5 });
    await sleep(50);
    expect(clients.map((c) => c.releases)).toEqual([1, 0]);
    expect(clients.length).toBe(2);
    await stop();
  });
});
