import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/errors.js';
import { reconnectDelayMs, redisOptionsFromUrl } from './connection.js';

const base = { name: 'dagbridge-test' };

describe('redisOptionsFromUrl', () => {
  it('reads host, port, database, user and password', () => {
    const options = redisOptionsFromUrl('redis://app:p%40ss@redis.internal:6380/2', base);
    expect(options).toMatchObject({
      host: 'redis.internal',
      port: 6380,
      db: 2,
      username: 'app',
      password: 'p@ss',
      connectionName: 'dagbridge-test',
      maxRetriesPerRequest: null,
      lazyConnect: false,
    });
    expect(options.tls).toBeUndefined();
  });

  it('defaults the port and database, and takes a password without a user', () => {
    const options = redisOptionsFromUrl('redis://:only-pass@localhost', base);
    expect(options).toMatchObject({ host: 'localhost', port: 6379, db: 0, password: 'only-pass' });
    expect(options.username).toBeUndefined();
  });

  it('turns on TLS for rediss://, with SNI for host names only', () => {
    expect(redisOptionsFromUrl('rediss://cache.example.com:6380', base).tls).toEqual({ servername: 'cache.example.com' });
    expect(redisOptionsFromUrl('rediss://10.0.0.5:6380', base).tls).toEqual({});
    expect(redisOptionsFromUrl('rediss://[::1]:6380', base)).toMatchObject({ host: '::1', tls: {} });
  });

  it('refuses other schemes and bad database paths, never printing the password', () => {
    const attempts = ['http://u:topsecret@host:6379', 'redis://u:topsecret@host:6379/cache', 'not a url topsecret'];
    for (const url of attempts) {
      let error: unknown;
      try {
        redisOptionsFromUrl(url, base);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^setting redisUrl: /);
      expect((error as Error).message).not.toContain('topsecret');
    }
  });

  it('retries forever and resends after a READONLY reply', () => {
    const options = redisOptionsFromUrl('redis://localhost', { ...base, maxReconnectDelayMs: 1_000 });
    expect([1, 2, 3, 4, 5, 6, 1000].map((attempt) => options.retryStrategy?.(attempt))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(options.reconnectOnError?.(new Error('READONLY You cannot write against a read only replica.'))).toBe(2);
    expect(options.reconnectOnError?.(new Error('ERR something else'))).toBe(false);
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from 100 ms up to the cap', () => {
    expect([0, 1, 2, 3, 10, 64].map((attempt) => reconnectDelayMs(attempt, 5_000))).toEqual([100, 100, 200, 400, 5_000, 5_000]);
  });
});

describe('redisCaFile', () => {
  it('adds the CA to the default ones for rediss://, and refuses it for redis:// or a file without a certificate', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { rootCertificates } = await import('node:tls');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-redis-ca-'));
    const ca = path.join(dir, 'ca.pem');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(ca, pem);
    const tls = redisOptionsFromUrl('rediss://cache.example.com:6380', { ...base, caFile: ca }).tls;
    expect(tls?.ca).toEqual([...rootCertificates, pem]);
    expect(() => redisOptionsFromUrl('redis://cache:6379', { ...base, caFile: ca })).toThrow(/redisCaFile .* is not TLS; use rediss:\/\//);
    const notPem = path.join(dir, 'x.txt');
    writeFileSync(notPem, 'hello');
    expect(() => redisOptionsFromUrl('rediss://cache:6380', { ...base, caFile: notPem })).toThrow(`setting redisCaFile: ${notPem} holds no PEM certificate`);
  });
});
