/**
 * How runnable task instances leave the scheduler. The scheduler moves a task instance `scheduled -> queued`
 * in the store first and then hands it to its executor; an executor that loses it (process crash, flushed
 * Redis) loses nothing that matters, because the scheduler finds `queued` instances without a message and
 * hands them over again.
 */
import type { TaskInstanceRecord } from './metadata-store.js';

/** An executor: the local pool (standalone, `dags test`) or the Redis queue (cluster). */
export interface Executor {
  /** `local` or `redis`, for logs. */
  readonly name: string;
  /** Hands queued task instances over. Must not wait for them to run. */
  enqueue(instances: readonly TaskInstanceRecord[], now: number): Promise<void>;
  /**
   * How many more task instances this executor should be given now. The local pool says its free slots (no
   * prefetch); the Redis executor says Infinity (workers pull one task per free slot themselves).
   */
  openSlots(): number;
  /** Stops handing out work; in-flight work is finished or handed back (see each implementation). */
  stop(): Promise<void>;
}
