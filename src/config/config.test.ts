import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults < config file < environment < flags', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-config-'));
    const file = path.join(dir, 'dagbridge.config.json');
    writeFileSync(file, JSON.stringify({ concurrency: 3, queues: ['a'], leaseMs: 40_000 }));
    const config = loadConfig({ configFile: file, env: { DAGBRIDGE_CONCURRENCY: '5', DAGBRIDGE_QUEUES: 'x, y' }, flags: { concurrency: '7' } });
    expect([config.concurrency, config.queues, config.leaseMs, config.heartbeatMs, config.scheduleSemantics]).toEqual([7, ['x', 'y'], 40_000, 5_000, null]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('starts new DAGs paused unless told otherwise, as Airflow\'s dags_are_paused_at_creation', () => {
    expect(loadConfig({ env: {} }).pausedOnCreation).toBe(true);
    expect(loadConfig({ env: { DAGBRIDGE_PAUSED_ON_CREATION: 'false' } }).pausedOnCreation).toBe(false);
    expect(loadConfig({ env: { DAGBRIDGE_PAUSED_ON_CREATION: 'false' }, flags: { pausedOnCreation: true } }).pausedOnCreation).toBe(true);
  });

  it('names the setting and where the bad value came from', () => {
    expect(() => loadConfig({ configFile: null, env: { DAGBRIDGE_CONCURRENCY: 'many' } })).toThrow(/^setting concurrency \(environment variable DAGBRIDGE_CONCURRENCY\): Expected number/);
    expect(() => loadConfig({ configFile: null, env: {}, flags: { leaseMs: '1000', heartbeatMs: '900' } })).toThrow('setting heartbeatMs (900) must be at most half of leaseMs (1000)');
  });

  it('refuses an unknown setting in the config file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-config-'));
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ concurency: 3 }));
    expect(() => loadConfig({ configFile: file, env: {} })).toThrow(`config file ${file}: unknown setting "concurency"`);
  });

  it('redacts secrets when describing the configuration', () => {
    const config = loadConfig({ configFile: null, env: { DAGBRIDGE_DATABASE_URL: 'postgres://app:s3cret@db:5432/airflow?sslmode=require', DAGBRIDGE_REDIS_URL: 'rediss://:p4ss@redis:6380' } });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('p4ss');
    expect(text).toContain('postgres://app:***@db:5432/airflow?sslmode=require');
  });

  it('reads the Fernet key list from DAGBRIDGE_FERNET_KEY or DAGBRIDGE_FERNET_KEY_FILE, never both, and redacts it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-fernet-'));
    const file = path.join(dir, 'fernet-key');
    const keys = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    writeFileSync(file, `${keys}\n`, { mode: 0o600 });
    const config = loadConfig({ configFile: null, env: { DAGBRIDGE_FERNET_KEY_FILE: file } });
    expect(config.fernetKey).toBe(keys);
    expect(describeConfig(config).fernetKey).toBe('***');
    expect(loadConfig({ configFile: null, env: { DAGBRIDGE_FERNET_KEY: keys } }).fernetKey).toBe(keys);
    expect(() => loadConfig({ configFile: null, env: { DAGBRIDGE_FERNET_KEY: keys, DAGBRIDGE_FERNET_KEY_FILE: file } })).toThrow(/^both environment variable DAGBRIDGE_FERNET_KEY and environment variable DAGBRIDGE_FERNET_KEY_FILE are set; set only one/);
  });

  describe('URLs read from files (DAGBRIDGE_DATABASE_URL_FILE, DAGBRIDGE_REDIS_URL_FILE)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-secret-files-'));
    const db = path.join(dir, 'database-url');
    const redis = path.join(dir, 'redis-url');
    writeFileSync(db, 'postgres://app:PgS3cret@db:5432/meta\n', { mode: 0o600 });
    writeFileSync(redis, 'rediss://:R3disS3cret@redis:6380/0');

    it('reads each URL from its file, so the environment holds no password', () => {
      const config = loadConfig({ configFile: null, env: { DAGBRIDGE_DATABASE_URL_FILE: db, DAGBRIDGE_REDIS_URL_FILE: redis } });
      expect([config.databaseUrl, config.redisUrl]).toEqual(['postgres://app:PgS3cret@db:5432/meta', 'rediss://:R3disS3cret@redis:6380/0']);
      expect(JSON.stringify(describeConfig(config))).not.toContain('S3cret');
    });

    it('takes the --database-url-file flag over the environment, as every flag', () => {
      const config = loadConfig({ configFile: null, env: { DAGBRIDGE_DATABASE_URL: 'postgres://other@x/y' }, flags: { databaseUrlFile: db } });
      expect(config.databaseUrl).toBe('postgres://app:PgS3cret@db:5432/meta');
    });

    it('refuses the variable and its _FILE together, naming both', () => {
      expect(() => loadConfig({ configFile: null, env: { DAGBRIDGE_DATABASE_URL: 'postgres://x@y/z', DAGBRIDGE_DATABASE_URL_FILE: db } })).toThrow(
        'both environment variable DAGBRIDGE_DATABASE_URL and environment variable DAGBRIDGE_DATABASE_URL_FILE are set; set only one',
      );
      expect(() => loadConfig({ configFile: null, env: {}, flags: { redisUrl: 'redis://h', redisUrlFile: redis } })).toThrow(/both option --redis-url and option --redis-url-file/);
    });

    it('names the file that is missing, empty or not a regular file, never its content', () => {
      const empty = path.join(dir, 'empty');
      writeFileSync(empty, '\n');
      const folder = path.join(dir, 'folder');
      mkdirSync(folder);
      expect(() => loadConfig({ configFile: null, env: { DAGBRIDGE_DATABASE_URL_FILE: path.join(dir, 'missing') } })).toThrow(
        `cannot read ${path.join(dir, 'missing')} (environment variable DAGBRIDGE_DATABASE_URL_FILE): ENOENT`,
      );
      expect(() => loadConfig({ configFile: null, env: { DAGBRIDGE_REDIS_URL_FILE: empty } })).toThrow(`${empty} (environment variable DAGBRIDGE_REDIS_URL_FILE) is empty`);
      expect(() => loadConfig({ configFile: null, env: { DAGBRIDGE_REDIS_URL_FILE: folder } })).toThrow(/is not a regular file|EISDIR/);
    });
  });

  it('refuses a URL whose password holds an unencoded @ without printing it', () => {
    let message = '';
    try {
      loadConfig({ configFile: null, env: { DAGBRIDGE_DATABASE_URL: 'postgres://postgres:p@ss/w:rd PW_special@127.0.0.1:5999/x' } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('setting databaseUrl (environment variable DAGBRIDGE_DATABASE_URL): the URL holds more than one @ before its host; percent-encode @ in the password as %40');
  });

  it('serves /health on 127.0.0.1 unless told otherwise', () => {
    expect(loadConfig({ configFile: null, env: {} }).httpHost).toBe('127.0.0.1');
    expect(loadConfig({ configFile: null, env: { DAGBRIDGE_HTTP_HOST: '0.0.0.0' } }).httpHost).toBe('0.0.0.0');
  });
});
