import { Wakeup } from './sleep.js';

/**
 * Service state of a long-running component (scheduler, worker, executor pool, embedded PostgreSQL).
 * `idle` before `start()`, `running` while it serves, `stopping` once `stop()` was called, `stopped` when every
 * resource it held is released, `failed` when it ended on an error it could not ride out.
 */
export type ServiceState = 'idle' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Subscribes to "something happened" notifications; resolves to the function that unsubscribes. */
export type Subscribe = (onNotify: () => void) => Promise<() => Promise<void>>;

/**
 * The lifecycle every loop-driven service shares: one state, a wake-up its loop sleeps on, an abort signal for
 * `stop()`, an optional notification subscription that wakes the loop, and an idempotent `stop()` that ends the
 * loop, runs the service's own release step, unsubscribes and resolves `whenStopped()`.
 */
export class ServiceLifecycle {
  private current: ServiceState = 'idle';
  /** The loop sleeps on this between iterations; `notify()` wakes it. */
  readonly wakeup = new Wakeup();
  private readonly controller = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private unsubscribe: (() => Promise<void>) | null = null;
  private stopping: Promise<void> | null = null;
  private resolveStopped: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  /** `name` names the service in errors ("scheduler", "worker w1"). */
  constructor(private readonly name: string) {}

  get state(): ServiceState {
    return this.current;
  }

  /** True while the service serves (its loop keeps iterating). */
  get isRunning(): boolean {
    return this.current === 'running';
  }

  /** Aborted by `stop()`: loops pass it to their waits. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Refuses a second start. */
  assertIdle(): void {
    if (this.current !== 'idle') throw new Error(`${this.name} is ${this.current}`);
  }

  /** idle -> running, then subscribes `subscribe` (if any) so that its notifications wake the loop. */
  async begin(subscribe?: Subscribe): Promise<void> {
    this.assertIdle();
    this.current = 'running';
    if (subscribe) this.unsubscribe = await subscribe(() => this.wakeup.notify());
  }

  /** Starts the service's loop; `stop()` waits for it to return. */
  runLoop(loop: () => Promise<void>): void {
    this.loopDone = loop();
  }

  /**
   * Idempotent stop: every call returns the same promise. A service never started is stopped at once. Otherwise:
   * `stopping`, abort and wake the loop, wait for it, run `release` (the service's own hand-back and cleanup),
   * unsubscribe (its errors are ignored: the connection may be gone), `stopped`.
   */
  stop(release: () => Promise<void> = async () => undefined): Promise<void> {
    this.stopping ??= (async () => {
      if (this.current === 'idle') {
        this.current = 'stopped';
        this.resolveStopped();
        return;
      }
      this.current = 'stopping';
      this.controller.abort();
      this.wakeup.notify();
      await this.loopDone;
      await release();
      await this.unsubscribe?.().catch(() => undefined);
      this.current = 'stopped';
      this.resolveStopped();
    })();
    return this.stopping;
  }

  /** Resolves once the service has stopped (by `stop()` from any caller). */
  whenStopped(): Promise<void> {
    return this.stopped;
  }
}
