/**
 * Whether this process may run tasks as other users (`--run-as-user`): it must be root, or hold both
 * `CAP_SETUID` and `CAP_SETGID` in its effective set. Checked once when a worker or standalone starts, so a
 * worker that cannot switch users refuses to start instead of failing every attempt.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../lib/errors.js';

const CAP_SETGID = 6n;
const CAP_SETUID = 7n;

/** The effective capability mask of this process (Linux `/proc/self/status` `CapEff`), or null when unknown. */
export function effectiveCapabilities(): bigint | null {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('CapEff:'));
    return line ? BigInt(`0x${line.slice('CapEff:'.length).trim()}`) : null;
  } catch {
    // Not Linux: only root counts.
    return null;
  }
}

/**
 * The refusal for `users` when the process (uid `uid`, effective capabilities `caps`) cannot switch to them;
 * null when it can, or when no user is asked for.
 */
export function runAsUserProblem(users: readonly string[], uid: number | undefined, caps: bigint | null): string | null {
  if (users.length === 0 || uid === 0) return null;
  if (caps !== null && ((caps >> CAP_SETUID) & 1n) === 1n && ((caps >> CAP_SETGID) & 1n) === 1n) return null;
  return (
    `--run-as-user ${users.join(',')} (DAGBRIDGE_RUN_AS_USER) needs a worker that can switch users, but this one runs as uid ${uid ?? 'unknown'} ` +
    'without CAP_SETUID and CAP_SETGID: start the worker as root (or with both capabilities), or drop --run-as-user to run tasks as the worker\'s own user'
  );
}

/** Throws a {@link UsageError} (exit 2) when this process cannot run tasks as `users`. */
export function assertCanRunAsUsers(users: readonly string[]): void {
  const problem = runAsUserProblem(users, process.getuid?.(), effectiveCapabilities());
  if (problem) throw new UsageError(problem);
}
