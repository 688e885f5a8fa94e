/**
 * PostgreSQL refuses to run as root. When dagbridge itself runs as root (a container's default user, a CI
 * machine), the embedded server runs as an unprivileged system user instead: created once with `useradd
 * --system` when missing, given the data directory, and checked to be able to reach the binaries and the data
 * directory (every directory above them must be searchable by it).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { DagbridgeError, errorMessage } from '../lib/errors.js';

/** The user a child process runs as. */
export interface RunAs {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** The system user the embedded PostgreSQL runs as when dagbridge runs as root. */
export const DEFAULT_SERVER_USER = 'dagbridge-pg';

/** Whether this process runs as root. */
export function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The passwd entry of `name`, or null when there is none. */
export async function lookupUser(name: string): Promise<RunAs | null> {
  // getent exits 2 for "not found"; any other failure is an error.
  const result = await execa('getent', ['passwd', name], { reject: false, extendEnv: false, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  if (result.exitCode === 2) return null;
  if (result.exitCode !== 0) throw new DagbridgeError('CONFIG_INVALID', `could not look up the user ${name} (getent exit ${String(result.exitCode)}): ${result.stderr || result.message}`);
  const fields = result.stdout.trim().split(':');
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new DagbridgeError('CONFIG_INVALID', `unexpected passwd entry for ${name}: ${result.stdout.trim()}`);
  return { name, uid, gid };
}

/** The system user `name`, created (no home, no login shell) when it does not exist. Root only. */
export async function ensureSystemUser(name: string = DEFAULT_SERVER_USER): Promise<RunAs> {
  const existing = await lookupUser(name);
  if (existing) {
    if (existing.uid === 0) throw new DagbridgeError('CONFIG_INVALID', `the user ${name} has uid 0; PostgreSQL needs an unprivileged user`);
    return existing;
  }
  const created = await execa(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--comment', 'dagbridge embedded PostgreSQL', name],
    { reject: false, extendEnv: false, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } },
  );
  if (created.exitCode !== 0) {
    throw new DagbridgeError(
      'CONFIG_INVALID',
      `PostgreSQL cannot run as root and the user ${name} could not be created (${created.stderr.trim() || errorMessage(created)}); ` +
        `create it yourself (useradd --system ${name}), run dagbridge as a normal user, or pass --database-url`,
    );
  }
  const user = await lookupUser(name);
  if (!user) throw new DagbridgeError('CONFIG_INVALID', `useradd reported success but the user ${name} does not exist`);
  return user;
}

/** Whether `mode` (owned by uid/gid) grants `bit` (1 = x, 2 = w, 4 = r) to `user`. */
function grants(mode: number, owner: { uid: number; gid: number }, user: RunAs, bit: number): boolean {
  if (owner.uid === user.uid) return (mode & (bit << 6)) !== 0;
  if (owner.gid === user.gid) return (mode & (bit << 3)) !== 0;
  return (mode & bit) !== 0;
}

/**
 * Throws unless `user` can search every directory from `/` down to `target` (inclusive when it is a
 * directory). `what` names the target in the message ("the PostgreSQL binaries", "the standalone home").
 * Mode bits only: ACLs and supplementary groups are not considered (a system user has none).
 */
export async function assertReachable(target: string, user: RunAs, what: string): Promise<void> {
  const absolute = path.resolve(target);
  const chain: string[] = [];
  for (let dir = absolute; ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of chain) {
    const info = await stat(dir);
    if (!info.isDirectory()) continue;
    if (!grants(info.mode, info, user, 1)) {
      throw new DagbridgeError(
        'CONFIG_INVALID',
        `${what} (${absolute}) is not reachable by the user ${user.name} that runs PostgreSQL: ${dir} (mode ${(info.mode & 0o777).toString(8)}) ` +
          `is not searchable by it. Fix: chmod o+x ${dir}, pass --home in a folder other users can reach, or pass --database-url`,
      );
    }
  }
}
