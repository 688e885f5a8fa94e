/** Watching processes a test started, by pid, through /proc (Linux). */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Running means present and not a zombie (orphans are not reaped by every container's init). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    // No /proc entry: the process is gone.
    return false;
  }
}

/** Waits (up to 10 s, polling) for a process to end; whether it did. Ends it by pid if not (the test started it). */
export async function gone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 200 && isRunning(pid); attempt += 1) await sleep(50);
  const running = isRunning(pid);
  if (running) process.kill(pid, 'SIGKILL');
  return !running;
}
