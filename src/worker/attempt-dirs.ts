/**
 * Where attempt directories live, and who may have made them.
 *
 * The base directory (default `<os tmpdir>/dagbridge-attempts-<uid>`) is trusted only when this process's user
 * owns it, it is a real directory (not a symbolic link), and neither group nor others may write to it: in a
 * shared tmp, someone else's directory would let them rename attempt directories and plant result files. One
 * that fails a check is refused with an error that names it and the fix; dagbridge creates its own with 0700
 * (0711 while tasks run as another user, who must reach their attempt directory but not list the others).
 *
 * Every attempt directory holds a marker naming the worker process that made it (pid, start time, host). The
 * first time a process prepares a base it removes the attempt directories whose worker is gone (a SIGKILLed
 * worker cannot clean up): only those with a marker this user wrote, on this host, whose process no longer runs.
 */
import { readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DagbridgeError, errorMessage } from '../lib/errors.js';

/** The marker file in each attempt directory. */
export const ATTEMPT_MARKER = 'dagbridge-attempt.json';

/** A base directory dagbridge must not use. */
export class AttemptBaseError extends DagbridgeError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

/** `<os tmpdir>/dagbridge-attempts-<uid>`: per user, so users never share (or squat) one another's base. */
export function defaultAttemptBase(): string {
  return path.join(os.tmpdir(), `dagbridge-attempts-${process.getuid?.() ?? 'user'}`);
}

const markerSchema = z.object({ pid: z.number().int().positive(), startTime: z.string().nullable(), host: z.string() });

/** When a process started (Linux: clock ticks since boot, /proc/PID/stat field 22), to tell a reused pid apart. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    // Not Linux, or the process is gone.
    return null;
  }
}

function workerAlive(marker: z.infer<typeof markerSchema>): boolean {
  try {
    process.kill(marker.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = processStartTime(marker.pid);
  return marker.startTime === null || started === null || started === marker.startTime;
}

/** This process's start time, read once: it cannot change while the process runs (undefined: not read yet). */
let ownStartTime: string | null | undefined;

/** Writes the marker of this process into a new attempt directory. */
export async function writeAttemptMarker(attemptDir: string): Promise<void> {
  if (ownStartTime === undefined) ownStartTime = processStartTime(process.pid);
  // The host name is read each time: it can be changed while the worker runs, and the sweep compares it.
  const marker = { pid: process.pid, startTime: ownStartTime, host: os.hostname() };
  await writeFile(path.join(attemptDir, ATTEMPT_MARKER), `${JSON.stringify(marker)}\n`, { mode: 0o644, flag: 'wx' });
}

/** Checks that `base` is a directory only this user can change; throws {@link AttemptBaseError} otherwise. */
async function checkBase(base: string): Promise<void> {
  const stats = await lstat(base);
  const fix =
    'another user could replace attempt directories and their results in it; remove it (dagbridge creates its own, mode 0700), ' +
    'or start dagbridge with TMPDIR pointing to a directory only its user can write';
  if (stats.isSymbolicLink()) throw new AttemptBaseError(`the attempt base directory ${base} is a symbolic link: ${fix}`);
  if (!stats.isDirectory()) throw new AttemptBaseError(`the attempt base directory ${base} is not a directory: ${fix}`);
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new AttemptBaseError(`the attempt base directory ${base} belongs to uid ${stats.uid}, not to this process's uid ${uid}: ${fix}`);
  }
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    throw new AttemptBaseError(`the attempt base directory ${base} is writable by group or others (mode ${mode}): ${fix}`);
  }
}

/**
 * Removes the attempt directories under `base` whose worker process is gone (see the module comment). Returns
 * how many were removed. Directories without a readable marker of this user are left alone.
 */
export async function sweepAttemptDirs(base: string): Promise<string[]> {
  const removed: string[] = [];
  const uid = process.getuid?.();
  for (const entry of await readdir(base, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(base, entry.name);
    const markerPath = path.join(dir, ATTEMPT_MARKER);
    let marker: z.infer<typeof markerSchema>;
    try {
      const stats = await lstat(markerPath);
      // A marker this user did not write (a task running as another user can edit its own directory) is no proof.
      if (!stats.isFile() || (uid !== undefined && stats.uid !== uid)) continue;
      marker = markerSchema.parse(JSON.parse(await readFile(markerPath, 'utf8')));
    } catch {
      // No marker, or not ours: not an attempt directory this user's dagbridge made.
      continue;
    }
    if (marker.host !== os.hostname() || marker.pid === process.pid || workerAlive(marker)) continue;
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
    removed.push(dir);
  }
  return removed;
}

const prepared = new Map<string, Promise<string[]>>();

/**
 * Makes `base` ready for attempt directories: created (0700) if missing, checked, swept once per process.
 * With `traversable`, others may pass through it (0711: tasks running as another user reach their own
 * directory, but cannot list the base). Returns the directories the sweep removed (empty after the first call).
 */
export async function prepareAttemptBase(base: string, options: { traversable?: boolean } = {}): Promise<string[]> {
  let first = false;
  let ready = prepared.get(base);
  if (!ready) {
    first = true;
    ready = (async () => {
      await mkdir(path.dirname(base), { recursive: true });
      try {
        await mkdir(base, { mode: 0o700 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      await checkBase(base);
      return sweepAttemptDirs(base);
    })();
    prepared.set(base, ready);
    // A failed preparation is tried again by the next attempt (the operator may have fixed the directory).
    ready.catch(() => prepared.delete(base));
  }
  const removed = await ready;
  if (options.traversable) {
    const stats = await lstat(base);
    if ((stats.mode & 0o011) !== 0o011) await chmod(base, (stats.mode & 0o700) | 0o011);
  }
  return first ? removed : [];
}

/** The message of an error preparing `base`, for the attempt's failure. */
export function describeBaseError(base: string, cause: unknown): string {
  return cause instanceof AttemptBaseError ? cause.message : `could not create an attempt directory under ${base}: ${errorMessage(cause)}`;
}
