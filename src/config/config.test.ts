import { mkdtempSync, writeFileSync } from 'node:fs';
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
});
