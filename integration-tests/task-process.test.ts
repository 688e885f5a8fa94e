/**
 * The task subprocess runner against real processes: fixture scripts in src/worker/fixtures/ stand in for
 * `python -m dagbridge_shim run`, one behaviour each. No servers needed.
 */
import { getMaxListeners } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePython, SHIM_ROOT } from '../src/shim/python.js';
import type { LogLine } from '../src/worker/log-lines.js';
import { buildTaskEnv } from '../src/worker/task-env.js';
import { runTaskProcess, TaskSpecError, type TaskProcessOutcome, type TaskProcessSpec } from '../src/worker/task-process.js';
import type { TaskRunInput } from '../src/ports/task-run-contract.js';
import { isRunning } from './support/processes.js';

const FIXTURE = fileURLToPath(new URL('../src/worker/fixtures/task_fixture.py', import.meta.url));

const input: TaskRunInput = {
  version: 1,
  dagId: 'etl',
  taskId: 'extract',
  runId: 'manual__2024-01-01T00:00:00+00:00',
  mapIndex: -1,
  tryNumber: 2,
  maxTries: 3,
  runType: 'manual',
  logicalDate: '2024-01-01T00:00:00+00:00',
  dataIntervalStart: '2024-01-01T00:00:00+00:00',
  dataIntervalEnd: '2024-01-01T00:00:00+00:00',
  runAfter: '2024-01-01T00:00:00+00:00',
  dagRunStartDate: null,
  conf: { answer: 42 },
  xcoms: [],
  variables: {},
  testMode: false,
  sensorFirstPokeAt: null,
  prevDataIntervalStartSuccess: null,
  prevDataIntervalEndSuccess: null,
  prevStartDateSuccess: null,
  prevEndDateSuccess: null,
  inletEvents: [],
  triggeringDatasetEvents: [],
};

let python: string;
let workBaseDir: string;

beforeAll(async () => {
  python = (await resolvePython()).executable;
  workBaseDir = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-task-process-test-'));
});

afterAll(async () => {
  await rm(workBaseDir, { recursive: true, force: true });
});

interface Run {
  outcome: TaskProcessOutcome;
  lines: LogLine[];
  attemptDir: string | null;
}

async function runFixture(args: string[], spec: Partial<TaskProcessSpec> = {}, onLine?: (line: LogLine) => void): Promise<Run> {
  const lines: LogLine[] = [];
  let attemptDir: string | null = null;
  const outcome = await runTaskProcess(
    {
      input,
      command: { kind: 'argv', python, argv: [python, FIXTURE, ...args] },
      executionTimeoutSeconds: null,
      killGraceMs: 500,
      workBaseDir,
      ...spec,
    },
    {
      onLogLine: (line) => {
        lines.push(line);
        onLine?.(line);
      },
      onStart: (info) => {
        attemptDir = info.attemptDir;
      },
    },
  );
  return { outcome, lines, attemptDir };
}

const texts = (lines: LogLine[]): string[] => lines.map((line) => `${line.stream}:${line.line}`);


function grandchildPid(lines: LogLine[]): number {
  const line = lines.find((entry) => entry.line.startsWith('grandchild '));
  if (!line) throw new Error(`no grandchild line in ${JSON.stringify(texts(lines))}`);
  return Number(line.line.split(' ')[1]);
}

describe('runTaskProcess with fixture tasks', () => {
  it('runs a task that succeeds: result read and validated, log streamed, directory removed', async () => {
    const { outcome, lines, attemptDir } = await runFixture(['ok']);
    expect(outcome.failure).toBeNull();
    expect(outcome.result?.state).toBe('success');
    expect(outcome.result?.xcoms).toEqual([{ key: 'return_value', value: { tryNumber: 2 } }]);
    expect(outcome).toMatchObject({ exitCode: 0, signal: null, timedOut: false, aborted: false, droppedLogBytes: 0, attemptDir: null });
    expect(texts(lines).sort()).toEqual(['stderr:a warning', 'stdout:hello from etl.extract']);
    expect(outcome.logBytes).toBe('hello from etl.extract\n'.length + 'a warning\n'.length);
    expect(attemptDir).not.toBeNull();
    expect(existsSync(attemptDir as unknown as string)).toBe(false);
    expect(outcome.pid).toBeGreaterThan(0);
  });

  it('gives the task exactly the allow-listed environment, its own directory and its own process group', async () => {
    const parentEnv = { ...process.env, DAGBRIDGE_DATABASE_URL: 'postgres://admin:secret@db/x', DAGBRIDGE_REDIS_URL: 'redis://:secret@r' };
    const { outcome, attemptDir } = await runFixture(['inspect'], { parentEnv, owner: 'data-team' });
    const seen = outcome.result?.xcoms[0]?.value as {
      env: Record<string, string>;
      cwd: string;
      pid: number;
      ppid: number;
      pgid: number;
      sid: number;
      parentPgid: number;
      input: unknown;
    };
    const dir = attemptDir as unknown as string;
    const expectedEnv = buildTaskEnv({
      parentEnv,
      settings: {},
      shimRoot: SHIM_ROOT,
      tmpDir: path.join(dir, 'tmp'),
      context: { ...input, owner: 'data-team' },
    });
    // Python may add LC_CTYPE itself when coercing a C locale (PEP 538); nothing else may appear.
    const { LC_CTYPE: _coerced, ...env } = seen.env;
    expect(env).toEqual(expectedEnv);
    expect(seen.env.DAGBRIDGE_DATABASE_URL).toBeUndefined();
    expect(seen.env.DAGBRIDGE_REDIS_URL).toBeUndefined();
    expect(seen.env.AIRFLOW_CTX_DAG_RUN_ID).toBe('manual__2024-01-01T00:00:00+00:00');
    expect(seen.env.AIRFLOW_CTX_DAG_OWNER).toBe('data-team');
    // The worker's working directory, as Airflow's workers run tasks; the attempt directory is TMPDIR's parent.
    expect(seen.cwd).toBe(process.cwd());
    expect(seen.env.TMPDIR).toBe(path.join(dir, 'tmp'));
    expect(seen.input).toEqual(input);
    // Own group and session: a Ctrl-C in the worker's terminal (SIGINT to its foreground group) cannot reach it.
    expect(seen.pgid).toBe(seen.pid);
    expect(seen.sid).toBe(seen.pid);
    expect(seen.parentPgid).not.toBe(seen.pgid);
    // Its parent is the supervisor, the process the runner started; the worker's pid is nowhere in its environment.
    expect(seen.ppid).toBe(outcome.pid);
    expect(Object.values(seen.env)).not.toContain(String(process.pid));
  });

  it('hands a large input to the task on stdin while reading its output', async () => {
    const big = 'v'.repeat(8 * 1024 * 1024);
    const bigInput = { ...input, xcoms: [{ taskId: 'upstream', mapIndex: -1, key: 'return_value', value: big }] };
    const { outcome } = await runFixture(['inspect'], { input: bigInput });
    expect(outcome.failure).toBeNull();
    const seen = outcome.result?.xcoms[0]?.value as { input: TaskRunInput };
    expect(seen.input.xcoms[0]?.value).toBe(big);
  });

  it('reports an exit without a result', async () => {
    const { outcome, lines } = await runFixture(['exit3']);
    expect(outcome).toMatchObject({
      result: null,
      exitCode: 3,
      signal: null,
      failure: { type: 'TaskProcessExited', message: 'task process exited with code 3 without a result', retryable: true },
    });
    expect(texts(lines)).toEqual(['stdout:about to fail']);
  });

  it('ignores a result written by a process that then exits non-zero', async () => {
    const { outcome } = await runFixture(['result-then-exit1']);
    expect(outcome.result).toBeNull();
    expect(outcome.failure?.message).toBe(
      'task process exited with code 1; the result it wrote is ignored (a run that wrote its result exits 0)',
    );
  });

  it('reports a process killed by a signal', async () => {
    const { outcome } = await runFixture(['kill-self']);
    expect(outcome).toMatchObject({
      exitCode: null,
      signal: 'SIGKILL',
      failure: { type: 'TaskProcessKilled', message: 'task process was killed by SIGKILL', retryable: true },
    });
  });

  it('reports a result file that is not JSON, and one that breaks the contract', async () => {
    const notJson = await runFixture(['invalid-json']);
    expect(notJson.outcome.failure?.type).toBe('TaskResultInvalid');
    expect(notJson.outcome.failure?.message).toMatch(/^task process wrote an invalid result: the result file is not JSON \(/);
    const wrongShape = await runFixture(['invalid-schema']);
    expect(wrongShape.outcome.failure).toEqual({
      type: 'TaskResultInvalid',
      message:
        "task process wrote an invalid result: the result does not match the task run contract: state: Invalid enum value. Expected 'success' | 'failed' | 'skipped' | 'up_for_reschedule', received 'exploded'",
      retryable: true,
    });
  });

  it('refuses a result file larger than maxResultBytes', async () => {
    const { outcome } = await runFixture(['ok'], { maxResultBytes: 16 });
    expect(outcome.failure?.type).toBe('TaskResultInvalid');
    expect(outcome.failure?.message).toMatch(/^task process wrote an invalid result: the result file has \d+ bytes, more than the 16 allowed$/);
  });

  it('reports a command that cannot be started', async () => {
    const { outcome } = await runFixture([], { command: { kind: 'argv', python, argv: ['/nonexistent/python3'] } });
    expect(outcome).toMatchObject({ pid: null, exitCode: null, result: null, attemptDir: null });
    expect(outcome.failure?.type).toBe('TaskProcessNotStarted');
    expect(outcome.failure?.message).toMatch(/^task process could not be started: .*ENOENT/);
  });

  it('refuses an attempt base directory that others may write to, naming it and the fix', async () => {
    const shared = path.join(workBaseDir, 'shared-tmp', 'dagbridge-attempts');
    mkdirSync(shared, { recursive: true });
    chmodSync(shared, 0o777);
    const { outcome } = await runFixture(['ok'], { workBaseDir: shared });
    expect(outcome).toMatchObject({ pid: null, result: null, failure: { type: 'TaskProcessNotStarted', retryable: true } });
    expect(outcome.failure?.message).toMatch(new RegExp(`^the attempt base directory ${shared} is writable by group or others \\(mode 0777\\): .*remove it`));
    expect(readdirSync(shared)).toEqual([]);
    rmSync(path.join(workBaseDir, 'shared-tmp'), { recursive: true });
  });

  it('keeps the attempt directory when asked, with the result file beside the temporary directory', async () => {
    const { outcome } = await runFixture(['ok'], { keepWorkDir: true });
    const dir = outcome.attemptDir as string;
    expect(path.dirname(dir)).toBe(workBaseDir);
    expect(readdirSync(dir).sort()).toEqual(['dagbridge-attempt.json', 'result.json', 'tmp']);
    await rm(dir, { recursive: true });
  });
});

describe('attempts side by side', () => {
  it('runs attempts concurrently, each with its own directory and process group, and removes them all', async () => {
    // One shutdown signal shared by every slot, as a worker does: no listener-leak warning for 12 slots.
    const shutdown = new AbortController();
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        runFixture(['inspect'], { input: { ...input, mapIndex: index }, signal: shutdown.signal }),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings).toEqual([]);
    expect(getMaxListeners(shutdown.signal)).toBe(getMaxListeners(new AbortController().signal));
    const seen = runs.map((run) => run.outcome.result?.xcoms[0]?.value as { cwd: string; env: Record<string, string>; pgid: number; input: TaskRunInput });
    expect(seen.map((value) => value.input.mapIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // One working directory (the worker's, as Airflow's), a private TMPDIR each.
    expect(new Set(seen.map((value) => value.cwd))).toEqual(new Set([process.cwd()]));
    expect(new Set(seen.map((value) => value.env.TMPDIR)).size).toBe(12);
    expect(new Set(seen.map((value) => value.pgid)).size).toBe(12);
    expect(readdirSync(workBaseDir)).toEqual([]);
  });
});

describe('stopping a task: timeouts, aborts and the process group', () => {
  it('times out: SIGTERM to the group ends the task', async () => {
    const { outcome } = await runFixture(['sleep', '60'], { executionTimeoutSeconds: 0.5 });
    expect(outcome).toMatchObject({
      result: null,
      timedOut: true,
      aborted: false,
      signal: 'SIGTERM',
      failure: {
        type: 'AirflowTaskTimeout',
        message: 'task timed out after 0.5s (execution_timeout); it and every process it started were killed',
        retryable: true,
      },
    });
  });

  it('SIGKILLs a task that ignores SIGTERM once the grace period is over', async () => {
    const controller = new AbortController();
    const { outcome, lines } = await runFixture(['ignore-term'], { signal: controller.signal, killGraceMs: 300 }, (line) => {
      if (line.line === 'ready') controller.abort(new Error('worker shutting down'));
    });
    expect(outcome).toMatchObject({
      signal: 'SIGKILL',
      aborted: true,
      timedOut: false,
      failure: { type: 'TaskProcessAborted', message: 'task process was aborted: worker shutting down', retryable: true },
    });
    expect(texts(lines)).toEqual(['stdout:ready', 'stdout:ignoring SIGTERM']);
  });

  it('SIGKILLs a task that ignores SIGTERM when its execution_timeout expires', async () => {
    const { outcome, lines } = await runFixture(['ignore-term'], { executionTimeoutSeconds: 3, killGraceMs: 300 });
    expect(outcome).toMatchObject({ signal: 'SIGKILL', timedOut: true, failure: { type: 'AirflowTaskTimeout' } });
    expect(texts(lines)).toEqual(['stdout:ready', 'stdout:ignoring SIGTERM']);
  });

  it('kills a sleeping grandchild with the group when the task is aborted', async () => {
    const controller = new AbortController();
    const { outcome, lines } = await runFixture(['grandchild', 'wait'], { signal: controller.signal }, (line) => {
      if (line.line.startsWith('grandchild ')) controller.abort();
    });
    expect(outcome.aborted).toBe(true);
    expect(isRunning(grandchildPid(lines))).toBe(false);
  });

  it('kills a sleeping grandchild with the group on timeout', async () => {
    const { outcome, lines } = await runFixture(['grandchild', 'wait'], { executionTimeoutSeconds: 3 });
    expect(outcome.timedOut).toBe(true);
    expect(isRunning(grandchildPid(lines))).toBe(false);
  });

  it('reaps a grandchild left behind by a task that succeeded, and still returns its result', async () => {
    const { outcome, lines } = await runFixture(['grandchild', 'exit']);
    expect(outcome.failure).toBeNull();
    expect(outcome.result?.xcoms).toEqual([{ key: 'return_value', value: 'left a grandchild' }]);
    expect(isRunning(grandchildPid(lines))).toBe(false);
  });

  it('ends a child that left the task\'s session and held its pipes open, and says so', async () => {
    const { outcome, lines } = await runFixture(['escape']);
    const escaped = Number(lines.find((line) => line.line.startsWith('escaped '))?.line.split(' ')[1]);
    try {
      expect(outcome.result?.xcoms).toEqual([{ key: 'return_value', value: 'escaped' }]);
      expect(texts(lines)).toEqual([
        `stdout:escaped ${escaped}`,
        'system:[dagbridge] 1 process the task started was still running when the task ended: 1 ended on SIGTERM, 0 SIGKILLed',
      ]);
      expect(isRunning(escaped)).toBe(false);
    } finally {
      // Only if the supervisor failed: this test started it and ends it by pid.
      if (escaped > 0 && isRunning(escaped)) process.kill(escaped, 'SIGKILL');
    }
  });

  describe('a daemon (double fork and setsid) never outlives its task', () => {
    const daemonOf = (lines: LogLine[]): number => {
      const line = lines.find((entry) => entry.line.startsWith('daemon '));
      if (!line) throw new Error(`no daemon line in ${JSON.stringify(texts(lines))}`);
      return Number(line.line.split(' ')[1]);
    };
    const ended = (daemon: number): boolean => {
      const running = isRunning(daemon);
      // Only if the test fails: it started the daemon and ends it by pid.
      if (running) process.kill(daemon, 'SIGKILL');
      return !running;
    };

    it('after the task exits', async () => {
      const { outcome, lines } = await runFixture(['daemon', 'exit']);
      expect(outcome.result?.xcoms).toEqual([{ key: 'return_value', value: 'left a daemon' }]);
      expect(ended(daemonOf(lines))).toBe(true);
      expect(texts(lines)).toContain('system:[dagbridge] 1 process the task started was still running when the task ended: 1 ended on SIGTERM, 0 SIGKILLed');
    });

    it('on timeout', async () => {
      const { outcome, lines } = await runFixture(['daemon', 'wait'], { executionTimeoutSeconds: 2 });
      expect(outcome).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
      expect(ended(daemonOf(lines))).toBe(true);
      expect(texts(lines)).toContain('system:[dagbridge] 1 process the task started was still running when the task was stopped: 1 ended on SIGTERM, 0 SIGKILLed');
    });

    it('on abort (worker shutdown)', async () => {
      const controller = new AbortController();
      const { outcome, lines } = await runFixture(['daemon', 'wait'], { signal: controller.signal }, (line) => {
        if (line.line.startsWith('daemon ')) controller.abort();
      });
      expect(outcome.aborted).toBe(true);
      expect(ended(daemonOf(lines))).toBe(true);
    });
  });

  it('does not start a task whose signal is already aborted', async () => {
    const { outcome, lines } = await runFixture(['ok'], { signal: AbortSignal.abort(new Error('stopping')) });
    expect(outcome).toMatchObject({ pid: null, aborted: true, failure: { type: 'TaskProcessAborted' } });
    expect(outcome.failure?.message).toBe('task process was aborted before it started: stopping');
    expect(lines).toEqual([]);
  });

  it('stops the task and rethrows when a log hook throws', async () => {
    let pid = 0;
    const run = runTaskProcess(
      { input, command: { kind: 'argv', python, argv: [python, FIXTURE, 'sleep', '60'] }, executionTimeoutSeconds: null, workBaseDir },
      {
        onStart: (info) => {
          pid = info.pid;
        },
        onLogLine: () => {
          throw new Error('log store is down');
        },
      },
    );
    await expect(run).rejects.toThrow('log store is down');
    expect(isRunning(pid)).toBe(false);
  });

  it('refuses an invalid spec before starting anything', async () => {
    await expect(runFixture(['ok'], { input: { ...input, dagId: '../../etc' } })).rejects.toThrow(TaskSpecError);
    await expect(runFixture(['ok'], { killGraceMs: -1 })).rejects.toThrow('killGraceMs must be >= 0');
    await expect(runFixture(['ok'], { env: { passEnv: ['NOT A NAME'] } })).rejects.toThrow(TaskSpecError);
    const relative = { kind: 'shim', python, dagsFolder: 'dags', file: 'etl.py' } as const;
    await expect(runFixture([], { command: relative })).rejects.toThrow('DAGs folder "dags" must be an absolute path');
    expect(readdirSync(workBaseDir)).toEqual([]);
  });
});

describe('log limits', () => {
  it('drops a 200 MiB flood past a 1 MiB limit with one marker line and bounded memory', async () => {
    const floodBytes = 200 * 1024 * 1024;
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 20);
    const { outcome, lines } = await runFixture(['flood', '200'], { logLimitBytes: 1024 * 1024 });
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

    const kept = Math.floor((1024 * 1024) / 100);
    expect(outcome.failure).toBeNull();
    expect(outcome.result?.xcoms[0]?.value).toBe(floodBytes);
    expect(outcome.logBytes).toBe(floodBytes);
    expect(outcome.droppedLogBytes).toBe(floodBytes - kept * 100);
    expect(lines).toHaveLength(kept + 1);
    expect(lines.slice(0, kept).every((line) => line.stream === 'stdout' && line.line === 'x'.repeat(99))).toBe(true);
    const markers = lines.filter((line) => line.line.startsWith('[dagbridge]'));
    expect(markers.map((line) => line.line)).toEqual([
      `[dagbridge] log limit of 1048576 bytes reached: ${floodBytes - kept * 100} further bytes of output were dropped`,
    ]);
    const growthMb = (rssPeak - rssBefore) / 1024 / 1024;
    console.log(
      `flood: ${floodBytes / 1024 / 1024} MiB through a 1 MiB log limit in ${Math.round(outcome.durationMs)} ms; ` +
        `runner RSS ${(rssBefore / 1024 / 1024).toFixed(1)} MiB before, peak ${(rssPeak / 1024 / 1024).toFixed(1)} MiB (+${growthMb.toFixed(1)} MiB)`,
    );
    // A sanity bound, not a measurement: buffering the flood would add at least 200 MiB.
    expect(growthMb).toBeLessThan(200);
  });

  it('cuts over-long lines at the line cap and delivers a last line without terminator', async () => {
    const { outcome, lines } = await runFixture(['flood', '1'], { maxLineBytes: 50 });
    // 1 MiB = 10485 lines of 99 'x' + newline, then 76 'x' without a newline.
    expect(lines).toHaveLength(10486);
    expect(lines[0]?.line).toBe(`${'x'.repeat(50)} [dagbridge] line truncated: 49 more bytes dropped`);
    expect(lines[10485]?.line).toBe(`${'x'.repeat(50)} [dagbridge] line truncated: 26 more bytes dropped`);
    expect(outcome.logBytes).toBe(1024 * 1024);
    expect(outcome.droppedLogBytes).toBe(10485 * 49 + 26);
  });
});
