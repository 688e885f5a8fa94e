/**
 * CPU time spent by this process and by the child processes it has reaped (Linux `/proc/self/stat`: cutime and
 * cstime include a child's own reaped children, so a task's `bash` counts too). On a machine shared with other
 * work, CPU time per task is steadier than wall time: other processes slow a task down but do not add to its
 * CPU time.
 */
import { readFileSync } from 'node:fs';

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
  return { selfMs: (usage.user + usage.system) / 1000, childrenMs: processCpuMs(process.pid)?.childrenMs ?? null };
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
