import { describe, expect, it } from 'vitest';
import { redisServerReport } from './server-check.js';

function info(fields: Record<string, string>): string {
  return ['# Server', ...Object.entries(fields).map(([k, v]) => `${k}:${v}`), ''].join('\r\n');
}

describe('redisServerReport', () => {
  it('has no warning for the recommended settings', () => {
    const report = redisServerReport(
      info({ redis_version: '7.2.4', redis_mode: 'standalone', role: 'master', maxmemory_policy: 'noeviction', aof_enabled: '1' }),
    );
    expect(report).toEqual({ version: '7.2.4', mode: 'standalone', role: 'master', maxmemoryPolicy: 'noeviction', aofEnabled: true, warnings: [] });
  });

  it('warns about eviction, missing persistence, a replica and an old version', () => {
    const report = redisServerReport(
      info({ redis_version: '6.0.16', redis_mode: 'standalone', role: 'slave', maxmemory_policy: 'allkeys-lru', aof_enabled: '0' }),
    );
    expect(report.warnings).toEqual([
      'Redis 6.0.16 is older than 6.2.0, the oldest version the queue is tested with',
      'maxmemory-policy is allkeys-lru: a full Redis would evict queue messages silently; set it to noeviction',
      'appendonly is off: a Redis restart empties the queues until the scheduler rebuilds them; set appendonly yes and appendfsync everysec',
      'this Redis is a replica and refuses writes; point dagbridge at the primary',
    ]);
  });

  it('does not warn about what INFO does not say, except persistence', () => {
    expect(redisServerReport(info({ redis_version: '7.0.0' })).warnings).toEqual([
      'appendonly is off: a Redis restart empties the queues until the scheduler rebuilds them; set appendonly yes and appendfsync everysec',
    ]);
  });
});
