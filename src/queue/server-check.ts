/**
 * Checks the Redis server against what the queue needs (docs/queue.md, "Running Redis for dagbridge"), from
 * `INFO` only, which managed services allow even where `CONFIG GET` is disabled. The composition root logs the
 * warnings at start-up; nothing here refuses to run, because a dev or test Redis without persistence is fine.
 */
import type { Redis } from 'ioredis';
import { toQueueError } from './queue-error.js';

/** What the queue cares about in a Redis server. */
export interface RedisServerReport {
  version: string;
  /** `standalone`, `cluster` or `sentinel`. */
  mode: string;
  /** `master` or `slave` (a replica refuses writes). */
  role: string;
  maxmemoryPolicy: string;
  aofEnabled: boolean;
  /** One sentence per setting that differs from the recommendation, saying why it matters. */
  warnings: string[];
}

/** The oldest Redis the scripts are tested with. */
export const MINIMUM_REDIS_VERSION = '6.2.0';

function field(info: string, name: string): string {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
}

function versionBelow(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i += 1) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (Number.isNaN(x)) return false;
    if (x !== y) return x < y;
  }
  return false;
}

/** Reads a report from the text of `INFO` (all sections). */
export function redisServerReport(info: string): RedisServerReport {
  const report: RedisServerReport = {
    version: field(info, 'redis_version'),
    mode: field(info, 'redis_mode'),
    role: field(info, 'role'),
    maxmemoryPolicy: field(info, 'maxmemory_policy'),
    aofEnabled: field(info, 'aof_enabled') === '1',
    warnings: [],
  };
  if (report.version !== '' && versionBelow(report.version, MINIMUM_REDIS_VERSION)) {
    report.warnings.push(`Redis ${report.version} is older than ${MINIMUM_REDIS_VERSION}, the oldest version the queue is tested with`);
  }
  if (report.maxmemoryPolicy !== '' && report.maxmemoryPolicy !== 'noeviction') {
    report.warnings.push(
      `maxmemory-policy is ${report.maxmemoryPolicy}: a full Redis would evict queue messages silently; set it to noeviction`,
    );
  }
  if (!report.aofEnabled) {
    report.warnings.push(
      'appendonly is off: a Redis restart empties the queues until the scheduler rebuilds them; set appendonly yes and appendfsync everysec',
    );
  }
  if (report.role === 'slave') {
    report.warnings.push('this Redis is a replica and refuses writes; point dagbridge at the primary');
  }
  return report;
}

/** Asks the server (`INFO`) and reports how it differs from the recommended settings. */
export async function checkRedisServer(client: Redis): Promise<RedisServerReport> {
  try {
    return redisServerReport(await client.info());
  } catch (thrown) {
    throw toQueueError(thrown, 'server check');
  }
}
