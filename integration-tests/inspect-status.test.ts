/**
 * `dagbridge status --watch` in a pseudo-terminal (util-linux `script` provides the PTY): the screen is redrawn
 * in place (cursor up over the previous frame, each line cleared, the rest cleared). Through a pipe the same
 * command prints plain blocks. The runs are bounded by `--iterations`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../src/store/pg-store.js';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';
import { createTestRedisPrefix } from './support/servers.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let db: TestDatabase;
let redis: { url: string; prefix: string; cleanup: () => Promise<void> };
let dir: string;
let entry: string;

beforeAll(async () => {
  db = await createMigratedDatabase('inspect_status');
  redis = await createTestRedisPrefix('inspect-status');
  const now = Date.now();
  await new PgStore(db.pool).registerWorker({
    workerId: 'w1', hostname: 'node-1', pid: 1, queues: ['default'], refused: [], concurrency: 3, slotsBusy: 1, version: '0.1.0', state: 'running',
    startedAt: now, lastHeartbeatAt: now + 3_600_000, lastPollAt: now, manifestHash: null, manifestReport: null, requestedAction: null,
  });
  dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-status-'));
  entry = path.join(dir, 'cli.mjs');
  // The CLI from source (tsx), so the test needs no build of dist/.
  writeFileSync(entry, `import { main } from ${JSON.stringify(path.join(root, 'src/cli/main.ts'))};\nprocess.exitCode = await main(process.argv);\n`);
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await redis?.cleanup();
  await db?.drop();
});

const args = (): string[] => ['status', '--watch', '--interval', '0.05', '--iterations', '3', '--database-url', db.url, '--redis-url', redis.url, '--redis-prefix', redis.prefix];

describe('status --watch', () => {
  it('redraws in place on a terminal', async () => {
    expect(existsSync('/usr/bin/script')).toBe(true);
    const command = ['node', '--import', 'tsx', entry, ...args()].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const { stdout } = await run('script', ['-qfec', command, '/dev/null'], { cwd: root, timeout: 60_000, env: { ...process.env, TERM: 'xterm' } });
    const frames = stdout.split('dagbridge status at ').length - 1;
    expect(frames).toBe(3);
    const firstFrame = stdout.slice(0, stdout.indexOf('\x1b[J'));
    const lineCount = firstFrame.split('\n').length - 1;
    // Frames 2 and 3 each start by moving the cursor up over the previous frame's lines.
    expect(stdout.split(`\x1b[${lineCount}A\r`).length - 1).toBe(2);
    expect(stdout.split('\x1b[J').length - 1).toBe(3);
    expect(stdout).toContain('\x1b[2KWORKERS');
    expect(stdout).toContain('w1      node-1  1    running  1/3');
  }, 90_000);

  it('prints plain blocks through a pipe', async () => {
    const { stdout } = await run('node', ['--import', 'tsx', entry, ...args()], { cwd: root, timeout: 60_000 });
    expect(stdout).not.toContain('\x1b[');
    const blocks = stdout.trimEnd().split('\n\ndagbridge status at ');
    expect(blocks.length).toBe(3);
    expect(stdout.split('\n').filter((line) => line.startsWith('dagbridge status at ')).length).toBe(3);
    expect(stdout).toMatch(/^dagbridge status at \d{4}-\d\d-\d\dT[\d:.]+Z: 0 ready, 0 running, 1 worker\(s\) alive \(1\/3 slots busy\)\n/);
  }, 90_000);
});
