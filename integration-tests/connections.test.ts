/**
 * Airflow Connections on real PostgreSQL through the built CLI and a real worker: `dagbridge connections`
 * add/get/list/export/import/delete on a fresh database, Fernet rotation (old rows readable, new rows written
 * with the new key, rotate-fernet-key re-encrypting), clear errors for a missing or wrong key, and a task asking
 * its worker for connections over the supervisor channel (table, AIRFLOW_CONN_*, the secrets file, none).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fernet } from '../src/lib/fernet.js';
import { CLI, ROOT, TestCluster } from './support/cluster.js';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'connection_dags');
const PASSWORD = 'p@ss:w/rd';
const API_KEY = 'k-123-secret';

let cluster: TestCluster;
let root: string;
let fresh: TestDatabase | null = null;
let key1: string;
let key2: string;

interface Result {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** `dagbridge <args>` with the cluster's environment and `env` on top (a null value removes the variable). */
async function cli(args: string[], env: Record<string, string | null> = {}): Promise<Result> {
  const merged: Record<string, string> = { ...cluster.env() };
  for (const [name, value] of Object.entries(env)) {
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  const result = await execa(process.execPath, [CLI, ...args], { env: merged, extendEnv: false, reject: false, cwd: ROOT });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

async function ok(args: string[], env: Record<string, string | null> = {}): Promise<string> {
  const result = await cli(args, env);
  if (result.exitCode !== 0) throw new Error(`dagbridge ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

async function rawRow(connId: string, pool = cluster.store.pool): Promise<{ password: string | null; extra: string | null; is_encrypted: boolean; is_extra_encrypted: boolean }> {
  const result = await pool.query('SELECT password, extra, is_encrypted, is_extra_encrypted FROM connections WHERE conn_id = $1', [connId]);
  return result.rows[0];
}

const opens = (key: string, token: string | null): boolean => token !== null && new Fernet(key).open(token) !== null;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  root = mkdtempSync(path.join(tmpdir(), 'dagbridge-connections-'));
  cpSync(FIXTURES, path.join(root, 'dags'), { recursive: true });
  cluster = await new TestCluster({ label: 'connections', dagsFolder: path.join(root, 'dags') }).setUp();
}, 60_000);

afterAll(async () => {
  await cluster?.tearDown();
  await fresh?.drop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('dagbridge connections', () => {
  it('generates Fernet keys', async () => {
    key1 = (await ok(['connections', 'generate-fernet-key'])).trim();
    key2 = JSON.parse(await ok(['connections', 'generate-fernet-key', '--json'])).fernetKey;
    expect(key1).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(key2).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(key2).not.toBe(key1);
  });

  it('refuses to store a connection without a key, or with a malformed one, naming the variable and the fix', async () => {
    const missing = await cli(['connections', 'add', 'my_db', '--conn-uri', 'postgres://u:x@h/db']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe('dagbridge: no Fernet key to encrypt connection my_db: set DAGBRIDGE_FERNET_KEY (generate one with `dagbridge connections generate-fernet-key`)');
    const malformed = await cli(['connections', 'add', 'my_db', '--conn-uri', 'postgres://u:x@h/db'], { DAGBRIDGE_FERNET_KEY: `${key1},not-a-key` });
    expect(malformed.exitCode).toBe(1);
    expect(malformed.stderr).toMatch(/^dagbridge: key 2 of DAGBRIDGE_FERNET_KEY is not a Fernet key/);
    expect(malformed.stderr).not.toContain(key1);
    expect((await cluster.store.pool.query('SELECT count(*)::int AS n FROM connections')).rows[0].n).toBe(0);
  });

  it('adds connections from a URI and from fields, encrypted at rest, printing secrets masked', async () => {
    const env = { DAGBRIDGE_FERNET_KEY: key1 };
    const uri = `postgres://app:${encodeURIComponent(PASSWORD)}@db.example.com:5432/orders?sslmode=require`;
    const added = await ok(['connections', 'add', 'my_db', '--conn-uri', uri, '--conn-description', 'orders database'], env);
    expect(added).toBe('Successfully added conn_id=my_db : postgres://app:%2A%2A%2A@db.example.com:5432/orders?sslmode=require');
    const json = JSON.parse(await ok(['connections', 'add', 'my_api', '--conn-type', 'http', '--conn-host', 'api.example.com', '--conn-login', 'bot', '--conn-password', 's3cret', '--conn-port', '443',
      '--conn-extra', JSON.stringify({ api_key: API_KEY, region: 'eu' }), '--json'], env));
    expect(json).toMatchObject({ added: 'my_api', connection: { password: '***', extra_dejson: { api_key: '***', region: 'eu' } } });
    const duplicate = await cli(['connections', 'add', 'my_db', '--conn-type', 'http'], env);
    expect([duplicate.exitCode, duplicate.stderr]).toEqual([1, 'dagbridge: a connection with conn_id my_db already exists; delete it first, or use connections import --overwrite']);
    const usage = await cli(['connections', 'add', 'x', '--conn-uri', 'http://h', '--conn-host', 'h'], env);
    expect([usage.exitCode, usage.stderr]).toEqual([2, 'dagbridge: --conn-host cannot be combined with --conn-uri']);

    const row = await rawRow('my_db');
    expect(row).toMatchObject({ is_encrypted: true, is_extra_encrypted: true });
    expect(row.password).not.toContain(PASSWORD);
    expect(new Fernet(key1).open(row.password ?? '')?.plaintext.toString()).toBe(PASSWORD);
    expect(new Fernet(key1).open(row.extra ?? '')?.plaintext.toString()).toBe('{"sslmode": "require"}');
    // The token is Python cryptography's: Airflow's own Fernet reads it with the same key.
    const python = spawnSync('/usr/bin/python3', ['-c', 'import sys; from cryptography.fernet import Fernet; sys.stdout.write(Fernet(sys.argv[1].encode()).decrypt(sys.argv[2].encode()).decode())', key1, row.password ?? ''], { encoding: 'utf8' });
    if (python.status === 0) expect(python.stdout).toBe(PASSWORD);
  });

  it('gets and lists with secrets masked unless --show-secrets', async () => {
    const env = { DAGBRIDGE_FERNET_KEY: key1 };
    const [got] = JSON.parse(await ok(['connections', 'get', 'my_db', '--json'], env));
    expect(got).toEqual({
      conn_id: 'my_db', conn_type: 'postgres', description: 'orders database', host: 'db.example.com', schema: 'orders', login: 'app', password: '***', port: 5432,
      extra_dejson: { sslmode: 'require' }, get_uri: 'postgres://app:%2A%2A%2A@db.example.com:5432/orders?sslmode=require', source: 'table',
    });
    const [shown] = JSON.parse(await ok(['connections', 'get', 'my_db', '-o', 'json', '--show-secrets'], env));
    expect(shown.password).toBe(PASSWORD);
    expect(shown.get_uri).toBe('postgres://app:p%40ss%3Aw%2Frd@db.example.com:5432/orders?sslmode=require');
    const table = await ok(['connections', 'list'], env);
    expect(table).toMatch(/^CONN_ID\s+CONN_TYPE\s+HOST/);
    expect(table).toContain('my_api');
    const yaml = await ok(['connections', 'list', '-o', 'yaml'], env);
    for (const text of [table, yaml, JSON.stringify(got)]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('s3cret');
      expect(text).not.toContain(API_KEY);
    }
    expect(JSON.parse(await ok(['connections', 'list', '--conn-id', 'my_api', '--json'], env)).map((c: { conn_id: string }) => c.conn_id)).toEqual(['my_api']);
    const missing = await cli(['connections', 'get', 'nowhere'], env);
    expect([missing.exitCode, missing.stderr]).toEqual([1, 'dagbridge: connection nowhere not found (looked in environment variable AIRFLOW_CONN_NOWHERE, table)']);
  });

  it('looks up AIRFLOW_CONN_* first, then the connections file, then the table (connections get)', async () => {
    const file = path.join(root, 'conns.yaml');
    writeFileSync(file, 'my_db:\n  conn_type: mysql\n  host: file-host\nonly_file: http://file-only');
    const env = { DAGBRIDGE_FERNET_KEY: key1, DAGBRIDGE_CONNECTIONS_FILE: file, AIRFLOW_CONN_MY_API: 'http://env-host:81' };
    const source = async (id: string): Promise<[string, string]> => {
      const [conn] = JSON.parse(await ok(['connections', 'get', id, '--json'], env));
      return [conn.host, conn.source];
    };
    expect(await source('my_api')).toEqual(['env-host', 'environment variable AIRFLOW_CONN_MY_API']);
    expect(await source('my_db')).toEqual(['file-host', `file ${file}`]);
    expect(await source('only_file')).toEqual(['file-only', `file ${file}`]);
  });

  it('exports and imports (json, yaml, env) into a fresh database, skipping or overwriting what exists', async () => {
    const env = { DAGBRIDGE_FERNET_KEY: key1 };
    const files = { json: path.join(root, 'export.json'), yaml: path.join(root, 'export.yml'), env: path.join(root, 'export.env') };
    for (const file of Object.values(files)) expect(await ok(['connections', 'export', file], env)).toBe(`Connections successfully exported: 2 to ${file}`);
    expect(await ok(['connections', 'export', path.join(root, 'export-json.env'), '--serialization-format', 'json'], env)).toContain('exported: 2');
    for (const file of Object.values(files)) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(files.json, 'utf8')).my_db).toEqual({ conn_type: 'postgres', description: 'orders database', login: 'app', password: PASSWORD, host: 'db.example.com', port: 5432, schema: 'orders', extra: '{"sslmode": "require"}' });
    expect(readFileSync(files.env, 'utf8')).toContain(`my_db=postgres://app:p%40ss%3Aw%2Frd@db.example.com:5432/orders?sslmode=require`);
    const stdout = await ok(['connections', 'export', '-', '--file-format', 'yaml'], env);
    expect(stdout).toContain('my_api:');
    expect(stdout).not.toContain(PASSWORD);
    const refused = await cli(['connections', 'export', files.json, '--serialization-format', 'json'], env);
    expect([refused.exitCode, refused.stderr]).toEqual([2, 'dagbridge: --serialization-format may only be used with the env file format']);

    fresh = await createMigratedDatabase('connections_fresh');
    const freshEnv = { ...env, DAGBRIDGE_DATABASE_URL: fresh.url };
    const before = JSON.parse(await ok(['connections', 'list', '--json', '--show-secrets'], env));
    for (const [format, file] of Object.entries(files)) {
      await fresh.pool.query('DELETE FROM connections');
      expect(JSON.parse(await ok(['connections', 'import', file, '--json'], freshEnv)), format).toEqual({ imported: ['my_api', 'my_db'], skipped: [] });
      // The URI form (env files by default) has no description, and an empty schema reads back as '' (as in Airflow).
      const expected = format === 'env' ? before.map((c: Record<string, unknown>) => ({ ...c, description: null, schema: c.schema ?? '' })) : before;
      expect(JSON.parse(await ok(['connections', 'list', '--json', '--show-secrets'], freshEnv)), format).toEqual(expected);
    }
    await fresh.pool.query('DELETE FROM connections');
    expect(JSON.parse(await ok(['connections', 'import', path.join(root, 'export-json.env'), '--json'], freshEnv))).toEqual({ imported: ['my_api', 'my_db'], skipped: [] });
    expect(JSON.parse(await ok(['connections', 'list', '--json', '--show-secrets'], freshEnv))).toEqual(before);

    writeFileSync(path.join(root, 'change.json'), JSON.stringify({ my_db: { conn_type: 'postgres', host: 'new-host' } }));
    expect(await ok(['connections', 'import', path.join(root, 'change.json')], freshEnv)).toBe('Could not import connection my_db: connection already exists');
    expect(await ok(['connections', 'import', path.join(root, 'change.json'), '--overwrite'], freshEnv)).toBe('Imported connection my_db');
    expect(JSON.parse(await ok(['connections', 'get', 'my_db', '--json'], freshEnv))[0]).toMatchObject({ host: 'new-host', password: null });

    expect(await ok(['connections', 'delete', 'my_db'], freshEnv)).toBe('Successfully deleted connection with conn_id=my_db');
    const again = await cli(['connections', 'delete', 'my_db'], freshEnv);
    expect([again.exitCode, again.stderr]).toEqual([1, 'dagbridge: did not find a connection with conn_id my_db']);
  });

  it('rotates: with the new key first old rows read, new rows are written with the new key, rotate-fernet-key re-encrypts', async () => {
    const both = { DAGBRIDGE_FERNET_KEY: `${key2},${key1}` };
    // Old rows (key1) read with the new list.
    expect(JSON.parse(await ok(['connections', 'get', 'my_db', '--json', '--show-secrets'], both))[0].password).toBe(PASSWORD);
    await ok(['connections', 'add', 'new_conn', '--conn-type', 'http', '--conn-password', 'brand-new', '--conn-extra', '{"token": "t"}'], both);
    const fresh = await rawRow('new_conn');
    expect([opens(key2, fresh.password), opens(key1, fresh.password), opens(key2, fresh.extra), opens(key1, fresh.extra)]).toEqual([true, false, true, false]);

    // The new key alone cannot read the old rows yet: InvalidToken naming the connection, no secret.
    const onlyNew = await cli(['connections', 'get', 'my_db', '--json'], { DAGBRIDGE_FERNET_KEY: key2 });
    expect(onlyNew.exitCode).toBe(1);
    expect(onlyNew.stderr).toMatch(/^dagbridge: InvalidToken: the password of connection my_db cannot be decrypted with the key in DAGBRIDGE_FERNET_KEY; it was written with another key/);
    expect(onlyNew.stderr).toContain('rotate-fernet-key');
    expect(onlyNew.stderr).not.toContain(key2);

    const oldToken = (await rawRow('my_db')).password;
    expect(JSON.parse(await ok(['connections', 'rotate-fernet-key', '--json'], both))).toEqual({ rotated: 3, encrypted: 0, changed: 0 });
    const rotated = await rawRow('my_db');
    expect(rotated.password).not.toBe(oldToken);
    expect([opens(key2, rotated.password), opens(key1, rotated.password), opens(key2, rotated.extra)]).toEqual([true, false, true]);
    // The token keeps its timestamp (cryptography's MultiFernet.rotate).
    expect(new Fernet(key2).open(rotated.password ?? '')?.timestampSeconds).toBe(new Fernet(key1).open(oldToken ?? '')?.timestampSeconds);
    const after = JSON.parse(await ok(['connections', 'list', '--json', '--show-secrets'], { DAGBRIDGE_FERNET_KEY: key2 }));
    expect(after.map((c: { conn_id: string; password: string }) => [c.conn_id, c.password])).toEqual([['my_api', 's3cret'], ['my_db', PASSWORD], ['new_conn', 'brand-new']]);
    // The old key alone is now the wrong key.
    const onlyOld = await cli(['connections', 'list'], { DAGBRIDGE_FERNET_KEY: key1 });
    expect([onlyOld.exitCode, onlyOld.stderr]).toEqual([1, expect.stringMatching(/^dagbridge: InvalidToken: the password of connection my_api cannot be decrypted/)]);
    const noKey = await cli(['connections', 'get', 'my_db']);
    expect(noKey.stderr).toBe('dagbridge: no Fernet key to decrypt the password of connection my_db: set DAGBRIDGE_FERNET_KEY (generate one with `dagbridge connections generate-fernet-key`)');
  });

  it('encrypts, on rotation, a secret stored in clear (a row copied from an Airflow database without a key)', async () => {
    await cluster.store.pool.query("INSERT INTO connections (conn_id, conn_type, password, is_encrypted) VALUES ('copied', 'http', 'plain-pw', false)");
    // Read as it is, without a key, as Airflow reads it.
    expect(JSON.parse(await ok(['connections', 'get', 'copied', '--json', '--show-secrets']))[0].password).toBe('plain-pw');
    expect(JSON.parse(await ok(['connections', 'rotate-fernet-key', '--json'], { DAGBRIDGE_FERNET_KEY: key2 }))).toEqual({ rotated: 3, encrypted: 1, changed: 0 });
    const row = await rawRow('copied');
    expect([row.is_encrypted, opens(key2, row.password)]).toEqual([true, true]);
  });
});

describe('a worker answers connection.get', () => {
  it('from AIRFLOW_CONN_*, the connections file and the table (both keys during a rotation), null for none, and names a row no key opens', async () => {
    const file = path.join(root, 'worker-conns.json');
    writeFileSync(file, JSON.stringify({ from_file: { conn_type: 'http', host: 'file-host', extra_dejson: { a: 'b' } } }));
    // A row written with a key the worker does not hold.
    const key3: string = JSON.parse(await ok(['connections', 'generate-fernet-key', '--json'])).fernetKey;
    await ok(['connections', 'add', 'foreign', '--conn-type', 'http', '--conn-password', 'nope'], { DAGBRIDGE_FERNET_KEY: key3 });
    // An old-key row next to the rotated ones: the worker holds the new key first and the old one after it.
    await ok(['connections', 'add', 'old_row', '--conn-uri', 'mysql://me:old-pw@old-host:3306/s'], { DAGBRIDGE_FERNET_KEY: key1 });
    cluster.scheduler();
    cluster.worker('w1', [], { DAGBRIDGE_FERNET_KEY: `${key2},${key1}`, DAGBRIDGE_CONNECTIONS_FILE: file, AIRFLOW_CONN_FROM_ENV: '{"conn_type": "redis", "host": "env-host", "port": 6380}' });
    await cluster.waitForDags(['connection_lookup']);
    const conf = { conn_ids: ['my_db', 'old_row', 'from_env', 'from_file', 'nowhere', 'foreign'] };
    const runId = await cluster.trigger('connection_lookup', ['--conf', JSON.stringify(conf)]);
    const run = await cluster.waitForRun('connection_lookup', runId);
    const xcoms = (await cluster.store.listXcoms({ dagId: 'connection_lookup', runId })).filter((x) => x.key === 'return_value');
    const xcom = xcoms.find((x) => x.taskId === 'look_up')?.value as Record<string, unknown>;
    // Airflow's own API in the task (the shim's BaseHook) gets the same fields through the channel; the task never holds the key.
    expect(xcoms.find((x) => x.taskId === 'via_hook')?.value).toEqual({ host: 'db.example.com', password: PASSWORD, extra: { sslmode: 'require' }, uri: 'postgres://app:p%40ss%3Aw%2Frd@db.example.com:5432/orders?sslmode=require', key_in_env: [] });
    expect(run.state, JSON.stringify(xcom)).toBe('success');
    expect(xcom.my_db).toEqual({ connId: 'my_db', connType: 'postgres', description: 'orders database', host: 'db.example.com', schema: 'orders', login: 'app', password: PASSWORD, port: 5432, extra: '{"sslmode": "require"}' });
    expect(xcom.old_row).toEqual({ connId: 'old_row', connType: 'mysql', description: null, host: 'old-host', schema: 's', login: 'me', password: 'old-pw', port: 3306, extra: null });
    expect(xcom.from_env).toEqual({ connId: 'from_env', connType: 'redis', description: null, host: 'env-host', schema: null, login: null, password: null, port: 6380, extra: null });
    expect(xcom.from_file).toEqual({ connId: 'from_file', connType: 'http', description: null, host: 'file-host', schema: null, login: null, password: null, port: null, extra: '{"a": "b"}' });
    expect(xcom.nowhere).toBeNull();
    expect(xcom.foreign).toEqual({
      refused: 'unavailable',
      message: expect.stringMatching(/^channel request connection\.get refused \(unavailable\): connection\.get: the worker could not answer: InvalidToken: the password of connection foreign cannot be decrypted with any of the 2 keys in DAGBRIDGE_FERNET_KEY/),
    });
    expect(JSON.stringify(xcom.foreign)).not.toContain('nope');
  }, 120_000);
});
