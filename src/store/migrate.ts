/**
 * Schema migrations: forward-only numbered SQL files (`src/store/migrations/NNNN_name.sql`, embedded in the
 * build by `embed-migrations.ts`), applied in version order, each in its own transaction, under a
 * session-level advisory lock so that two processes migrating at once apply every migration exactly once.
 * Each applied migration is recorded in `schema_migrations` with the sha256 of its SQL; a migration whose
 * SQL changed after it was applied is an error (edit nothing that shipped: add a new migration).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { DagbridgeError, errorMessage, toError } from '../lib/errors.js';
import { EMBEDDED_MIGRATIONS } from './migrations/index.js';
import type { EmbeddedMigration } from './migration-types.js';
import { checkOut } from './db.js';

/** A migration with its checksum. */
export interface Migration extends EmbeddedMigration {
  /** sha256 hex of `sql`. */
  readonly checksum: string;
}

/** Where the database stands against this build. */
export interface SchemaStatus {
  /** Highest applied version (0 for an empty database). */
  current: number;
  /** Highest version this build ships. */
  latest: number;
  /** Migrations this build ships that the database has not applied, in order. */
  pending: Array<{ version: number; name: string }>;
}

/** The advisory lock key held while migrating or resetting (an arbitrary constant: "dagbridge migrate"). */
export const MIGRATION_LOCK_KEY = 0x6461_6762_7264_6d67n;

/**
 * Every table the migrations create, in an order that drops cleanly. A test checks that this list equals
 * the tables in a migrated database, so a migration that adds a table must add it here.
 */
export const DAGBRIDGE_TABLES: readonly string[] = [
  'dag_run_changes',
  'dag_run_listener_calls',
  'dag_run_callbacks',
  'connections',
  'audit_log',
  'web_sessions',
  'web_users',
  'dag_run_dataset_events',
  'dataset_dag_run_queue',
  'dataset_events',
  'dataset_references',
  'dataset_alias_datasets',
  'dataset_aliases',
  'datasets',
  'task_logs',
  'xcoms',
  'task_instance_tries',
  'task_instances',
  'dag_run_renames',
  'dag_runs',
  'dags',
  'dag_versions',
  'import_errors',
  'workers',
  'manifests',
  'pools',
  'variables',
  'settings',
  'schema_migrations',
];

/** The sha256 hex of a migration's SQL (line endings normalised). */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** The migrations this build ships, with checksums, in version order. */
export function loadMigrations(source: readonly EmbeddedMigration[] = EMBEDDED_MIGRATIONS): Migration[] {
  const migrations = [...source].sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new DagbridgeError('INTERNAL', `migration ${migration.version}_${migration.name}: expected version ${index + 1} (no gaps, no duplicates)`, {
        userFacing: false,
      });
    }
  });
  return migrations.map((migration) => ({ ...migration, checksum: migrationChecksum(migration.sql) }));
}

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
  )`;

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

async function readApplied(client: pg.ClientBase): Promise<AppliedRow[] | null> {
  const exists = await client.query<{ present: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (!exists.rows[0]?.present) return null;
  const result = await client.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  return result.rows;
}

function verifyChecksums(applied: readonly AppliedRow[], migrations: readonly Migration[]): void {
  for (const row of applied) {
    const shipped = migrations.find((migration) => migration.version === row.version);
    if (shipped && shipped.checksum !== row.checksum) {
      const label = `${String(row.version).padStart(4, '0')}_${row.name}`;
      throw new DagbridgeError(
        'CONFLICT',
        `migration ${label} was changed after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ` +
          `${shipped.checksum.slice(0, 12)} in this dagbridge): applied migrations are never edited; restore the file and add a new migration`,
      );
    }
  }
}

function status(applied: readonly AppliedRow[] | null, migrations: readonly Migration[]): SchemaStatus {
  const done = new Set((applied ?? []).map((row) => row.version));
  return {
    current: (applied ?? []).reduce((max, row) => Math.max(max, row.version), 0),
    latest: migrations.at(-1)?.version ?? 0,
    pending: migrations.filter((migration) => !done.has(migration.version)).map(({ version, name }) => ({ version, name })),
  };
}

async function withLock<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const { client, release } = await checkOut(pool);
  const key = MIGRATION_LOCK_KEY.toString();
  // Set when the session may be unusable: the client is then destroyed, which also ends the lock.
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [key]).catch((error: unknown) => {
      broken = toError(error);
      throw error;
    });
    try {
      return await work(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch((error: unknown) => {
        broken = toError(error);
      });
    }
  } finally {
    release(broken);
  }
}

/**
 * Applies every pending migration, in order, one transaction each, under the migration advisory lock.
 * Safe to run from several processes at once (the second waits, then finds nothing to do) and idempotent.
 * Returns the versions it applied.
 */
export async function migrate(pool: pg.Pool, source?: readonly EmbeddedMigration[]): Promise<number[]> {
  const migrations = loadMigrations(source);
  return withLock(pool, async (client) => {
    await client.query(CREATE_MIGRATIONS_TABLE);
    const applied = (await readApplied(client)) ?? [];
    verifyChecksums(applied, migrations);
    const done = new Set(applied.map((row) => row.version));
    const appliedNow: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        // A migration may rewrite a large table: the pool's statement timeout must not cut it short.
        await client.query('SET LOCAL statement_timeout = 0');
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          // The original error is what matters; a failed rollback ends with the session.
        });
        const label = `${String(migration.version).padStart(4, '0')}_${migration.name}`;
        throw new DagbridgeError('INTERNAL', `migration ${label} failed: ${errorMessage(error)}`, { cause: error });
      }
      appliedNow.push(migration.version);
    }
    return appliedNow;
  });
}

/** Where the database stands: applied version, this build's latest, and what is pending. Verifies checksums. */
export async function checkSchema(pool: pg.Pool, source?: readonly EmbeddedMigration[]): Promise<SchemaStatus> {
  const migrations = loadMigrations(source);
  const { client, release } = await checkOut(pool);
  try {
    const applied = await readApplied(client);
    if (applied) verifyChecksums(applied, migrations);
    return status(applied, migrations);
  } finally {
    release();
  }
}

/**
 * Throws `SCHEMA_OUTDATED` unless the database is at exactly this build's latest version. Services call it
 * at start, so a scheduler never writes into a schema it does not know.
 */
export async function assertSchemaCurrent(pool: pg.Pool, source?: readonly EmbeddedMigration[]): Promise<void> {
  const { current, latest } = await checkSchema(pool, source);
  if (current < latest) {
    throw new DagbridgeError('SCHEMA_OUTDATED', `database schema is at ${current}, this dagbridge needs ${latest}: run \`dagbridge db migrate\``);
  }
  if (current > latest) {
    throw new DagbridgeError(
      'SCHEMA_OUTDATED',
      `database schema is at ${current}, newer than this dagbridge knows (${latest}): upgrade dagbridge to the version that migrated it`,
    );
  }
}

/** Every function the migrations create (0011's triggers' and folding's), dropped by a reset with the tables. */
export const DAGBRIDGE_FUNCTIONS: readonly string[] = [
  'record_dag_run_changes()',
  'record_dag_run_row_changes()',
  'forget_dag_run_changes()',
  'compact_dag_run_changes(text, text)',
  'stamp_task_instance_xid()',
];

/**
 * Drops every dagbridge table and function (`dagbridge db reset`), under the migration lock. Other tables in the
 * database are left alone. Run `migrate` afterwards for an empty schema.
 */
export async function resetDatabase(pool: pg.Pool): Promise<void> {
  await withLock(pool, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query(`DROP TABLE IF EXISTS ${DAGBRIDGE_TABLES.map((name) => `"${name}"`).join(', ')} CASCADE`);
      await client.query(`DROP FUNCTION IF EXISTS ${DAGBRIDGE_FUNCTIONS.join(', ')}`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        // Reported through the original error.
      });
      throw error;
    }
  });
}
