import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/logger.js';
import { consumerDag, datasetBundle, describeDatasetStoreBehaviour, producerDag } from '../src/ports/dataset-store.suite.js';
import { createDatasetTriggeredRuns } from '../src/scheduler/dataset-trigger.js';
import { PgStore } from '../src/store/pg-store.js';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';

const opened: Array<{ db: TestDatabase; store: PgStore }> = [];

afterAll(async () => {
  for (const { db, store } of opened) {
    await store.close();
    await db.drop();
  }
});

async function openStore(label: string): Promise<{ db: TestDatabase; store: PgStore }> {
  const db = await createMigratedDatabase(`${label}${opened.length}`);
  const entry = { db, store: new PgStore(db.pool) };
  opened.push(entry);
  return entry;
}

describeDatasetStoreBehaviour('PgStore', { create: async () => (await openStore('datasets')).store });

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);

describe('PgStore: dataset-triggered runs with two schedulers', () => {
  it('creates exactly one run per satisfied queue when two schedulers (two pools) create runs at once', async () => {
    const { db, store } = await openStore('datasets_race');
    const other = new PgStore(db.newPool({ max: 5 }));
    // An Airflow 3 style consumer's run id has a random suffix: only the compare-and-set keeps it to one run.
    await store.syncBundle(datasetBundle([producerDag, consumerDag, { ...consumerDag, dagId: 'consumer3', file: 'consumer3.py', airflowStyle: 3 }]), T0);
    for (let round = 1; round <= 3; round += 1) {
      await store.createDatasetEvent('s3://bucket/a', { round }, T0 + round * 10_000);
      await store.createDatasetEvent('s3://bucket/b', { round }, T0 + round * 10_000 + 1_000);
      const created = (await Promise.all(Array.from({ length: 8 }, (_, i) => createDatasetTriggeredRuns(i % 2 === 0 ? store : other, T0 + round * 10_000 + 2_000, silentLogger)))).flat();
      expect(created.map((run) => run.dagId).sort()).toEqual(['consumer', 'consumer3']);
      expect(await store.listDatasetQueue()).toEqual({ rows: [], aliases: {} });
    }
    const runs = await store.listDagRuns({ dagId: 'consumer' });
    expect((await store.listDagRuns({ dagId: 'consumer3' })).length).toBe(3);
    expect(runs.map((run) => run.runId).sort()).toEqual([1, 2, 3].map((round) => `dataset_triggered__2024-01-01T12:00:${String(round * 10 + 1).padStart(2, '0')}+00:00`));
    const consumed = await Promise.all(runs.map(async (run) => (await store.listRunDatasetEvents(run, 10)).map((e) => [e.uri, e.extra.round])));
    expect(consumed.sort((x, y) => Number(x[0]?.[1]) - Number(y[0]?.[1]))).toEqual([1, 2, 3].map((round) => [['s3://bucket/a', round], ['s3://bucket/b', round]]));
  }, 60_000);

  it('an event that arrives while a scheduler consumes its queue row waits for it, then queues the consumer again', async () => {
    const { db, store } = await openStore('datasets_lock');
    await store.syncBundle(datasetBundle(), T0);
    await store.createDatasetEvent('s3://bucket/a', {}, T0 + 1_000);
    const scheduler = await db.pool.connect();
    try {
      await scheduler.query('BEGIN');
      await scheduler.query(`SELECT uri FROM dataset_dag_run_queue WHERE target_dag_id = 'consumer' FOR UPDATE`);
      let recorded = false;
      const event = store.createDatasetEvent('s3://bucket/a', { late: true }, T0 + 5_000).then((value) => {
        recorded = true;
        return value;
      });
      // The event's transaction is blocked on the row lock: it has not returned while the lock is held.
      await waitUntilBlocked(db, 'dataset_dag_run_queue');
      expect(recorded).toBe(false);
      await scheduler.query(`DELETE FROM dataset_dag_run_queue WHERE target_dag_id = 'consumer'`);
      await scheduler.query('COMMIT');
      expect((await event)?.extra).toEqual({ late: true });
    } finally {
      scheduler.release();
    }
    expect((await store.listDatasetQueue()).rows.map((row) => [row.dagId, row.uri, row.createdAt])).toEqual([['consumer', 's3://bucket/a', T0 + 5_000]]);
  }, 60_000);
});

/** Waits until some backend of `db` waits on a lock while running a statement that names `table`. */
async function waitUntilBlocked(db: TestDatabase, table: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const waiting = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%'`,
      [table],
    );
    if (Number(waiting.rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no statement on ${table} waited for a lock`);
}
