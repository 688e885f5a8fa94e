/**
 * CPU time spent by this process and by the child processes it has reaped (Linux `/proc/self/stat`: cutime and
 * cstime include a child's own reaped children, so a task's `bash` counts too), and by its running fork servers
 * with the attempts they forked and reaped. On a machine shared with other
 * work, CPU time per task is steadier than wall time: other processes slow a task down but do not add to its
 * CPU time.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc` times (USER_HZ: 100 on every Linux architecture dagbridge runs on). */
const USER_HZ = 100;

/** CPU milliseconds so far: this process (microsecond precision) and its reaped children (10 ms ticks). */
export interface CpuTime {
  selfMs: number;
  childrenMs: number | null;
}

/** Reads the CPU time used so far. `childrenMs` is null where `/proc` is not available. */
export function cpuTime(): CpuTime {
  const usage = process.cpuUsage();
  const children = processCpuMs(process.pid)?.childrenMs ?? null;
  const forked = forkServerCpuMs(process.pid);
  return { selfMs: (usage.user + usage.system) / 1000, childrenMs: children === null || forked === null ? null : children + forked };
}

/** CPU milliseconds used between `before` and now, split as in {@link CpuTime}. */
export function cpuSince(before: CpuTime): CpuTime {
  const now = cpuTime();
  return {
    selfMs: now.selfMs - before.selfMs,
    childrenMs: now.childrenMs === null || before.childrenMs === null ? null : now.childrenMs - before.childrenMs,
  };
}

/** CPU milliseconds of another process so far (its own, and its reaped children's); null when it cannot be read. */
export function processCpuMs(pid: number): CpuTime | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3 (state): utime is field 14.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const [utime, stime, cutime, cstime] = [fields[11], fields[12], fields[13], fields[14]];
    if ([utime, stime, cutime, cstime].some((value) => value === undefined || !Number.isFinite(value))) return null;
    return { selfMs: (((utime as number) + (stime as number)) * 1000) / USER_HZ, childrenMs: (((cutime as number) + (cstime as number)) * 1000) / USER_HZ };
  } catch {
    // Gone, or not Linux.
    return null;
  }
}

/**
 * CPU milliseconds so far of the fork servers `parentPid` started (`python -m dagbridge_shim fork-server`): each
 * server's own time and its reaped children's, the forked task attempts. They are not the parent's reaped children
 * while the server runs, so a parent's `childrenMs` leaves them out. 0 when there is none; null without /proc.
 */
export function forkServerCpuMs(parentPid: number): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    // Not Linux.
    return null;
  }
  let total = 0;
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parentPid) continue;
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('fork-server')) continue;
      const cpu = processCpuMs(Number(entry));
      if (cpu && cpu.childrenMs !== null) total += cpu.selfMs + cpu.childrenMs;
    } catch {
      // Ended while being read.
      continue;
    }
  }
  return total;
}
