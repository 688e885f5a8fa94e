import { afterAll, describe, expect, it } from 'vitest';
import { createPgPool, verifyConnection } from '../src/store/connection.js';
import { withTransaction } from '../src/store/db.js';
import { createMigratedDatabase } from './support/database.js';
import { databaseServerUrl } from './support/servers.js';

const pools: Array<{ end(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
});

describe('createPgPool', () => {
  it('sets the application name and the statement timeout on every connection', async () => {
    const url = await databaseServerUrl();
    const pool = createPgPool(url, { applicationName: 'dagbridge-test-conn', statementTimeoutMs: 1234 });
    pools.push(pool);
    await verifyConnection(pool, url);
    const result = await pool.query<{ app: string; timeout: string }>(`SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout`);
    expect(result.rows[0]).toEqual({ app: 'dagbridge-test-conn', timeout: '1234ms' });
    await expect(pool.query('SELECT pg_sleep(2)')).rejects.toThrow('canceling statement due to statement timeout');
  });

  it('names the redacted URL when the server cannot be reached', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const url = 'postgres://app:hunter2@127.0.0.1:1/meta';
    const pool = createPgPool(url, { connectionTimeoutMs: 2_000, onError: () => undefined });
    pools.push(pool);
    const error = await verifyConnection(pool, url).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^cannot use the PostgreSQL database at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/meta: /);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('withTransaction', () => {
  it('runs a deadlock victim again: two transactions locking two rows in opposite orders both commit', async () => {
    const db = await createMigratedDatabase('deadlock');
    try {
      await db.pool.query(`INSERT INTO variables (key, value) VALUES ('a', '0'), ('b', '0')`);
      const other = db.newPool();
      const firstLocks: Array<() => void> = [];
      const bothLocked = Promise.all([0, 1].map(() => new Promise<void>((resolve) => firstLocks.push(resolve))));
      const attempts = { ab: 0, ba: 0 };
      const bump = (pool: typeof db.pool, order: 'ab' | 'ba', signal: () => void): Promise<void> =>
        withTransaction(pool, async (client) => {
          attempts[order] += 1;
          const [first, second] = order === 'ab' ? ['a', 'b'] : ['b', 'a'];
          await client.query(`UPDATE variables SET value = (value::int + 1)::text WHERE key = $1`, [first]);
          signal();
          await bothLocked;
          await client.query(`UPDATE variables SET value = (value::int + 1)::text WHERE key = $1`, [second]);
        });
      await Promise.all([bump(db.pool, 'ab', firstLocks[0] as () => void), bump(other, 'ba', firstLocks[1] as () => void)]);
      const values = await db.pool.query<{ key: string; value: string }>('SELECT key, value FROM variables ORDER BY key');
      expect(values.rows).toEqual([
        { key: 'a', value: '2' },
        { key: 'b', value: '2' },
      ]);
      // At least one was chosen as the deadlock victim and ran again. A victim's retry can race the survivor
      // for the first row and deadlock once more, so the total is 3 or 4 (re-runs are bounded at three).
      expect(attempts.ab + attempts.ba).toBeGreaterThanOrEqual(3);
      expect(attempts.ab + attempts.ba).toBeLessThanOrEqual(6);
    } finally {
      await db.drop();
    }
  });

  it('does not retry other errors', async () => {
    const db = await createMigratedDatabase('no_retry');
    try {
      let runs = 0;
      await expect(
        withTransaction(db.pool, async (client) => {
          runs += 1;
          await client.query('SELECT 1/0');
        }),
      ).rejects.toThrow('division by zero');
      expect(runs).toBe(1);
    } finally {
      await db.drop();
    }
  });
});
