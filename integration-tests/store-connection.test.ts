import { afterAll, describe, expect, it } from 'vitest';
import { createPgPool, verifyConnection } from '../src/store/connection.js';
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
