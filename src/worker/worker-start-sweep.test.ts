import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { MemoryStore } from '../ports/memory-store.js';
import { acceptingWorkerRegistry } from '../ports/testing.js';
import { MemoryTaskQueue } from '../queue/memory-queue.js';
import { ATTEMPT_MARKER, processStartTime } from './attempt-dirs.js';
import { WorkerService } from './worker-service.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'dagbridge-start-sweep-'));
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

function attemptDir(base: string, name: string, pid: number, startTime: string | null): string {
  const dir = path.join(base, name);
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  writeFileSync(path.join(dir, ATTEMPT_MARKER), JSON.stringify({ pid, startTime, host: os.hostname() }));
  return dir;
}

describe('WorkerService.start', () => {
  it('removes the attempt directories of a worker that is gone before it claims anything, and keeps a live one', async () => {
    const base = path.join(scratch, 'attempts');
    mkdirSync(base, { mode: 0o700 });
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const stale = attemptDir(base, 'killed-worker-attempt', Number(dead.stdout.trim()), null);
    const live = attemptDir(base, 'live-worker-attempt', process.ppid, processStartTime(process.ppid));
    const service = new WorkerService({
      workerId: 'w1', store: Object.assign(new MemoryStore(), acceptingWorkerRegistry), queue: new MemoryTaskQueue(),
      verdict: { served: ['default'], refused: [], manifestHash: null, report: null, manifestEnv: [], verifiedAt: 0 },
      concurrency: 1, leaseMs: 60_000, heartbeatMs: 1000, shutdownGraceMs: 0, idlePollMs: 10,
      attempt: { python: 'python3', dagsFolder: '/nonexistent', noAirflow: true, env: { passEnv: [], passAirflowVariables: false, passAirflowConnections: false, extraPythonPaths: [] }, killGraceMs: 0, logCapBytes: 1024, workBaseDir: base },
      log: silentLogger,
    });
    await service.start();
    try {
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      await service.stop();
    }
  });
});
