/**
 * Group commit for the writes of task attempts (`startTry`, `finishTry`, log lines, XCom pushes): the writes
 * submitted while no transaction of this coalescer is in flight go out together at the next turn of the event
 * loop, and the writes submitted while one is in flight go out together as soon as it ends, each batch in one
 * transaction, in submission order. A lone write therefore waits for nothing (no timer), and a worker with many
 * slots pays one BEGIN/COMMIT (and delivers one change notification: PostgreSQL folds identical NOTIFYs of one
 * transaction into one) per batch instead of per write.
 *
 * Guarantees, the same as one transaction per write gives:
 * - A write's promise settles only after its batch committed (or failed): `startTry`'s compare-and-set result
 *   is the committed one, so an attempt runs only once its start is durable, and `finishTry` resolves only once
 *   the outcome is durable, so the worker acks the message after. A process killed mid-batch leaves none of the
 *   batch's writes behind (the transaction never committed), and no caller had been told otherwise.
 * - Writes commit in submission order: one batch at a time, and a later batch starts after the earlier one ended.
 * - A write that fails by itself fails alone: when a batch fails for a reason other than an unreachable server
 *   (a constraint, a bad value, an illegal transition), nothing of it was committed and every write of it is
 *   run again in a transaction of its own, so each caller gets the result or error it would have got alone.
 * - A batch that failed because the server went away fails every write of it with that error, and nothing is
 *   run again here: a COMMIT whose reply was lost may have been applied, and each caller already decides what
 *   to do about an unreachable store (the worker releases a message it could not start, retries an outcome).
 *
 * A write submitted as one statement (`oneStatement`: it writes in a single statement, and any other statement
 * it sends only reads) that turns out to be alone in its batch is sent on its own, without BEGIN/COMMIT: a
 * statement is its own transaction, so what it writes is as atomic and as durable at its reply as in a batch.
 */
import { isUnreachable } from '../lib/unreachable.js';
import type { Queryable } from './db.js';

/** Runs `work` in one transaction (withTransaction on a pool). */
export type Transact = <T>(work: (client: Queryable) => Promise<T>) => Promise<T>;

interface Pending {
  work: (client: Queryable) => Promise<unknown>;
  oneStatement: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Options of a WriteCoalescer. */
export interface WriteCoalescerOptions {
  /** Most writes in one transaction; the rest go in the next. Default 64. */
  maxBatch?: number;
  /** Where a lone one-statement write is sent without a transaction (the pool); absent: in a transaction too. */
  direct?: Queryable;
}

/** Options of one write. */
export interface SubmitOptions {
  /** The write is one statement (other statements it sends only read): alone, it needs no transaction. */
  oneStatement?: boolean;
}

/** Batches writes into one transaction per turn (see the file header). */
export class WriteCoalescer {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private readonly maxBatch: number;
  /** Transactions committed or failed so far, and writes they carried (tests, metrics). */
  readonly counts = { batches: 0, writes: 0, fallbacks: 0, untransacted: 0 };
  private readonly direct: Queryable | undefined;

  constructor(private readonly transact: Transact, options: WriteCoalescerOptions = {}) {
    this.maxBatch = options.maxBatch ?? 64;
    this.direct = options.direct;
  }

  /** Runs `work` in the next batch; settles after that batch's transaction ended. */
  submit<T>(work: (client: Queryable) => Promise<T>, options: SubmitOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, oneStatement: options.oneStatement === true, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    // The writes submitted in this turn join the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      await this.runBatch(batch);
    } finally {
      this.flushing = false;
      // Writes that arrived meanwhile go now, together.
      if (this.queue.length > 0) void this.flush();
    }
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    this.counts.batches += 1;
    this.counts.writes += batch.length;
    const [only] = batch;
    if (only && batch.length === 1 && only.oneStatement && this.direct) {
      this.counts.untransacted += 1;
      try {
        only.resolve(await only.work(this.direct));
      } catch (error) {
        only.reject(error);
      }
      return;
    }
    let results: unknown[];
    try {
      results = await this.transact(async (client) => {
        const out: unknown[] = [];
        for (const pending of batch) out.push(await pending.work(client));
        return out;
      });
    } catch (error) {
      if (batch.length === 1 || isUnreachable(error)) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      // Nothing of the batch was committed: each write again, alone, so that only the failing one fails.
      this.counts.fallbacks += 1;
      for (const pending of batch) {
        try {
          pending.resolve(await this.transact((client) => pending.work(client)));
        } catch (alone) {
          pending.reject(alone);
        }
      }
      return;
    }
    batch.forEach((pending, index) => pending.resolve(results[index]));
  }
}
