/**
 * `dagbridge standalone` as a user runs it (the compiled CLI as a subprocess): an embedded PostgreSQL under a
 * temporary home, two quick DAGs. One home for the whole file, in order: a first `--until-idle` (initdb), a
 * second start that still lists the first runs, gets a run triggered from another process and is stopped with
 * SIGINT while a task runs (no PostgreSQL process of the data directory may remain), then a last
 * `--until-idle` that finishes the interrupted run (its task handed back as a new try) next to new runs; a
 * SIGKILLed standalone whose PostgreSQL the next start shuts down; and the server's idempotent stop.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/logger.js';
import { EmbeddedPostgres } from '../src/standalone/embedded-postgres.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin', 'dagbridge.js');

const QUICK_DAGS = `
from datetime import datetime

from airflow import DAG
from airflow.decorators import task
from airflow.operators.bash import BashOperator

with DAG("quick_bash", schedule=None, start_date=datetime(2024, 1, 1), catchup=False) as bash_dag:
    BashOperator(task_id="hello", bash_command="echo hello")

with DAG("quick_python", schedule=None, start_date=datetime(2024, 1, 1), catchup=False) as python_dag:
    @task
    def make():
        import os
        # The attempt directory lies outside the standalone home: its URL file (a superuser password) is not here.
        reached = os.path.exists(os.path.join("..", "..", "..", "database-url"))
        assert not reached, "the home's database-url is reachable from the task's directory"
        return 20

    @task
    def double(value):
        assert value == 20, value
        return value * 2

    double(make())
`;

// The first try sleeps (and is interrupted); the marker tells every later try to finish at once.
const SLOW_DAG = `
import os
import time
from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator

MARKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "slept.marker")


def sleep_once():
    if os.path.exists(MARKER):
        return "second time"
    open(MARKER, "w").close()
    time.sleep(120)


with DAG("slow_once", schedule=None, start_date=datetime(2024, 1, 1), catchup=False) as dag:
    PythonOperator(task_id="sleeper", python_callable=sleep_once)
`;

interface Outcome {
  ok: boolean;
  interrupted: boolean;
  dataDir: string;
  runs: Array<{ dagId: string; runId: string; runType: string; state: string; taskStates: Record<string, number> }>;
}

let root = '';
let home = '';
let dags = '';
let dataDir = '';
const firstRunIds: string[] = [];
const children: ResultPromise[] = [];

/** The environment without DAGBRIDGE_* settings (a DAGBRIDGE_DATABASE_URL would replace the embedded server). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('DAGBRIDGE_')) env[key] = value;
  return env;
}

function standalone(args: string[]): ResultPromise<{ reject: false; extendEnv: false; env: Record<string, string>; cwd: string; forceKillAfterDelay: false }> {
  // forceKillAfterDelay false: a SIGTERM here tests the graceful stop, which execa would cut short with a SIGKILL after 5 s.
  const child = execa('node', [CLI, 'standalone', '--home', home, '--dags-folder', dags, '--no-airflow', '--concurrency', '2', ...args], {
    reject: false, extendEnv: false, env: cleanEnv(), cwd: root, forceKillAfterDelay: false,
  });
  children.push(child);
  return child;
}

/** Resolves with the stderr text so far once `pattern` appears in it; rejects if the process ends first. */
function waitForStderr(child: ResultPromise, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error(`no ${String(pattern)} on stderr within ${timeoutMs} ms; got:\n${text}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (pattern.test(text)) done(null);
    };
    const onExit = (): void => done(new Error(`the process exited before ${String(pattern)} appeared on stderr:\n${text}`));
    function done(error: Error | null): void {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(text);
    }
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Live processes whose command line names `dir`, or whose parent is `parentPid` (Linux /proc). */
function processesOf(dir: string, parentPid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      const parent = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      if (commandLine.split('\u0000').includes(dir) || parent === parentPid) found.push(Number(entry));
    } catch {
      // The process ended while it was being read.
    }
  }
  return found;
}

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  root = mkdtempSync(path.join(tmpdir(), 'dagbridge-standalone-'));
  // As root the server runs as an unprivileged user, which must be able to reach the home inside this folder.
  chmodSync(root, 0o755);
  home = path.join(root, 'home');
  dags = path.join(root, 'dags');
  dataDir = path.join(home, 'pg');
  mkdirSync(dags);
  writeFileSync(path.join(dags, 'quick.py'), QUICK_DAGS);
});

afterAll(async () => {
  // A failed assertion can leave a standalone running: stop it (and so its PostgreSQL) before removing its home.
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await child;
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('dagbridge standalone', () => {
  it('--until-idle initialises the embedded PostgreSQL, runs every DAG once and prints the outcome', async () => {
    const result = await standalone(['--until-idle', '--json']);
    expect(result.stderr).toContain('PostgreSQL initialised and started');
    expect(result.exitCode, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as Outcome;
    expect(outcome.ok).toBe(true);
    expect(outcome.interrupted).toBe(false);
    expect(outcome.dataDir).toBe(dataDir);
    expect(outcome.runs.map((r) => [r.dagId, r.runType, r.state, r.taskStates])).toEqual([
      ['quick_bash', 'manual', 'success', { success: 1 }],
      ['quick_python', 'manual', 'success', { success: 2 }],
    ]);
    firstRunIds.push(...outcome.runs.map((r) => r.runId));
    // The live lines: one per state change, on stderr.
    expect(result.stderr).toMatch(/quick_python manual__\S+ double: success/);
    expect(result.stderr).toMatch(/quick_bash manual__\S+: run success/);
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
  });

  it('a second start keeps the earlier runs, runs a triggered DAG and stops everything on SIGINT', async () => {
    writeFileSync(path.join(dags, 'slow.py'), SLOW_DAG);
    const child = standalone([]);
    const startup = await waitForStderr(child, /^ready: /m);
    expect(startup).toContain('PostgreSQL started in');
    expect(startup).not.toContain('initialised');
    const postmasterPid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(processesOf(dataDir, postmasterPid)).toContain(postmasterPid);

    const url = readFileSync(path.join(home, 'database-url'), 'utf8').trim();
    const list = await execa('node', [CLI, 'runs', 'list', '--json', '--database-url', url], { extendEnv: false, env: cleanEnv() });
    const listed = (JSON.parse(list.stdout) as Array<{ runId: string; dagId: string; state: string }>).filter((r) => r.dagId.startsWith('quick_'));
    expect(listed.map((r) => r.runId).sort()).toEqual([...firstRunIds].sort());
    expect(listed.map((r) => r.state)).toEqual(['success', 'success']);

    // A trigger from another process wakes the scheduler (LISTEN/NOTIFY) and the task starts sleeping.
    const running = waitForStderr(child, /slow_once manual__\S+ sleeper: running/);
    await execa('node', [CLI, 'dags', 'trigger', 'slow_once', '--database-url', url], { extendEnv: false, env: cleanEnv() });
    await running;
    // "running" is recorded before the subprocess starts: wait until the task really sleeps.
    const marker = path.join(dags, 'slept.marker');
    for (let waited = 0; !existsSync(marker); waited += 50) {
      if (waited > 30_000) throw new Error('the sleeper task did not start within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('SIGINT: stopping the tasks, the scheduler and PostgreSQL');
    expect(processesOf(dataDir, postmasterPid)).toEqual([]);
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    expect(existsSync(path.join(home, 'standalone.lock'))).toBe(false);
  });

  it('--until-idle finishes the interrupted run with a new try and runs the other DAGs again', async () => {
    const result = await standalone(['--until-idle', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as Outcome;
    const rows = outcome.runs.map((r) => [r.dagId, r.state, r.taskStates]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(rows).toEqual([
      ['quick_bash', 'success', { success: 1 }],
      ['quick_python', 'success', { success: 2 }],
      ['slow_once', 'success', { success: 1 }],
    ]);
    expect(outcome.runs.filter((r) => firstRunIds.includes(r.runId))).toEqual([]);
    // The sleeper's first try was handed back when standalone stopped; its second try finished.
    expect(result.stderr).toMatch(/slow_once manual__\S+ sleeper: success \(try 2\)/);
  });
});

describe('a standalone process that is killed', () => {
  it('leaves its PostgreSQL running, which the next start shuts down before starting its own', async () => {
    const child = standalone([]);
    await waitForStderr(child, /^ready: /m);
    const orphanPid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    child.kill('SIGKILL');
    await child;
    // The server has its own session: SIGKILL of dagbridge does not reach it.
    expect(processesOf(dataDir, orphanPid)).toContain(orphanPid);
    const result = await standalone(['--until-idle', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('a PostgreSQL server of this home is still running');
    expect(processesOf(dataDir, orphanPid)).toEqual([]);
    expect((JSON.parse(result.stdout) as Outcome).runs.map((r) => r.state)).toEqual(['success', 'success', 'success']);
  });
});

describe('EmbeddedPostgres', () => {
  it('stops idempotently: every stop() returns the same promise, and the lock is released', async () => {
    const server = new EmbeddedPostgres({ home: path.join(root, 'direct-home'), log: silentLogger });
    await server.start();
    expect([server.state, server.initialised]).toEqual(['running', true]);
    const pid = server.pid ?? -1;
    const first = server.stop();
    expect(server.stop()).toBe(first);
    await first;
    expect(server.state).toBe('stopped');
    expect(processesOf(path.join(root, 'direct-home', 'pg'), pid)).toEqual([]);
    expect(existsSync(path.join(root, 'direct-home', 'standalone.lock'))).toBe(false);
    await expect(server.start()).rejects.toThrow('the embedded PostgreSQL is stopped');
  });
});
