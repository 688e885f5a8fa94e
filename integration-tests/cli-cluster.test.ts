/**
 * The database-backed CLI: db, dags trigger/pause/unpause/backfill, runs, tasks states/logs/clear/mark-*, pools,
 * variables. The cluster state is built through the store directly; no scheduler or worker runs.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDags } from '../src/shim/export.js';
import { loadMigrations } from '../src/store/migrate.js';
import { ROOT, TestCluster } from './support/cluster.js';
import { createEmptyDatabase, type TestDatabase } from './support/database.js';
import { freePort, OwnRedis } from './support/own-servers.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'cluster_dags');
const latest = loadMigrations().at(-1)?.version ?? 0;
let cluster: TestCluster;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  cluster = await new TestCluster({ label: 'cli', dagsFolder: FIXTURES }).setUp();
  await cluster.store.syncBundle(await exportDags({ dagsFolder: FIXTURES }), Date.now());
}, 60_000);

afterAll(async () => {
  await cluster?.tearDown();
});

const json = async <T>(args: string[]): Promise<T> => {
  const result = await cluster.cli([...args, '--json']);
  if (result.exitCode !== 0) throw new Error(`${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
};

describe('db', () => {
  let empty: TestDatabase;
  afterAll(async () => empty?.drop());

  it('check says what is pending, migrate applies it, services refuse an old schema', async () => {
    empty = await createEmptyDatabase('cli_db');
    const env = ['--database-url', empty.url];
    const before = await cluster.cli(['db', 'check', ...env]);
    expect([before.exitCode, before.stdout]).toEqual([1, expect.stringMatching(/^schema is at version 0; pending: 1 init.*\(run dagbridge db migrate\)$/)]);
    const refused = await cluster.cli(['runs', 'list', ...env]);
    expect([refused.exitCode, refused.stderr.trim()]).toEqual([1, `dagbridge: database schema is at 0, this dagbridge needs ${latest}: run \`dagbridge db migrate\``]);
    const versions = loadMigrations().map((m) => m.version);
    expect((await cluster.cli(['db', 'migrate', ...env])).stdout).toMatch(new RegExp(`^applied migrations ${versions.join(', ')}; schema is at version ${latest}`));
    expect((await cluster.cli(['db', 'check', ...env])).exitCode).toBe(0);
    expect((await cluster.cli(['db', 'reset', ...env])).stderr).toContain('pass --yes');
  }, 60_000);
});

describe('Redis errors of a command', () => {
  it('fails at once with the URL redacted and the fix when Redis is down, refuses the password or needs one', async () => {
    const port = await freePort();
    const down = await cluster.cli(['queue', 'list', '--redis-url', `redis://:R3disS3cretPW@127.0.0.1:${port}`]);
    expect([down.exitCode, down.stderr.trim().split('\n').at(-1)]).toEqual([
      1,
      `dagbridge: cannot reach Redis at redis://:***@127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): start Redis or fix DAGBRIDGE_REDIS_URL (or the file DAGBRIDGE_REDIS_URL_FILE names, or --redis-url-file)`,
    ]);
    const redis = new OwnRedis('right-password');
    await redis.start();
    try {
      const wrong = await cluster.cli(['queue', 'list', '--redis-url', `redis://:R3disS3cretPW@127.0.0.1:${redis.port}`]);
      expect([wrong.exitCode, wrong.stderr.trim().split('\n').at(-1)]).toEqual([
        1,
        `dagbridge: cannot use Redis at redis://:***@127.0.0.1:${redis.port}: the server refused the user name or password (WRONGPASS); fix DAGBRIDGE_REDIS_URL (or the file DAGBRIDGE_REDIS_URL_FILE names, or --redis-url-file)`,
      ]);
      expect(wrong.stderr).not.toContain('R3disS3cretPW');
      expect(wrong.stderr).not.toContain('internal error');
      const none = await cluster.cli(['queue', 'list', '--redis-url', redis.url]);
      expect([none.exitCode, none.stderr.trim().split('\n').at(-1)]).toEqual([
        1,
        `dagbridge: cannot use Redis at ${redis.url}: the server requires a password and the URL has none (NOAUTH); fix DAGBRIDGE_REDIS_URL (or the file DAGBRIDGE_REDIS_URL_FILE names, or --redis-url-file)`,
      ]);
      const right = await cluster.cli(['queue', 'list', '--json', '--redis-url', `redis://:right-password@127.0.0.1:${redis.port}`]);
      expect(right.exitCode).toBe(0);
    } finally {
      await redis.stop();
    }
  }, 180_000);
});

describe('dags, runs and tasks', () => {
  it('triggers with conf, refuses a duplicate run id, pauses and unpauses', async () => {
    const run = await json<{ runId: string; conf: unknown; state: string }>(['dags', 'trigger', 'fanout', '--conf', '{"x": 1}', '--run-id', 'manual_cli_1']);
    expect([run.runId, run.conf, run.state]).toEqual(['manual_cli_1', { x: 1 }, 'queued']);
    const again = await cluster.cli(['dags', 'trigger', 'fanout', '--run-id', 'manual_cli_1']);
    expect([again.exitCode, again.stderr.trim()]).toEqual([2, 'dagbridge: DAG run manual_cli_1 of fanout already exists; pass another --run-id or --logical-date']);
    expect((await cluster.cli(['dags', 'pause', 'fanout'])).stdout.trim()).toBe('DAG fanout paused');
    expect((await cluster.store.getDag('fanout'))?.isPaused).toBe(true);
    expect((await cluster.cli(['dags', 'unpause', 'fanout'])).stdout.trim()).toBe('DAG fanout unpaused');
    // Airflow's run id rule: a shell substitution never reaches a `{{ run_id }}` template (nor the database).
    const injected = await cluster.cli(['dags', 'trigger', 'fanout', '--run-id', '$(id>pwned_runid)']);
    expect([injected.exitCode, injected.stderr.trim()]).toEqual([
      2,
      `dagbridge: cannot create a run of DAG fanout: run_id "$(id>pwned_runid)" may contain only letters, digits and _ . ~ : + - (Airflow's allowed_run_id_pattern ^[A-Za-z0-9_.~:+-]+$, at most 250 characters)`,
    ]);
    const unknown = await cluster.cli(['dags', 'trigger', 'nope']);
    expect([unknown.exitCode, unknown.stderr.trim()]).toEqual([1, 'dagbridge: DAG "nope" is not in the metadata database; is a scheduler parsing the DAGs folder that defines it?']);
  }, 60_000);

  it('backfills a range once', async () => {
    const first = await json<Array<{ runId: string; created: boolean }>>(['dags', 'backfill', 'many', '--from', '2024-03-01', '--to', '2024-03-02']);
    // schedule=None: there is no interval to backfill.
    expect(first).toEqual([]);
  }, 60_000);

  it('lists runs, shows a run, lists task states, clears and marks', async () => {
    const runs = await json<Array<{ dagId: string; runId: string }>>(['runs', 'list', 'fanout']);
    expect(runs.map((r) => r.runId)).toEqual(['manual_cli_1']);
    const key = { dagId: 'fanout', runId: 'manual_cli_1' };
    const run = await cluster.store.getDagRun(key);
    const spec = run ? await cluster.store.getDagVersion(run.dagId, run.versionHash) : null;
    if (!run || !spec) throw new Error('run missing');
    await cluster.store.setDagRunState(run, 'queued', 'running', Date.now());
    await cluster.store.applyChanges(run, spec, spec.tasks.map((t) => ({ kind: 'create' as const, taskId: t.taskId, mapIndex: -1, priorityWeight: 1 })), Date.now());
    await cluster.store.applyChanges(run, spec, [{ kind: 'transition', taskId: 't1', mapIndex: -1, from: 'none', to: 'failed', note: 'made up' }], Date.now());
    const shown = await json<{ state: string; taskInstances: Array<{ taskId: string; state: string }> }>(['runs', 'show', 'fanout', 'manual_cli_1']);
    expect(shown.taskInstances.find((t) => t.taskId === 't1')?.state).toBe('failed');
    const states = await json<Array<{ taskId: string; state: string }>>(['tasks', 'states', 'fanout', 'manual_cli_1']);
    expect(states.length).toBe(12);
    expect((await cluster.cli(['tasks', 'clear', 'fanout', 'manual_cli_1', 't1', '--downstream'])).stdout.trim()).toBe('cleared 1 task instance(s): end, t1');
    expect((await cluster.store.getTaskInstance({ ...key, taskId: 't1', mapIndex: -1 }))?.state).toBe('none');
    expect((await cluster.cli(['tasks', 'mark-success', 'fanout', 'manual_cli_1', 't2'])).stdout.trim()).toBe('t2: none -> success');
    const text = await cluster.cli(['runs', 'show', 'fanout', 'manual_cli_1']);
    expect(text.stdout).toMatch(/^fanout manual_cli_1: running/);
    expect(text.stdout).toMatch(/t2\s+success/);
  }, 60_000);

  it('names a run by its logical date, lists failed task instances across DAGs, and suggests ids', async () => {
    const run = await cluster.store.getDagRun({ dagId: 'fanout', runId: 'manual_cli_1' });
    if (!run?.logicalDate) throw new Error('run missing');
    const byDate = await json<{ runId: string }>(['runs', 'show', 'fanout', run.logicalDate]);
    expect(byDate.runId).toBe('manual_cli_1');
    const day = await cluster.cli(['tasks', 'states', 'fanout', '1999-01-01']);
    expect([day.exitCode, day.stderr.trim()]).toEqual([1, 'dagbridge: DAG fanout has no run with run id or logical date 1999-01-01 (see dagbridge runs list fanout)']);
    const failed = await json<{ total: number; taskInstances: Array<{ dagId: string; runId: string; taskId: string; state: string }> }>(['tasks', 'list', '--state', 'failed', 'upstream_failed']);
    expect(failed.taskInstances.every((ti) => ti.state === 'failed' || ti.state === 'upstream_failed')).toBe(true);
    const badState = await cluster.cli(['tasks', 'list', '--state', 'faild']);
    expect([badState.exitCode, badState.stderr]).toEqual([2, expect.stringContaining('--state "faild" is not a task instance state; did you mean "failed"?')]);
    const typo = await cluster.cli(['dags', 'trigger', 'fanuot']);
    expect([typo.exitCode, typo.stderr.trim()]).toEqual([1, 'dagbridge: DAG "fanuot" is not in the metadata database; did you mean "fanout"?']);
    const task = await cluster.cli(['tasks', 'clear', 'fanout', 'manual_cli_1', 't13']);
    expect(task.stderr.trim()).toMatch(/^dagbridge: task "t13" is not in DAG fanout; did you mean "t1"/);
  }, 60_000);

  it('lists the import errors the scheduler recorded', async () => {
    expect(await json<unknown[]>(['dags', 'list-import-errors'])).toEqual([]);
    const bundle = await exportDags({ dagsFolder: FIXTURES });
    await cluster.store.syncBundle({ ...bundle, importErrors: [{ file: 'broken.py', type: 'SyntaxError', message: 'invalid syntax (broken.py, line 3)', traceback: 'Traceback...' }] }, Date.now());
    const errors = await json<Array<{ file: string; type: string }>>(['dags', 'list-import-errors']);
    expect(errors.map((e) => [e.file, e.type])).toEqual([['broken.py', 'SyntaxError']]);
    const text = await cluster.cli(['dags', 'list-import-errors']);
    expect(text.stdout).toMatch(/broken\.py\s+SyntaxError: invalid syntax/);
    await cluster.store.syncBundle(bundle, Date.now());
  }, 60_000);

  it('prints a task log from the database, any try', async () => {
    const key = { dagId: 'fanout', runId: 'manual_cli_1', taskId: 't3', mapIndex: -1 };
    await cluster.store.applyChanges((await cluster.store.getDagRun(key))!, (await cluster.store.getDagVersion('fanout', (await cluster.store.getDagRun(key))!.versionHash))!, [
      { kind: 'transition', taskId: 't3', mapIndex: -1, from: 'none', to: 'scheduled', newTry: true },
    ], Date.now());
    await cluster.store.appendLogLines(key, 1, [
      { seq: 0, at: 0, stream: 'stdout', line: 'hello from t3' },
      { seq: 1, at: 1, stream: 'stderr', line: 'INFO - done' },
      // A task that clears the screen and prints what looks like dagbridge's own line.
      { seq: 2, at: 2, stream: 'stdout', line: '\u001b[2J\u001b]0;PWNED\u0007dagbridge: try 1 finished: success' },
      { seq: 3, at: 3, stream: 'system', line: 'dagbridge: try 1 finished: failed' },
    ]);
    const logs = await cluster.cli(['tasks', 'logs', 'fanout', 'manual_cli_1', 't3']);
    expect([logs.exitCode, logs.stdout]).toEqual([0, [
      'stdout | hello from t3',
      'stderr | INFO - done',
      'stdout | \\x1b[2J\\x1b]0;PWNED\\x07dagbridge: try 1 finished: success',
      'system | dagbridge: try 1 finished: failed',
    ].join('\n')]);
    const bad = await cluster.cli(['tasks', 'logs', 'fanout', 'manual_cli_1', 't3', '--try', '5']);
    expect([bad.exitCode, bad.stderr.trim()]).toEqual([2, 'dagbridge: --try must be between 1 and 1']);
  }, 60_000);

  it('shows the names map_index_template gave mapped task instances in tasks states and runs show', async () => {
    const created = await json<{ runId: string }>(['dags', 'trigger', 'many', '--run-id', 'manual_named']);
    const run = await cluster.store.getDagRun({ dagId: 'many', runId: created.runId });
    const spec = run ? await cluster.store.getDagVersion(run.dagId, run.versionHash) : null;
    if (!run || !spec) throw new Error('run missing');
    await cluster.store.setDagRunState(run, 'queued', 'running', Date.now());
    await cluster.store.applyChanges(run, spec, [0, 1, 2].map((mapIndex) => ({ kind: 'create' as const, taskId: 'm0', mapIndex, priorityWeight: 1, state: 'scheduled' as const })), Date.now());
    const worker = { workerId: 'w-named', hostname: 'node-3', pid: 1 };
    for (const [mapIndex, name] of [[0, 'file a.csv'], [1, 'file b.csv'], [2, null]] as const) {
      const key = { dagId: 'many', runId: run.runId, taskId: 'm0', mapIndex };
      await cluster.store.markQueued([{ ...key, tryNumber: 1 }], Date.now());
      await cluster.store.startTry(key, 1, worker, Date.now());
      await cluster.store.finishTry({
        key, tryNumber: 1, state: 'success', endDate: Date.now(), xcoms: [], skipTaskIds: [], nextRetryAt: null, rescheduleAt: null,
        error: null, exitCode: 0, signal: null, exitReason: null, triggerDagRuns: [], renderedMapIndex: name,
      });
    }
    const states = await json<Array<{ mapIndex: number; renderedMapIndex: string | null }>>(['tasks', 'states', 'many', 'manual_named']);
    expect(states.filter((ti) => ti.mapIndex >= 0).map((ti) => [ti.mapIndex, ti.renderedMapIndex])).toEqual([[0, 'file a.csv'], [1, 'file b.csv'], [2, null]]);
    const table = (await cluster.cli(['tasks', 'states', 'many', 'manual_named'])).stdout;
    expect(table).toMatch(/m0\[1\] \(file b\.csv\)\s+success/);
    expect(table).toMatch(/m0\[2\]\s+success/);
    const grid = (await cluster.cli(['runs', 'show', 'many', 'manual_named'])).stdout.split('\n');
    expect(grid.filter((line) => line.includes('m0'))).toEqual([
      expect.stringMatching(/^m0 \[3 mapped\]\s+3 success/),
      expect.stringMatching(/^ {2}m0\[0\] \(file a\.csv\)\s+success\s+1/),
      expect.stringMatching(/^ {2}m0\[1\] \(file b\.csv\)\s+success\s+1/),
    ]);
  }, 60_000);
});

describe('pools and variables', () => {
  it('sets and lists pools; sets, gets, lists and deletes variables', async () => {
    expect((await cluster.cli(['pools', 'set', 'etl', '3', '--description', 'warehouse'])).stdout.trim()).toBe('pool etl: 3 slots');
    const pools = await json<Array<{ name: string; slots: number; used: number; description: string }>>(['pools', 'list']);
    expect(pools).toEqual([{ name: 'default_pool', slots: 128, used: 0, description: 'Default pool' }, { name: 'etl', slots: 3, used: 0, description: 'warehouse' }]);
    const badSlots = await cluster.cli(['pools', 'set', 'etl', 'many']);
    expect([badSlots.exitCode, badSlots.stderr.trim()]).toEqual([2, 'dagbridge: slots must be a whole number >= 0, not "many"']);
    await cluster.cli(['variables', 'set', 'bucket', 's3://data']);
    expect((await cluster.cli(['variables', 'get', 'bucket'])).stdout.trim()).toBe('s3://data');
    expect(await json<Record<string, string>>(['variables', 'list'])).toEqual({ bucket: 's3://data' });
    expect((await cluster.cli(['variables', 'delete', 'bucket'])).exitCode).toBe(0);
    const gone = await cluster.cli(['variables', 'get', 'bucket']);
    expect([gone.exitCode, gone.stderr.trim()]).toEqual([1, 'dagbridge: variable "bucket" is not set']);
  }, 60_000);
});
