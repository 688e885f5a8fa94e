/**
 * `runAsUser` (the worker's `--run-as-user`, a task's `run_as_user`): the task runs with that user's uid, gid and
 * groups, owns its attempt directory, and cannot read the worker's files or environment or signal its supervisor.
 * Needs root: the test creates a throwaway system user and removes it afterwards.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTaskProcess, type TaskProcessSpec } from '../src/worker/task-process.js';
import type { TaskRunInput } from '../src/ports/task-run-contract.js';

const FIXTURE = fileURLToPath(new URL('../src/worker/fixtures/task_fixture.py', import.meta.url));
// The system interpreter: another user cannot run one under /root (pyenv).
const PYTHON = '/usr/bin/python3';
const isRoot = process.getuid?.() === 0;
const USER = `dbt${randomBytes(3).toString('hex')}`;

const input: TaskRunInput = {
  version: 1, dagId: 'etl', taskId: 'as_user', runId: 'manual__1', mapIndex: -1, tryNumber: 1, maxTries: 1, runType: 'manual',
  logicalDate: null, dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-01T00:00:00+00:00', dagRunStartDate: null,
  conf: {}, xcoms: [], variables: {}, testMode: false, sensorFirstPokeAt: null,
  prevDataIntervalStartSuccess: null, prevDataIntervalEndSuccess: null, prevStartDateSuccess: null,
};

let scratch = '';
let created = false;

describe.skipIf(!isRoot)('tasks run as another user (skipped unless root: creating a user and switching to it need root)', () => {
  let uid = 0;
  let gid = 0;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-run-as-user-test-'));
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', USER]);
    created = true;
    uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
  });

  afterAll(async () => {
    if (created) execFileSync('userdel', [USER]);
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const run = (spec: Partial<TaskProcessSpec>, args: string[]) =>
    runTaskProcess(
      { input, command: { kind: 'argv', python: PYTHON, argv: [PYTHON, FIXTURE, ...args] }, executionTimeoutSeconds: null, killGraceMs: 300, workBaseDir: path.join(scratch, 'attempts'), ...spec },
      { onLogLine: () => undefined },
    );

  it('gives the task the user\'s uid, gid, groups and HOME, its attempt directory, and nothing of the worker', async () => {
    const secret = path.join(scratch, 'database-url');
    writeFileSync(secret, 'postgres://postgres:PgS3cretPW@db/x\n', { mode: 0o600 });
    chmodSync(scratch, 0o711);
    const outcome = await run({ runAsUser: USER }, ['identity', secret, String(process.pid)]);
    expect(outcome.failure).toBeNull();
    expect(outcome.result?.xcoms[0]?.value).toEqual({
      uid, gid, groups: [gid], home: '/nonexistent', user: USER, attemptOwner: uid,
      readsSecret: false, readsWorkerEnviron: false, signalsSupervisor: false, writesTmp: true,
    });
  });

  it('without runAsUser the task keeps the worker\'s user (and reaches what it reaches)', async () => {
    const secret = path.join(scratch, 'database-url');
    const outcome = await run({}, ['identity', secret, String(process.pid)]);
    expect(outcome.result?.xcoms[0]?.value).toMatchObject({ uid: 0, readsSecret: true, readsWorkerEnviron: true, signalsSupervisor: true });
  });

  it('fails an attempt whose user does not exist, not retryable, naming the user', async () => {
    const outcome = await run({ runAsUser: `${USER}x` }, ['ok']);
    expect(outcome.failure).toEqual({
      type: 'RunAsUserError',
      message: `task process could not be started: there is no user '${USER}x' on this machine`,
      retryable: false,
    });
  });
});
