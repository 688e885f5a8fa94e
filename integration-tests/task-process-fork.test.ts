/**
 * Isolation parity of the two ways an attempt starts: a fresh interpreter (`python -I -S supervisor.py -- python
 * -m dagbridge_shim run`) and a fork of the warm fork server (src/worker/fork-server.ts). Each case runs in both
 * modes against the real shim (stand-ins): own session and process group, exactly the allow-listed environment
 * (no worker secret, not even in /proc/self/environ), the private working directory, no inherited descriptor
 * but stdin, stdout and stderr, timeouts that end the tree, a setsid grandchild found and ended, tasks of a
 * SIGKILLed worker ended with it. Fork mode only: a fork server killed mid-task, a changed DAG file.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/logger.js';
import type { TaskRunInput } from '../src/ports/task-run-contract.js';
import { resolvePython, SHIM_ROOT } from '../src/shim/python.js';
import { ForkServers } from '../src/worker/fork-server.js';
import type { LogLine } from '../src/worker/log-lines.js';
import { runTaskProcess, type TaskProcessOutcome, type TaskProcessSpec } from '../src/worker/task-process.js';
import { buildTaskEnv } from '../src/worker/task-env.js';
import { gone } from './support/processes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'postgres://admin:forkserver-secret@db/x';

const DAG_FILE = `
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.python import PythonOperator

VERSION = "v1"


def parent_command():
    with open("/proc/%d/cmdline" % os.getppid(), "rb") as handle:
        return handle.read().replace(b"\\0", b" ").decode("utf-8", "replace")


def probe():
    fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    # listdir's own descriptor is gone once it returns; every other one is inherited or ours.
    open_fds = [fd for fd in fds if os.path.exists("/proc/self/fd/%d" % fd)]
    with open("/proc/self/environ", "rb") as handle:
        initial_env = handle.read().decode("utf-8", "replace")
    return {
        "pid": os.getpid(), "pgid": os.getpgid(0), "sid": os.getsid(0), "cwd": os.getcwd(),
        "env": dict(os.environ), "fds": open_fds, "initial_env_has_secret": "forkserver-secret" in initial_env,
        "parent": parent_command(), "tmp": __import__("tempfile").gettempdir(), "version": VERSION,
    }


def daemon_then(wait):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    print("daemon %d" % child.pid, flush=True)
    if wait:
        time.sleep(120)
    return "left a daemon"


def slow():
    print("slow started", flush=True)
    time.sleep(3)
    return {"parent": parent_command(), "version": VERSION}


with DAG("fork_check", start_date=datetime(2024, 1, 1), schedule=None, catchup=False) as dag:
    PythonOperator(task_id="probe", python_callable=probe)
    PythonOperator(task_id="daemon_exit", python_callable=daemon_then, op_args=[False])
    PythonOperator(task_id="daemon_wait", python_callable=daemon_then, op_args=[True])
    PythonOperator(task_id="slow", python_callable=slow)
`;

let python: string;
let scratch: string;
let dagsFolder: string;
let servers: ForkServers;

beforeAll(async () => {
  python = (await resolvePython()).executable;
  scratch = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-fork-test-'));
  dagsFolder = path.join(scratch, 'dags');
  await mkdir(dagsFolder);
  await writeFile(path.join(dagsFolder, 'fork_check.py'), DAG_FILE);
  servers = new ForkServers({ socketDir: path.join(scratch, 'attempts'), log: silentLogger });
});

afterAll(async () => {
  await servers.close();
  await rm(scratch, { recursive: true, force: true });
});

function inputFor(taskId: string, dagId = 'fork_check'): TaskRunInput {
  return {
    version: 1, dagId, taskId, runId: 'manual__2024-01-01T00:00:00+00:00', mapIndex: -1, tryNumber: 1, maxTries: 1,
    runType: 'manual', logicalDate: '2024-01-01T00:00:00+00:00', dataIntervalStart: '2024-01-01T00:00:00+00:00',
    dataIntervalEnd: '2024-01-01T00:00:00+00:00', runAfter: '2024-01-01T00:00:00+00:00', dagRunStartDate: null,
    conf: {}, xcoms: [], variables: {}, testMode: false, sensorFirstPokeAt: null, prevDataIntervalStartSuccess: null,
    prevDataIntervalEndSuccess: null, prevStartDateSuccess: null,
  } as TaskRunInput;
}

type Mode = 'fresh' | 'fork';

async function runTask(
  mode: Mode,
  taskId: string,
  options: Partial<TaskProcessSpec> & { file?: string; fileHash?: string | null; onLine?: (line: LogLine) => void } = {},
): Promise<{ outcome: TaskProcessOutcome; lines: LogLine[]; attemptDir: string; value: Record<string, unknown> }> {
  const lines: LogLine[] = [];
  let attemptDir = '';
  const file = options.file ?? 'fork_check.py';
  const outcome = await runTaskProcess(
    {
      input: inputFor(taskId, options.input?.dagId),
      command: { kind: 'shim', python, dagsFolder, file, noAirflow: true, fileHash: options.fileHash ?? null },
      executionTimeoutSeconds: options.executionTimeoutSeconds ?? null,
      killGraceMs: 1_000,
      workBaseDir: path.join(scratch, 'attempts'),
      parentEnv: { ...process.env, DAGBRIDGE_DATABASE_URL: SECRET },
      forkServers: mode === 'fork' ? servers : null,
      signal: options.signal,
    },
    {
      onLogLine: (line) => {
        lines.push(line);
        options.onLine?.(line);
      },
      onStart: (info) => {
        attemptDir = info.attemptDir;
      },
    },
  );
  const value = (outcome.result?.xcoms.find((x) => x.key === 'return_value')?.value ?? {}) as Record<string, unknown>;
  return { outcome, lines, attemptDir, value };
}

function daemonOf(lines: LogLine[]): number {
  const line = lines.find((entry) => entry.line.startsWith('daemon '));
  if (!line) throw new Error(`no daemon line in ${JSON.stringify(lines.map((l) => l.line))}`);
  return Number(line.line.split(' ')[1]);
}

describe.each(['fresh', 'fork'] as const)('isolation of a task started %s', (mode) => {
  const started = mode === 'fork' ? 'fork-server' : 'supervisor.py';

  it('runs in its own session and group, with exactly the allow-listed environment, its own directory and only stdio', async () => {
    const { outcome, value, attemptDir } = await runTask(mode, 'probe');
    expect(outcome.failure).toBeNull();
    expect(value.parent).toContain(started);
    expect(value.sid).toBe(value.pid);
    expect(value.pgid).toBe(value.pid);
    // Tasks run in the worker's working directory, as Airflow's workers do; the attempt directory keeps TMPDIR.
    expect(value.cwd).toBe(process.cwd());
    expect(value.tmp).toBe(path.join(attemptDir, 'tmp'));
    expect(value.fds).toEqual([0, 1, 2]);
    expect(value.initial_env_has_secret).toBe(false);
    const expected = buildTaskEnv({
      parentEnv: { ...process.env, DAGBRIDGE_DATABASE_URL: SECRET },
      settings: {},
      shimRoot: SHIM_ROOT,
      tmpDir: path.join(attemptDir, 'tmp'),
      context: { ...inputFor('probe'), owner: null },
    });
    // The shim sets the AIRFLOW_CTX_* variables of the context in the task process itself, as Airflow does.
    const env = value.env as Record<string, string>;
    const own = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('AIRFLOW_CTX_')));
    const allowed = Object.fromEntries(Object.entries(expected).filter(([name]) => !name.startsWith('AIRFLOW_CTX_')));
    expect(own).toEqual(allowed);
    expect(Object.values(env).join('\n')).not.toContain('forkserver-secret');
  });

  it('ends a setsid daemon the task left behind when it exits', async () => {
    const { outcome, lines } = await runTask(mode, 'daemon_exit');
    expect(outcome.result?.xcoms).toEqual([{ key: 'return_value', value: 'left a daemon' }]);
    expect(await gone(daemonOf(lines))).toBe(true);
    expect(lines.map((l) => l.line)).toContain('[dagbridge] 1 process the task started was still running when the task ended: 1 ended on SIGTERM, 0 SIGKILLed');
  });

  it('kills the task and its setsid daemon on timeout', async () => {
    const { outcome, lines } = await runTask(mode, 'daemon_wait', { executionTimeoutSeconds: 2 });
    expect(outcome).toMatchObject({ timedOut: true, failure: { type: 'AirflowTaskTimeout' } });
    expect(await gone(daemonOf(lines))).toBe(true);
    expect(lines.map((l) => l.line)).toContain('[dagbridge] 1 process the task started was still running when the task was stopped: 1 ended on SIGTERM, 0 SIGKILLed');
  });

  it('ends the task and its daemon when the worker process is SIGKILLed', async () => {
    const runner = pathToFileURL(path.join(ROOT, 'src', 'worker', 'task-process.ts')).href;
    const forkServer = pathToFileURL(path.join(ROOT, 'src', 'worker', 'fork-server.ts')).href;
    const logger = pathToFileURL(path.join(ROOT, 'src', 'lib', 'logger.ts')).href;
    const script = path.join(scratch, `worker-${mode}.mts`);
    await writeFile(script, `
import { runTaskProcess } from ${JSON.stringify(runner)};
import { ForkServers } from ${JSON.stringify(forkServer)};
import { silentLogger } from ${JSON.stringify(logger)};
const servers = ${mode === 'fork' ? `new ForkServers({ socketDir: ${JSON.stringify(path.join(scratch, 'attempts-k'))}, log: silentLogger })` : 'null'};
const input = JSON.parse(process.argv[2]);
void runTaskProcess({
  input, command: { kind: 'shim', python: ${JSON.stringify(python)}, dagsFolder: ${JSON.stringify(dagsFolder)}, file: 'fork_check.py', noAirflow: true },
  executionTimeoutSeconds: null, killGraceMs: 1000, workBaseDir: ${JSON.stringify(path.join(scratch, 'attempts-k'))}, forkServers: servers,
}, {
  onStart: (info) => process.stdout.write('supervisor ' + info.pid + ' worker ' + process.pid + '\\n'),
  onLogLine: (line) => process.stdout.write(line.line + '\\n'),
});
`);
    const worker = execa(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [script, JSON.stringify(inputFor('daemon_wait'))], { cwd: ROOT, timeout: 60_000, reject: false, buffer: false, stdin: 'ignore' });
    let output = '';
    const seen = await new Promise<{ supervisor: number; daemon: number; worker: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no daemon within 30 s: ${output}`)), 30_000);
      worker.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const supervisor = /supervisor (\d+) worker (\d+)/.exec(output);
        const daemon = /daemon (\d+)/.exec(output);
        if (supervisor && daemon) {
          clearTimeout(timer);
          resolve({ supervisor: Number(supervisor[1]), worker: Number(supervisor[2]), daemon: Number(daemon[1]) });
        }
      });
    });
    // tsx runs the script in a child node process: that one is the worker.
    process.kill(seen.worker, 'SIGKILL');
    await worker;
    expect(await gone(seen.daemon)).toBe(true);
    expect(await gone(seen.supervisor)).toBe(true);
  });
});

describe('the fork server', () => {
  it('forks the next tasks from a new server after it was killed mid-task, and the running task completes', async () => {
    await runTask('fork', 'probe');
    const [before] = servers.serverPids();
    expect(before).toBeGreaterThan(0);
    const slow = runTask('fork', 'slow', {
      onLine: (line) => {
        // This test started the server (through ForkServers) and ends it by its pid.
        if (line.line === 'slow started' && before) process.kill(before, 'SIGKILL');
      },
    });
    const { outcome, value } = await slow;
    expect(outcome.failure).toBeNull();
    expect(value.version).toBe('v1');
    const next = await runTask('fork', 'probe');
    expect(next.outcome.failure).toBeNull();
    expect(next.value.parent).toContain('fork-server');
    const [after] = servers.serverPids();
    expect(after).toBeGreaterThan(0);
    expect(after).not.toBe(before);
  });

  it('parses a changed DAG file again, and runs a file that is not the scheduled version in a fresh interpreter', async () => {
    const file = 'changing.py';
    const write = async (version: string): Promise<string> => {
      const source = DAG_FILE.replace('VERSION = "v1"', `VERSION = "${version}"`).replace('"fork_check"', '"changing"');
      await writeFile(path.join(dagsFolder, file), source);
      return createHash('sha256').update(source).digest('hex');
    };
    const input = { ...inputFor('probe', 'changing') };
    const before = servers.starts();
    const v1 = await write('v1');
    const first = await runTask('fork', 'probe', { file, fileHash: v1, input });
    expect(first.value).toMatchObject({ version: 'v1' });
    expect(first.value.parent).toContain('fork-server');
    const v2 = await write('v2');
    const second = await runTask('fork', 'probe', { file, fileHash: v2, input });
    expect(second.value).toMatchObject({ version: 'v2' });
    expect(second.value.parent).toContain('fork-server');
    // Scheduled from v1, but the file on disk is v2 now: not forked from what the server parsed.
    const stale = await runTask('fork', 'probe', { file, fileHash: v1, input });
    expect(stale.value).toMatchObject({ version: 'v2' });
    expect(stale.value.parent).toContain('supervisor.py');
    const after = servers.starts();
    expect(after.forked - before.forked).toBe(2);
    expect((after.fresh['DAG file changed'] ?? 0) - (before.fresh['DAG file changed'] ?? 0)).toBe(1);
  });
});
