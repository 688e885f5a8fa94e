/**
 * A worker that dies while attempts run must not leave anything of them behind: not the task, not a daemon the
 * task double-forked into a new session. The worker holds the only other end of each supervisor's control
 * socket; when the worker process is gone, however it died, the supervisor sees the socket close and SIGKILLs
 * the whole tree. Proven with a separate Node process that starts a task and then exits or is SIGKILLed.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolvePython } from '../src/shim/python.js';
import { gone } from './support/processes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-task-exit-test-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Seen {
  worker: number;
  supervisor: number;
  task: number;
  daemon: number;
  groups: number[];
}

/** Starts a worker-like Node process running one task that leaves a setsid daemon; `end` says how it then dies. */
async function workerDies(end: 'exit' | 'sigkill'): Promise<Seen> {
  const python = (await resolvePython()).executable;
  const runner = pathToFileURL(path.join(ROOT, 'src', 'worker', 'task-process.ts')).href;
  const fixture = path.join(ROOT, 'src', 'worker', 'fixtures', 'task_fixture.py');
  const script = path.join(scratch, `worker-${end}.mts`);
  await writeFile(
    script,
    `
import { runTaskProcess, runningTaskProcessGroups } from ${JSON.stringify(runner)};
const input = { version: 1, dagId: 'etl', taskId: 'stray', runId: 'manual__1', mapIndex: -1, tryNumber: 1, maxTries: 1,
  runType: 'manual', logicalDate: null, dataIntervalStart: null, dataIntervalEnd: null, runAfter: '2024-01-01T00:00:00+00:00',
  dagRunStartDate: null, conf: {}, xcoms: [], variables: {}, testMode: false, sensorFirstPokeAt: null,
  prevDataIntervalStartSuccess: null, prevDataIntervalEndSuccess: null, prevStartDateSuccess: null };
let supervisor = 0;
void runTaskProcess(
  { input, command: { kind: 'argv', python: ${JSON.stringify(python)}, argv: [${JSON.stringify(python)}, ${JSON.stringify(fixture)}, 'daemon', 'wait'] },
    executionTimeoutSeconds: null, workBaseDir: ${JSON.stringify(scratch)} },
  {
    onStart: (info) => { supervisor = info.pid; },
    onLogLine: (line) => {
      if (!line.line.startsWith('daemon ')) return;
      const [, daemon, , task] = line.line.split(' ');
      console.log(JSON.stringify({ worker: process.pid, supervisor, task: Number(task), daemon: Number(daemon), groups: runningTaskProcessGroups() }));
      if (${JSON.stringify(end)} === 'exit') process.exit(0);
    },
  },
);
`,
  );
  const child = execa(TSX, [script], { cwd: ROOT, timeout: 60_000, reject: false, buffer: false, stdout: 'pipe' });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0] ?? '');
    });
    child.stdout.once('close', () => reject(new Error(`the worker script printed no pids: ${text}`)));
  });
  const seen = JSON.parse(line) as Seen;
  // tsx runs the script in a child node process: that one is the worker.
  if (end === 'sigkill') process.kill(seen.worker, 'SIGKILL');
  await child;
  return seen;
}

it.each(['exit', 'sigkill'] as const)('ends the task and the daemon it started when the worker process dies (%s)', async (end) => {
  const seen = await workerDies(end);
  expect(seen.groups).toEqual([seen.supervisor]);
  expect(await gone(seen.task), 'task process').toBe(true);
  expect(await gone(seen.daemon), 'setsid daemon').toBe(true);
  expect(await gone(seen.supervisor), 'supervisor').toBe(true);
}, 60_000);

it('removes the attempt directories of a SIGKILLed worker when the next worker prepares its first attempt', async () => {
  const left = readdirSync(scratch).filter((name) => name.startsWith('etl.stray.'));
  // The SIGKILLed worker above could not remove its directory.
  expect(left.length).toBeGreaterThan(0);
  const module = pathToFileURL(path.join(ROOT, 'src', 'worker', 'attempt-dirs.ts')).href;
  const script = path.join(scratch, 'next-worker.mts');
  await writeFile(script, `import { prepareAttemptBase } from ${JSON.stringify(module)};\nconsole.log(JSON.stringify(await prepareAttemptBase(${JSON.stringify(scratch)})));\n`);
  const { stdout } = await execa(TSX, [script], { cwd: ROOT, timeout: 60_000 });
  expect((JSON.parse(stdout) as string[]).map((dir) => path.basename(dir)).sort()).toEqual(left.sort());
  expect(readdirSync(scratch).filter((name) => name.startsWith('etl.stray.'))).toEqual([]);
}, 60_000);
