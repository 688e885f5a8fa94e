import { afterAll } from 'vitest';
import { describeDatasetStoreBehaviour } from '../src/ports/dataset-store.suite.js';
import { PgStore } from '../src/store/pg-store.js';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';

const opened: Array<{ db: TestDatabase; store: PgStore }> = [];

afterAll(async () => {
  for (const { db, store } of opened) {
    await store.close();
    await db.drop();
  }
});

describeDatasetStoreBehaviour('PgStore', {
  create: async () => {
    const db = await createMigratedDatabase(`datasets${opened.length}`);
    const store = new PgStore(db.pool);
    opened.push({ db, store });
    return store;
  },
});
