/**
 * LISTEN on the metadata changes channel over one dedicated connection of the pool. When that connection is
 * lost (a server restart), it is given back to the pool once and replaced after a pause, and the subscriber is
 * woken once so nothing announced meanwhile waits for a poll.
 *
 * A pg client can report several errors for one loss (the socket's reset, then "Connection terminated"), and one
 * can arrive while `stop()` is giving the client back: each client is released exactly once, whichever of the
 * two comes first, and only one re-listen is ever scheduled per loss.
 */
import type pg from 'pg';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { sleep } from '../lib/sleep.js';
import { METADATA_CHANGES_CHANNEL } from './db.js';

/** The part of a pg pool the listener uses. */
export type ListenPool = Pick<pg.Pool, 'connect'>;

/** Timings of the listener. */
export interface ChangeListenerOptions {
  /** Pause before listening again after the connection was lost or could not be opened. Default 1000 ms. */
  retryMs?: number;
}

/** Listens for changes, calling `onChange` for each notification; resolves once listening. Returns `stop`. */
export async function listenForChanges(pool: ListenPool, onChange: () => void, log: Logger, options: ChangeListenerOptions = {}): Promise<() => Promise<void>> {
  const retryMs = options.retryMs ?? 1_000;
  let stopped = false;
  let current: { client: pg.PoolClient; release: (error?: Error) => void } | null = null;

  const held = (client: pg.PoolClient): { client: pg.PoolClient; release: (error?: Error) => void } => {
    let released = false;
    return {
      client,
      release(error?: Error): void {
        if (released) return;
        released = true;
        if (current?.client === client) current = null;
        client.release(error);
      },
    };
  };

  const listen = async (): Promise<void> => {
    while (!stopped) {
      let entry: ReturnType<typeof held> | null = null;
      try {
        const client = await pool.connect();
        entry = held(client);
        const own = entry;
        let lost = false;
        client.on('notification', () => onChange());
        client.on('error', (error: Error) => {
          if (lost) return;
          lost = true;
          const wasListening = current?.client === client;
          own.release(error);
          if (stopped || !wasListening) return;
          log.warn('PostgreSQL notification connection lost; listening again shortly', { error: errorMessage(error) });
          setTimeout(() => void listen(), retryMs).unref();
        });
        await client.query(`LISTEN ${METADATA_CHANGES_CHANNEL}`);
        if (stopped) {
          own.release();
          return;
        }
        current = own;
        onChange();
        return;
      } catch (error) {
        // A connection that failed while LISTEN was sent is given back (once) and another one is tried here.
        entry?.release(error instanceof Error ? error : undefined);
        if (stopped) return;
        log.warn('could not LISTEN for changes; retrying', { error: errorMessage(error) });
        await sleep(retryMs);
      }
    }
  };

  await listen();
  return async () => {
    stopped = true;
    const entry = current;
    if (!entry) return;
    await entry.client.query(`UNLISTEN ${METADATA_CHANGES_CHANNEL}`).catch(() => undefined);
    entry.release();
  };
}
