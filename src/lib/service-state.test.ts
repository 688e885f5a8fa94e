import { describe, expect, it } from 'vitest';
import { ServiceLifecycle } from './service-state.js';

describe('ServiceLifecycle', () => {
  it('stops a service never started at once, without its release step', async () => {
    const lifecycle = new ServiceLifecycle('svc');
    let released = false;
    await lifecycle.stop(async () => void (released = true));
    expect(lifecycle.state).toBe('stopped');
    expect(released).toBe(false);
    await lifecycle.whenStopped();
  });

  it('refuses a second start and names the service', async () => {
    const lifecycle = new ServiceLifecycle('worker w1');
    await lifecycle.begin();
    await expect(lifecycle.begin()).rejects.toThrow('worker w1 is running');
  });

  it('ends the loop, then releases, then unsubscribes, once for every stop call', async () => {
    const order: string[] = [];
    const lifecycle = new ServiceLifecycle('svc');
    let wakeups = 0;
    await lifecycle.begin(async (notify) => {
      setTimeout(notify, 0);
      return async () => void order.push('unsubscribed');
    });
    lifecycle.runLoop(async () => {
      while (lifecycle.isRunning) {
        await lifecycle.wakeup.wait(60_000, lifecycle.signal);
        wakeups += 1;
      }
      order.push('loop ended');
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(wakeups).toBe(1); // the subscription's notification woke the loop long before its 60 s wait
    const release = async (): Promise<void> => void order.push(`released while ${lifecycle.state}`);
    const first = lifecycle.stop(release);
    const second = lifecycle.stop(release);
    expect(second).toBe(first);
    await first;
    expect(order).toEqual(['loop ended', 'released while stopping', 'unsubscribed']);
    expect(lifecycle.state).toBe('stopped');
    expect(lifecycle.signal.aborted).toBe(true);
  });

  it('ignores an unsubscribe that fails (the connection may be gone)', async () => {
    const lifecycle = new ServiceLifecycle('svc');
    await lifecycle.begin(async () => async () => {
      throw new Error('connection closed');
    });
    await lifecycle.stop();
    expect(lifecycle.state).toBe('stopped');
  });
});
