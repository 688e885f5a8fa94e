/**
 * Process groups of task attempts: tracking the live ones, signalling a whole group, reaping it (SIGTERM, grace,
 * SIGKILL), and telling whether any member still runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long to wait for a SIGKILLed group to disappear before giving up on it. */
const SIGKILL_WAIT_MS = 5_000;

/**
 * Supervisors of running attempts (each leads its own process group). Nothing is signalled when the worker
 * exits: the supervisors see their control sockets close and end their tasks' whole trees themselves, which a
 * SIGKILL from here would prevent.
 */
const liveGroups = new Set<number>();

/** Remembers a running attempt's supervisor. */
export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
}

/** Forgets a group whose attempt ended. */
export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/** Process group ids of the attempts this process is running now (for diagnostics and shutdown reports). */
export function runningTaskProcessGroups(): number[] {
  return [...liveGroups];
}

/**
 * SIGTERM to the group, up to `graceMs` for it to go, then SIGKILL. Returns at once when nothing of the group
 * is left (the usual end of a task that exited by itself).
 */
export async function reapProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!processGroupAlive(pgid)) return;
  signalProcessGroup(pgid, 'SIGTERM');
  // A stopped member only acts on SIGTERM once continued.
  signalProcessGroup(pgid, 'SIGCONT');
  if (await waitForGroupExit(pgid, graceMs)) return;
  signalProcessGroup(pgid, 'SIGKILL');
  await waitForGroupExit(pgid, SIGKILL_WAIT_MS);
}

async function waitForGroupExit(pgid: number, withinMs: number): Promise<boolean> {
  const deadline = performance.now() + withinMs;
  let pause = 5;
  while (processGroupAlive(pgid)) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, 100);
  }
  return true;
}

/** Sends `signal` to every process of the group; a group that is gone is not an error. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    // ESRCH: the group is already gone. EPERM: a member changed user; the others were still signalled.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH' && code !== 'EPERM') throw error;
  }
}

/**
 * Whether any process of the group is still running. `kill(-pgid, 0)` also counts zombies, which linger when
 * orphans are reparented to an init that does not reap (containers); on Linux /proc tells them apart.
 */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      // The process ended between readdir and read.
      continue;
    }
    // Fields after the parenthesised command: state, ppid, pgrp, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

