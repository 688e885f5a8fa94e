/**
 * A worker that exits while attempts run must not leave their detached process groups behind: the runner's
 * 'exit' listener SIGKILLs them. Proven with a separate Node process that starts a task (which starts a
 * grandchild) and calls process.exit() mid-run.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolvePython } from '../src/shim/python.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-task-exit-test-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    // No /proc entry: the process is gone.
    return false;
  }
}

/** Waits (up to 10 s, polling) for a process to end; whether it did. */
async function gone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 200 && isRunning(pid); attempt += 1) await sleep(50);
  return !isRunning(pid);
}

it('kills the process groups of running attempts when the worker process exits', async () => {
  const python = (await resolvePython()).executable;
  const runner = pathToFileURL(path.join(ROOT, 'src', 'worker', 'task-process.ts')).href;
  const fixture = path.join(ROOT, 'src', 'worker', 'fixtures', 'task_fixture.py');
  const script = path.join(scratch, 'worker.mts');
  await writeFile(
    script,
    `
import { runTaskProcess, runningTaskProcessGroups } from ${JSON.stringify(runner)};
const input = { version: 1, dagId: 'etl', taskId: 'stray', runId: 'manual__1', mapIndex: -1, tryNumber: 1, maxTries: 1,
  runType: 'manual', logicalDate: null, dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-01T00:00:00+00:00',
  dagRunStartDate: null, conf: {}, xcoms: [], variables: {}, testMode: false, sensorFirstPokeAt: null,
  prevDataIntervalStartSuccess: null, prevDataIntervalEndSuccess: null, prevStartDateSuccess: null };
let taskPid = 0;
void runTaskProcess(
  { input, command: { kind: 'argv', argv: [${JSON.stringify(python)}, ${JSON.stringify(fixture)}, 'grandchild', 'wait'] },
    executionTimeoutSeconds: null, workBaseDir: ${JSON.stringify(scratch)} },
  {
    onStart: (info) => { taskPid = info.pid; },
    onLogLine: (line) => {
      if (!line.line.startsWith('grandchild ')) return;
      console.log(JSON.stringify({ taskPid, grandchildPid: Number(line.line.split(' ')[1]), groups: runningTaskProcessGroups() }));
      process.exit(0);
    },
  },
);
`,
  );
  const { stdout } = await execa(TSX, [script], { cwd: ROOT, timeout: 60_000 });
  const seen = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { taskPid: number; grandchildPid: number; groups: number[] };
  expect(seen.groups).toEqual([seen.taskPid]);
  // The exit listener can only send SIGKILL, not wait for it: the processes die once the kernel gets to them.
  expect(await gone(seen.taskPid), 'task process').toBe(true);
  expect(await gone(seen.grandchildPid), 'grandchild').toBe(true);
});
