/**
 * Servers a fault test owns: a PostgreSQL cluster in a temporary folder and a redis-server, each a child process
 * of the test on a free loopback port, so the test can stop and restart them (by their pid) without touching the
 * machine's shared servers.
 */
import { execa, type ResultPromise } from 'execa';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, deadlineMs = 30_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function postgresBin(): string {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
  const version = versions.at(-1);
  if (!version) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  return path.join('/usr/lib/postgresql', version, 'bin');
}

/** A PostgreSQL server of the test's own (trust auth, user postgres). */
export class OwnPostgres {
  private process: ResultPromise | null = null;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-pg-'));
  port = 0;

  /** PostgreSQL refuses to run as root: run it as the `postgres` system user then. */
  private command(binary: string, args: string[]): [string, string[]] {
    const file = path.join(postgresBin(), binary);
    return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<this> {
    if (userInfo().uid === 0) {
      const { stdout } = await execa('id', ['-u', 'postgres']);
      const { stdout: gid } = await execa('id', ['-g', 'postgres']);
      chownSync(this.dir, Number(stdout), Number(gid));
    }
    const [file, args] = this.command('initdb', ['-D', path.join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await execa(file, args);
    this.port = await freePort();
    return this;
  }

  async start(): Promise<void> {
    const [file, args] = this.command('postgres', [
      '-D', path.join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off',
    ]);
    this.process = execa(file, args, { reject: false });
    await waitFor('the test PostgreSQL to accept connections', async () => {
      const client = new pg.Client({ connectionString: this.url });
      client.on('error', () => undefined);
      await client.connect();
      await client.end();
      return true;
    });
  }

  /**
   * Fast shutdown: SIGINT to the postmaster we started (its pid is the first line of postmaster.pid: `runuser`
   * does not pass signals on), then wait until the process we started is gone.
   */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child) return;
    const pidFile = path.join(this.dir, 'data', 'postmaster.pid');
    const postmaster = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
    if (Number.isInteger(postmaster) && postmaster > 0) process.kill(postmaster, 'SIGINT');
    else child.kill('SIGINT');
    await child;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A redis-server of the test's own (no persistence: a restart loses every key). */
export class OwnRedis {
  private process: ResultPromise | null = null;
  port = 0;

  /** `password`: the server's requirepass (clients then need it; the url below carries none). */
  constructor(private readonly password: string | null = null) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const auth = this.password === null ? [] : ['--requirepass', this.password];
    this.process = execa('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...auth], { reject: false });
    await waitFor('the test Redis to answer', async () => {
      const { stdout } = await execa('redis-cli', ['-p', String(this.port), ...(this.password === null ? [] : ['--no-auth-warning', '-a', this.password]), 'ping']);
      return stdout.trim() === 'PONG';
    });
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child) return;
    child.kill('SIGTERM');
    await child;
  }
}
