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
  return { selfMs: (usage.user + usage.system) / 1000, childrenMs: childrenCpuMs() };
}

function childrenCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cutime = Number(fields[13]);
    const cstime = Number(fields[14]);
    return Number.isFinite(cutime) && Number.isFinite(cstime) ? ((cutime + cstime) * 1000) / USER_HZ : null;
  } catch {
    // Not Linux: CPU figures of children are left out.
    return null;
  }
}

/** CPU milliseconds used between `before` and now, split as in {@link CpuTime}. */
export function cpuSince(before: CpuTime): CpuTime {
  const now = cpuTime();
  return {
    selfMs: now.selfMs - before.selfMs,
    childrenMs: now.childrenMs === null || before.childrenMs === null ? null : now.childrenMs - before.childrenMs,
  };
}
