/**
 * What query functions receive: anything that runs a query (the pool, or a client inside a transaction),
 * and the transaction helper PgStore uses for multi-statement operations.
 */
import type pg from 'pg';
import { toError } from '../lib/errors.js';

/** A pool or a connected client. Query functions take one as their first argument. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/**
 * Runs `work` in one transaction on one pooled client: COMMIT when it resolves, ROLLBACK when it throws.
 * A client whose ROLLBACK failed is destroyed rather than returned to the pool in an unknown state.
 *
 * A transaction the server aborted as a deadlock victim (or a serialization failure) is run again, up to
 * `attempts` times in all: it was rolled back entirely, and every write in it is a compare-and-set that is
 * evaluated afresh, so running it again is safe. `work` must not have effects outside the database.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transactionOnce(pool, work);
    } catch (error) {
      const code = pgErrorCode(error);
      const retryable = code === PG_ERROR.deadlockDetected || code === PG_ERROR.serializationFailure;
      if (!retryable || attempt >= attempts) throw error;
    }
  }
}

/**
 * Checks a client out of the pool with an `'error'` listener for as long as it is out: a checked-out client whose
 * server goes away (restart, network loss) between two queries emits `'error'`, and with no listener that would
 * end the process. The error is kept; `release()` destroys such a client instead of returning it.
 */
export async function checkOut(pool: pg.Pool): Promise<{ client: pg.PoolClient; release: (error?: Error) => void }> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error): void => {
    lost = error;
  };
  client.on('error', onError);
  return {
    client,
    release: (error?: Error) => {
      client.off('error', onError);
      client.release(error ?? lost);
    },
  };
}

async function transactionOnce<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const { client, release } = await checkOut(pool);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = toError(rollbackError);
    }
    throw error;
  } finally {
    release(broken);
  }
}

/**
 * The channel on which the store announces changes a scheduler should react to at once instead of at its next
 * tick: a finished try (`finishTry`), a created DAG run and a dataset event made by hand. Payloads are hints
 * (`task_finished`, `run_created`, `dataset_event`),
 * never data: listeners re-read the tables.
 */
export const METADATA_CHANGES_CHANNEL = 'dagbridge_changes';

/** Sends a change notification (inside a transaction it is delivered on commit, not at all on rollback). */
export async function notifyChange(client: Queryable, hint: 'task_finished' | 'run_created' | 'dataset_event'): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [METADATA_CHANGES_CHANNEL, hint]);
}

/** PostgreSQL error codes the store reacts to. */
export const PG_ERROR = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

/** The SQLSTATE of a pg error, if it is one. */
export function pgErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof (error as { code: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;
}
