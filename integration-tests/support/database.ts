/**
 * A migrated database per test, quickly: the migrations are applied once to a template database named after
 * their checksums (`dagbridge_tpl_<hash>`, kept between runs and shared by test processes), and each test
 * database is `CREATE DATABASE x TEMPLATE tpl` (a file copy, milliseconds) instead of running the migrations.
 * When a new template is built, templates of other migrations beyond the newest few are dropped.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { BUNDLE_SCHEMA_VERSION, type DagBundle, type DagSpec, type TaskSpec } from '../../src/dag/bundle.js';
import { createPgPool } from '../../src/store/connection.js';
import { pgErrorCode } from '../../src/store/db.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { databaseServerUrl, uniqueSuffix, withDatabase } from './servers.js';
import { dagOf, task } from '../../src/dag/spec-fixtures.js';

/** Advisory lock (on the admin database) held while a template is built. */
const TEMPLATE_LOCK_KEY = '7237005577332262214';

/** Templates of other migrations left in place when a new one is built (the rest are dropped). */
const KEPT_TEMPLATES = 3;

let template: Promise<string> | undefined;

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: await databaseServerUrl() });
  client.on('error', () => {
    // A lost admin connection surfaces through the query in progress.
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function templateName(): string {
  const digest = createHash('sha256');
  for (const migration of loadMigrations()) digest.update(`${migration.version}:${migration.checksum};`);
  return `dagbridge_tpl_${digest.digest('hex').slice(0, 16)}`;
}

async function buildTemplate(): Promise<string> {
  const name = templateName();
  const adminUrl = await databaseServerUrl();
  return withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount) return name;
      // Keep the newest templates of other migrations: other checkouts on the same server (a branch with one
      // more migration) may be cloning theirs right now.
      const stale = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'dagbridge\\_tpl\\_%' ORDER BY oid DESC OFFSET $1`,
        [KEPT_TEMPLATES],
      );
      for (const row of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
      // Build under a temporary name and rename at the end, so a half-built template is never used.
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${building}"`);
      const pool = createPgPool(withDatabase(adminUrl, building), { applicationName: 'dagbridge-test-template', max: 1 });
      try {
        await migrate(pool);
      } finally {
        await pool.end();
      }
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
      return name;
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  });
}

/** The migrated template's name (built once per process at most, reused across runs). */
export function migratedTemplate(): Promise<string> {
  template ??= buildTemplate();
  template.catch(() => {
    template = undefined;
  });
  return template;
}

/** A test database. `drop()` ends the pools handed out and drops the database. */
export interface TestDatabase {
  name: string;
  url: string;
  /** A pool on the database (ended by `drop`). */
  pool: pg.Pool;
  /** Another pool on the same database (for concurrency tests: a second process). */
  newPool(options?: { max?: number }): pg.Pool;
  drop(): Promise<void>;
}

/** Creates a database with the current schema, cloned from the migrated template. */
export async function createMigratedDatabase(label: string): Promise<TestDatabase> {
  for (let attempt = 1; ; attempt += 1) {
    const from = await migratedTemplate();
    try {
      return await createDatabase(label, from);
    } catch (error) {
      // Test runs of other migrations on the same server (other checkouts) build their template and drop this
      // one as stale: build it again rather than fail every later test of this process.
      if (attempt >= 3 || pgErrorCode(error) !== INVALID_CATALOG_NAME) throw error;
      template = undefined;
    }
  }
}

/** SQLSTATE of CREATE DATABASE ... TEMPLATE naming a database that does not exist. */
const INVALID_CATALOG_NAME = '3D000';

/** Creates an empty database (no dagbridge tables), for migration tests. */
export async function createEmptyDatabase(label: string): Promise<TestDatabase> {
  return createDatabase(label, null);
}

async function createDatabase(label: string, from: string | null): Promise<TestDatabase> {
  const adminUrl = await databaseServerUrl();
  const name = `dagbridge_test_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${uniqueSuffix()}`.slice(0, 63);
  await withAdmin((admin) => admin.query(from ? `CREATE DATABASE "${name}" TEMPLATE "${from}"` : `CREATE DATABASE "${name}"`));
  const url = withDatabase(adminUrl, name);
  const pools: pg.Pool[] = [];
  const newPool = (options: { max?: number } = {}): pg.Pool => {
    const pool = createPgPool(url, { applicationName: `dagbridge-test-${label}`, max: options.max ?? 5 });
    pools.push(pool);
    return pool;
  };
  const pool = newPool();
  let dropped: Promise<void> | undefined;
  const drop = (): Promise<void> => {
    dropped ??= (async () => {
      await Promise.all(pools.map((p) => p.end()));
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    })();
    return dropped;
  };
  return { name, url, pool, newPool, drop };
}

// ---- Fixtures for the store tests: complete, schema-valid bundle parts with overridable fields. ----


/** A Bash task with every field of the bundle schema at Airflow's default; `overrides` win. */
export function taskSpec(taskId: string, overrides: Partial<TaskSpec> = {}): TaskSpec {
  return task(taskId, {
    operator: 'BashOperator',
    operatorModule: 'airflow.operators.bash',
    kind: 'bash',
    templateFields: { bash_command: 'echo hi' },
    ...overrides,
  });
}

/** A daily DAG with the given settings (default: one task `t1`). */
export function dagSpec(dagId: string, overrides: Partial<DagSpec> = {}): DagSpec {
  return dagOf([taskSpec('t1')], [], {
    dagId,
    file: `${dagId}.py`,
    fileHash: `hash-of-${dagId}`,
    schedule: { type: 'cron', expression: '0 0 * * *', preset: '@daily' },
    startDate: '2024-01-01T00:00:00+00:00',
    ...overrides,
  });
}

/** A bundle of the given DAGs and import errors. */
export function bundleOf(dags: DagSpec[], importErrors: DagBundle['importErrors'] = []): DagBundle {
  return {
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    generator: { name: 'dagbridge_shim', version: '0.1.0', python: '3.11.7', pythonExecutable: '/usr/bin/python3', mode: 'standin', airflowVersion: null },
    dagsFolder: '/dags',
    files: dags.map((dag) => ({ path: dag.file, hash: dag.fileHash, imports: [], dagIds: [dag.dagId], parseSeconds: 0.01 })),
    importErrors,
    dags,
  };
}
