/**
 * The standalone home (config `home`, default `.dagbridge` in the working directory): where the embedded
 * PostgreSQL keeps its data, its settings and its log. Task attempts get their directories elsewhere (the
 * worker's default, `<tmpdir>/dagbridge-attempts-<uid>`), so that no task reaches these files by a relative path.
 *
 * ```
 * <home>/pg/              the PostgreSQL data directory (owned by the server's user, mode 0700)
 * <home>/postgres.json    port, user, password and database of the server (mode 0600)
 * <home>/database-url     the full connection URL, for other dagbridge commands (mode 0600)
 * <home>/postgres.log     the server's own log (appended)
 * <home>/standalone.lock  the pid of the standalone process using this home
 * ```
 *
 * One standalone process per home: the lock file says which one, so a second start on the same home refuses
 * instead of fighting over the data directory.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { DagbridgeError, errorMessage } from '../lib/errors.js';

/** The paths of a standalone home. */
export interface HomeLayout {
  readonly home: string;
  readonly dataDir: string;
  readonly settingsFile: string;
  readonly urlFile: string;
  readonly logFile: string;
  readonly lockFile: string;
}

/** The paths of the home at `home` (made absolute). */
export function homeLayout(home: string): HomeLayout {
  const root = path.resolve(home);
  return {
    home: root,
    dataDir: path.join(root, 'pg'),
    settingsFile: path.join(root, 'postgres.json'),
    urlFile: path.join(root, 'database-url'),
    logFile: path.join(root, 'postgres.log'),
    lockFile: path.join(root, 'standalone.lock'),
  };
}

const settingsSchema = z.object({
  version: z.literal(1),
  port: z.number().int().min(1).max(65535),
  user: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  password: z.string().min(16),
  database: z.string().regex(/^[a-z_][a-z0-9_]*$/),
});

/** How to reach the embedded server; kept across starts so the port and password stay the same. */
export type ServerSettings = z.infer<typeof settingsSchema>;

/** Fresh settings: user and database `dagbridge`, a random password, the given port. */
export function newServerSettings(port: number): ServerSettings {
  return { version: 1, port, user: 'dagbridge', password: randomBytes(18).toString('base64url'), database: 'dagbridge' };
}

/** The stored settings, or null when there are none yet. A damaged file is an error naming it. */
export async function readServerSettings(file: string): Promise<ServerSettings | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new DagbridgeError('CONFIG_INVALID', `${file} is not valid JSON (${errorMessage(cause)}); restore it or remove the whole home to start over`, { cause });
  }
  const result = settingsSchema.safeParse(parsed);
  if (!result.success) {
    throw new DagbridgeError('CONFIG_INVALID', `${file}: ${result.error.issues[0]?.path.join('.') ?? ''} ${result.error.issues[0]?.message ?? 'invalid'}; restore it or remove the whole home to start over`);
  }
  return result.data;
}

/** Writes the settings (mode 0600, atomically) and the URL file next to them. */
export async function writeServerSettings(layout: HomeLayout, settings: ServerSettings, url: string): Promise<void> {
  await writeAtomically(layout.settingsFile, `${JSON.stringify(settings, null, 2)}\n`);
  await writeAtomically(layout.urlFile, `${url}\n`);
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
}

/** Whether `pid` is a live process (EPERM: alive, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process (Linux `/proc`), or null when it cannot be read. */
export async function processCommandLine(pid: number): Promise<string[] | null> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\u0000').filter((part) => part.length > 0);
  } catch {
    // No /proc (macOS) or the process is gone: the caller decides without it.
    return null;
  }
}

/**
 * Takes the home's lock: creates the lock file with this process's pid, or, when it exists, refuses if the pid
 * in it is a live dagbridge process and replaces it otherwise (left behind by a process that was killed).
 * Returns the release function (removes the file if it is still ours).
 */
export async function acquireHomeLock(layout: HomeLayout): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(layout.lockFile, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        const holder = await readFile(layout.lockFile, 'utf8').catch(() => '');
        if (holder.trim() === String(process.pid)) await rm(layout.lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(layout.lockFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      const commandLine = await processCommandLine(holder);
      // Without /proc a live pid is taken at its word; with it, only a dagbridge process holds the lock.
      if (commandLine === null || commandLine.some((part) => part.includes('dagbridge') || part === 'standalone')) {
        throw new DagbridgeError('CONFLICT', `another dagbridge standalone (pid ${holder}) is using ${layout.home}; stop it first, or pass --home with another folder`);
      }
    }
    await rm(layout.lockFile, { force: true });
  }
  throw new DagbridgeError('CONFLICT', `could not take the lock ${layout.lockFile}; another process keeps creating it`);
}

/** Whether `port` on 127.0.0.1 can be bound now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that was free a moment ago (the kernel's pick). */
export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the kernel gave no port'))));
    });
  });
}
