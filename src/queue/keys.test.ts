import { describe, expect, it } from 'vitest';
import { queueKeys } from './keys.js';

describe('queueKeys', () => {
  it('builds every key under the default prefix', () => {
    const keys = queueKeys();
    expect([keys.queues, keys.leases, keys.ready('default'), keys.age('default'), keys.message('a|b'), keys.worker('w1'), keys.dead('default')]).toEqual([
      'dagbridge:queues',
      'dagbridge:leases',
      'dagbridge:queue:default',
      'dagbridge:queue-age:default',
      'dagbridge:msg:a|b',
      'dagbridge:worker:w1',
      'dagbridge:dead:default',
    ]);
  });

  it('keeps the script prefixes consistent with the builders', () => {
    const keys = queueKeys('{prod}:');
    expect(keys.readyPrefix + 'q').toBe(keys.ready('q'));
    expect(keys.agePrefix + 'q').toBe(keys.age('q'));
    expect(keys.messagePrefix + 'id').toBe(keys.message('id'));
    expect(keys.workerPrefix + 'w').toBe(keys.worker('w'));
    expect(keys.deadPrefix + 'q').toBe(keys.dead('q'));
    expect(keys.queues).toBe('{prod}:queues');
  });

  it('refuses an empty prefix', () => {
    expect(() => queueKeys('')).toThrow(/prefix/);
  });
});
