import { describe, expect, it } from 'vitest';
import { silentLogger } from './logger.js';
import { retrying } from './retry.js';

describe('retrying', () => {
  it('retries until the operation succeeds', async () => {
    let calls = 0;
    const value = await retrying(async () => {
      calls += 1;
      if (calls < 3) throw new Error(`outage ${calls}`);
      return 'recorded';
    }, { what: 'record', log: silentLogger, firstDelayMs: 1 });
    expect([value, calls]).toEqual(['recorded', 3]);
  });

  it('rethrows the last error once the time is up', async () => {
    let calls = 0;
    await expect(retrying(async () => {
      calls += 1;
      throw new Error(`outage ${calls}`);
    }, { what: 'record', log: silentLogger, firstDelayMs: 5, maxElapsedMs: 20 })).rejects.toThrow(/outage/);
    expect(calls).toBeGreaterThan(1);
  });
});
