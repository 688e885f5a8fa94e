import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTEMPT_MARKER, defaultAttemptBase, prepareAttemptBase, processStartTime, sweepAttemptDirs, writeAttemptMarker } from './attempt-dirs.js';

const isRoot = process.getuid?.() === 0;
let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'dagbridge-attempt-dirs-test-'));
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The pid of a process that has ended (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

function attemptWithMarker(base: string, name: string, marker: object | null): string {
  const dir = path.join(base, name);
  mkdirSync(path.join(dir, 'work'), { recursive: true });
  if (marker) writeFileSync(path.join(dir, ATTEMPT_MARKER), JSON.stringify(marker));
  return dir;
}

describe('the attempt base directory', () => {
  it('is per user by default', () => {
    expect(defaultAttemptBase()).toBe(path.join(os.tmpdir(), `dagbridge-attempts-${process.getuid?.()}`));
  });

  it('is created with mode 0700, and 0711 while tasks run as another user', async () => {
    const base = path.join(scratch, 'attempts');
    await prepareAttemptBase(base);
    expect(lstatSync(base).mode & 0o777).toBe(0o700);
    await prepareAttemptBase(base, { traversable: true });
    expect(lstatSync(base).mode & 0o777).toBe(0o711);
  });

  it('is refused when group or others may write to it, naming the directory and the fix', async () => {
    const base = path.join(scratch, 'shared');
    mkdirSync(base);
    chmodSync(base, 0o777);
    await expect(prepareAttemptBase(base)).rejects.toThrow(
      `the attempt base directory ${base} is writable by group or others (mode 0777): another user could replace attempt directories and their results in it; remove it (dagbridge creates its own, mode 0700), or start dagbridge with TMPDIR pointing to a directory only its user can write`,
    );
    chmodSync(base, 0o770);
    await expect(prepareAttemptBase(base)).rejects.toThrow('is writable by group or others (mode 0770)');
    // Fixed by the operator: the next attempt uses it.
    chmodSync(base, 0o700);
    await expect(prepareAttemptBase(base)).resolves.toEqual([]);
  });

  it('is refused when it is a symbolic link', async () => {
    const real = path.join(scratch, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = path.join(scratch, 'link');
    symlinkSync(real, link);
    await expect(prepareAttemptBase(link)).rejects.toThrow(`the attempt base directory ${link} is a symbolic link`);
  });

  it.skipIf(!isRoot)('is refused when another user created it (needs root to create it as nobody)', async () => {
    const base = path.join(scratch, 'theirs');
    mkdirSync(base, { mode: 0o700 });
    chownSync(base, 65534, 65534);
    await expect(prepareAttemptBase(base)).rejects.toThrow(`the attempt base directory ${base} belongs to uid 65534, not to this process's uid 0`);
  });
});

describe('attempt directories left by a worker that is gone', () => {
  it('are removed the first time a process prepares the base; live, foreign and unmarked ones are kept', async () => {
    const base = path.join(scratch, 'attempts');
    mkdirSync(base, { mode: 0o700 });
    const host = os.hostname();
    const dead = attemptWithMarker(base, 'dead', { pid: deadPid(), startTime: null, host });
    const reused = attemptWithMarker(base, 'reused-pid', { pid: process.pid === 1 ? 2 : 1, startTime: 'not-its-start', host });
    const live = attemptWithMarker(base, 'live', { pid: process.ppid, startTime: processStartTime(process.ppid), host });
    const otherHost = attemptWithMarker(base, 'other-host', { pid: deadPid(), startTime: null, host: `${host}-elsewhere` });
    const unmarked = attemptWithMarker(base, 'unmarked', null);
    const garbled = attemptWithMarker(base, 'garbled', null);
    writeFileSync(path.join(garbled, ATTEMPT_MARKER), '{not json');

    const removed = await prepareAttemptBase(base);
    expect(removed.sort()).toEqual([dead, reused].sort());
    for (const kept of [live, otherHost, unmarked, garbled]) expect(existsSync(kept), kept).toBe(true);
    // Once per process: later preparations do not sweep again.
    const again = attemptWithMarker(base, 'dead-again', { pid: deadPid(), startTime: null, host });
    expect(await prepareAttemptBase(base)).toEqual([]);
    expect(existsSync(again)).toBe(true);
  });

  it('writes the same marker of this process into every attempt directory, each in its own', async () => {
    const base = path.join(scratch, 'attempts');
    mkdirSync(base, { mode: 0o700 });
    const dirs = [attemptWithMarker(base, 'one', null), attemptWithMarker(base, 'two', null)];
    for (const dir of dirs) await writeAttemptMarker(dir);
    for (const dir of dirs) {
      const marker = JSON.parse(readFileSync(path.join(dir, ATTEMPT_MARKER), 'utf8')) as unknown;
      expect(marker).toEqual({ pid: process.pid, startTime: processStartTime(process.pid), host: os.hostname() });
    }
    // A marker already there is never overwritten.
    await expect(writeAttemptMarker(dirs[0] as string)).rejects.toThrow(/EEXIST/);
  });

  it('keeps a directory of this process and one whose marker another user wrote', async () => {
    const base = path.join(scratch, 'attempts');
    mkdirSync(base, { mode: 0o700 });
    const mine = attemptWithMarker(base, 'mine', null);
    await writeAttemptMarker(mine);
    const foreign = attemptWithMarker(base, 'foreign', { pid: deadPid(), startTime: null, host: os.hostname() });
    if (isRoot) chownSync(path.join(foreign, ATTEMPT_MARKER), 65534, 65534);
    const removed = await sweepAttemptDirs(base);
    expect(existsSync(mine)).toBe(true);
    expect(removed).toEqual(isRoot ? [] : [foreign]);
  });
});
