import { afterEach, describe, expect, it } from 'vitest';
import { DagbridgeError } from '../src/lib/errors.js';
import { assertSchemaCurrent, checkSchema, DAGBRIDGE_TABLES, loadMigrations, migrate, resetDatabase } from '../src/store/migrate.js';
import { EMBEDDED_MIGRATIONS } from '../src/store/migrations/index.js';
import { createEmptyDatabase, createMigratedDatabase, type TestDatabase } from './support/database.js';

const databases: TestDatabase[] = [];
async function empty(label: string): Promise<TestDatabase> {
  const db = await createEmptyDatabase(label);
  databases.push(db);
  return db;
}

afterEach(async () => {
  while (databases.length > 0) await databases.pop()?.drop();
});

async function tables(db: TestDatabase): Promise<string[]> {
  const result = await db.pool.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`);
  return result.rows.map((row) => row.tablename);
}

const latest = loadMigrations().at(-1)?.version ?? 0;

describe('migrate', () => {
  it('applies every migration once, records it, and is idempotent', async () => {
    const db = await empty('mig_once');
    expect(await checkSchema(db.pool)).toEqual({
      current: 0,
      latest,
      pending: loadMigrations().map(({ version, name }) => ({ version, name })),
    });
    expect(await migrate(db.pool)).toEqual(loadMigrations().map((m) => m.version));
    expect(await migrate(db.pool)).toEqual([]);
    expect(await checkSchema(db.pool)).toEqual({ current: latest, latest, pending: [] });
    const recorded = await db.pool.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
    expect(recorded.rows).toEqual(loadMigrations().map(({ version, name, checksum }) => ({ version, name, checksum })));
    await expect(assertSchemaCurrent(db.pool)).resolves.toBeUndefined();
  });

  it('creates exactly the tables DAGBRIDGE_TABLES lists, and seeds default_pool with 128 slots', async () => {
    const db = await empty('mig_tables');
    await migrate(db.pool);
    expect(await tables(db)).toEqual([...DAGBRIDGE_TABLES].sort());
    const pools = await db.pool.query('SELECT name, slots FROM pools');
    expect(pools.rows).toEqual([{ name: 'default_pool', slots: 128 }]);
  });

  it('is safe when two processes migrate at once: each migration is applied exactly once', async () => {
    const db = await empty('mig_concurrent');
    const other = db.newPool();
    const [a, b] = await Promise.all([migrate(db.pool), migrate(other)]);
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(loadMigrations().map((m) => m.version));
    const count = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    expect(count.rows[0]?.n).toBe(latest);
  });

  it('refuses a migration whose SQL changed after it was applied', async () => {
    const db = await empty('mig_checksum');
    await migrate(db.pool);
    const edited = EMBEDDED_MIGRATIONS.map((m) => (m.version === 1 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    const error = await migrate(db.pool, edited).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DagbridgeError);
    expect((error as DagbridgeError).code).toBe('CONFLICT');
    expect((error as DagbridgeError).message).toMatch(/^migration 0001_init was changed after it was applied \(checksum [0-9a-f]{12} in the database, [0-9a-f]{12} in this dagbridge\)/);
    await expect(checkSchema(db.pool, edited)).rejects.toThrow(/0001_init was changed/);
  });

  it('applies a new migration on top, in its own transaction, and rolls a failing one back', async () => {
    const db = await empty('mig_next');
    await migrate(db.pool);
    const next = [...EMBEDDED_MIGRATIONS, { version: latest + 1, name: 'add_thing', sql: 'CREATE TABLE thing (id int); CREATE TABLE thing (id int);' }];
    await expect(migrate(db.pool, next)).rejects.toThrow(`migration ${String(latest + 1).padStart(4, '0')}_add_thing failed: relation "thing" already exists`);
    expect(await tables(db)).not.toContain('thing');
    expect((await checkSchema(db.pool, next)).pending).toEqual([{ version: latest + 1, name: 'add_thing' }]);
    const fixed = [...EMBEDDED_MIGRATIONS, { version: latest + 1, name: 'add_thing', sql: 'CREATE TABLE thing (id int);' }];
    expect(await migrate(db.pool, fixed)).toEqual([latest + 1]);
    expect(await tables(db)).toContain('thing');
  });

  it('refuses a source with a gap in its versions', () => {
    expect(() => loadMigrations([...EMBEDDED_MIGRATIONS, { version: latest + 2, name: 'gap', sql: '' }])).toThrow(`expected version ${latest + 1}`);
  });
});

describe('assertSchemaCurrent', () => {
  it('names the versions and the command when the schema is behind', async () => {
    const db = await empty('mig_outdated');
    const error = await assertSchemaCurrent(db.pool).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DagbridgeError);
    expect((error as DagbridgeError).code).toBe('SCHEMA_OUTDATED');
    expect((error as DagbridgeError).message).toBe(`database schema is at 0, this dagbridge needs ${latest}: run \`dagbridge db migrate\``);
    await migrate(db.pool);
    const ahead = [...EMBEDDED_MIGRATIONS, { version: latest + 1, name: 'later', sql: 'SELECT 1' }];
    await expect(assertSchemaCurrent(db.pool, ahead)).rejects.toThrow(
      `database schema is at ${latest}, this dagbridge needs ${latest + 1}: run \`dagbridge db migrate\``,
    );
  });

  it('says to upgrade dagbridge when the database is newer than the build', async () => {
    const db = await empty('mig_newer');
    await migrate(db.pool, [...EMBEDDED_MIGRATIONS, { version: latest + 1, name: 'later', sql: 'SELECT 1' }]);
    await expect(assertSchemaCurrent(db.pool)).rejects.toThrow(`database schema is at ${latest + 1}, newer than this dagbridge knows (${latest})`);
  });
});

describe('resetDatabase', () => {
  it('drops every dagbridge table and leaves other tables alone; migrate rebuilds the schema', async () => {
    const db = await createMigratedDatabase('mig_reset');
    databases.push(db);
    await db.pool.query('CREATE TABLE not_ours (id int)');
    await db.pool.query(`INSERT INTO variables (key, value) VALUES ('a', 'b')`);
    await resetDatabase(db.pool);
    expect(await tables(db)).toEqual(['not_ours']);
    const functions = await db.pool.query(`SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace`);
    expect(functions.rows).toEqual([]);
    expect((await checkSchema(db.pool)).current).toBe(0);
    await migrate(db.pool);
    const variables = await db.pool.query('SELECT * FROM variables');
    expect(variables.rowCount).toBe(0);
  });
});

describe('0002_security: run ids', () => {
  const VALID_PATTERN = /^[A-Za-z0-9_.~:+-]+$/;

  it('renames stored runs whose run id breaks the rule, carries their children, records the old ids, then refuses such ids', async () => {
    const db = await empty('mig_runid');
    await migrate(db.pool, EMBEDDED_MIGRATIONS.filter((m) => m.version === 1));
    await db.pool.query(`INSERT INTO dag_versions VALUES ('d', 'v', '{}', 'h', now())`);
    await db.pool.query(`INSERT INTO dags VALUES ('d', 'd.py', 'v', false, true, now())`);
    const bad = ['$(id>pwned_runid)', 'line1\nline2 FAKE', 'a..b', 'R'.repeat(100_000)];
    for (const runId of [...bad, 'manual__2024-01-01T00:00:00+00:00']) {
      await db.pool.query(`INSERT INTO dag_runs (dag_id, run_id, version_hash, run_type, state, run_after, queued_at) VALUES ('d', $1, 'v', 'manual', 'success', now(), now())`, [runId]);
      await db.pool.query(`INSERT INTO task_instances (dag_id, run_id, task_id, queue, pool, try_number) VALUES ('d', $1, 't', 'default', 'default_pool', 1)`, [runId]);
      await db.pool.query(`INSERT INTO task_instance_tries (dag_id, run_id, task_id, map_index, try_number, state) VALUES ('d', $1, 't', -1, 1, 'success')`, [runId]);
      await db.pool.query(`INSERT INTO xcoms VALUES ('d', $1, 't', -1, 'k', '1', now())`, [runId]);
    }

    expect(await migrate(db.pool)).toContain(2);

    const renames = await db.pool.query<{ old_run_id: string; new_run_id: string }>('SELECT old_run_id, new_run_id FROM dag_run_renames');
    expect(renames.rows.map((row) => row.old_run_id).sort()).toEqual([...bad].sort());
    const runs = await db.pool.query<{ run_id: string }>('SELECT run_id FROM dag_runs ORDER BY run_id');
    expect(runs.rows.map((row) => row.run_id)).toContain('manual__2024-01-01T00:00:00+00:00');
    for (const { new_run_id: runId } of renames.rows) {
      expect(runId).toMatch(VALID_PATTERN);
      expect(runId.length).toBeLessThanOrEqual(250);
      expect(runId).toMatch(/^renamed__[A-Za-z0-9_~:+-]+__[0-9a-f]{32}$/);
      for (const table of ['task_instances', 'task_instance_tries', 'xcoms']) {
        const count = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE dag_id = 'd' AND run_id = $1`, [runId]);
        expect(count.rows[0]?.n, `${table} of ${runId}`).toBe(1);
      }
    }
    expect(renames.rows.find((row) => row.old_run_id === '$(id>pwned_runid)')?.new_run_id).toMatch(/^renamed____id_pwned_runid___[0-9a-f]{32}$/);

    // No writer can store such a run id any more.
    for (const runId of bad) {
      await expect(
        db.pool.query(`INSERT INTO dag_runs (dag_id, run_id, version_hash, run_type, state, run_after, queued_at) VALUES ('d', $1, 'v', 'manual', 'queued', now(), now())`, [runId]),
      ).rejects.toThrow(/dag_runs_run_id_allowed/);
    }
    await expect(db.pool.query(`UPDATE dag_runs SET run_id = 'é' WHERE run_id = 'manual__2024-01-01T00:00:00+00:00'`)).rejects.toThrow(/dag_runs_run_id_allowed/);
  });
});
