/**
 * The warm fork server of task attempts (`python -m dagbridge_shim fork-server`, python-shim/dagbridge_shim/
 * fork_server.py, docs/shim.md "The fork server"): one long-lived Python process per interpreter, Airflow mode and
 * PYTHONPATH that has imported the shim and the stand-ins (or Airflow) and keeps parsed DAG files by content
 * hash. Each attempt is a fork of it that acts as the attempt's task supervisor.
 *
 * Invariants:
 * - The server's environment is the task allow-list without any per-attempt variable ({@link buildBaseTaskEnv}):
 *   no worker secret is in its memory or its initial environment, so none is in a fork.
 * - Node cannot pass descriptors, so a forked attempt connects back: this process listens on one unix socket
 *   per server, in the attempt base directory (only this user may enter it), and each attempt connects three
 *   times, each connection opening with `TOKEN TAG\n` (an unguessable per-attempt token; `io` = stdin and
 *   stdout, `err` = stderr, `ctl` = the control socket of supervisor.py). Only this process holds the other
 *   ends, so their end of file tells the attempt that the worker died, as with a fresh interpreter.
 * - A server that cannot serve (not started, unhealthy, refused the request, died while asked) never fails an
 *   attempt: {@link ForkServers.fork} answers `null` and the caller starts a fresh interpreter. A server that
 *   dies is started again on the next request; attempts already forked go on, they do not need it.
 * - Only a running attempt keeps the event loop alive (its timers and connections), not an idle server; the server
 *   ends when this process's end of its stdin closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { defaultAttemptBase } from './attempt-dirs.js';

/** Longest path of a unix socket (Linux `sun_path` is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;
/** How long a server may take to import the shim (or Airflow) before it counts as failed. */
const READY_TIMEOUT_MS = 60_000;
/** How long a server may take to answer one request (it parses an unseen DAG file first). */
const ANSWER_TIMEOUT_MS = 120_000;
/** After this many failed starts in a row, the server is not started again for {@link RETRY_AFTER_MS}. */
const MAX_FAILED_STARTS = 3;
const RETRY_AFTER_MS = 60_000;
/** Longest stderr line of the server kept for the log. */
const MAX_STDERR_LINE = 2_000;
/** How long after its control socket closed a supervisor's exit may take to be told. */
const LAST_WORD_MS = 1_000;
/** How long an attempt's connections may take to arrive once it was forked. */
const CONNECT_TIMEOUT_MS = 30_000;

/** What {@link ForkServers} needs to know. */
export interface ForkServersOptions {
  /** Where the sockets live: the attempt base directory (only this user may enter it). */
  readonly socketDir: string;
  /** DAG files kept parsed per server (least recently used out). Default 64. */
  readonly cacheFiles?: number;
  readonly log: Logger;
}

/** One attempt to fork. */
export interface ForkRequest {
  /** The interpreter's real executable. */
  readonly python: string;
  readonly noAirflow: boolean;
  /** The server's environment: the task allow-list without per-attempt variables. */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** The attempt's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly dagsFolder: string;
  readonly file: string;
  /** sha256 of the DAG file version the run was scheduled from; a file with other content is not forked. */
  readonly fileHash: string | null;
  readonly dagId: string;
  readonly taskId: string;
  readonly mapIndex: number;
  readonly resultPath: string;
  readonly workDir: string;
  readonly graceMs: number;
  readonly runAs: { readonly user: string; readonly chown: readonly string[] } | null;
  /** The run's Variables (a DAG file may read them while it is parsed). */
  readonly variables: Readonly<Record<string, string>>;
  /** The task run input, written to the attempt's stdin. */
  readonly input: string;
}

/** A forked attempt: its supervisor's pid, its three streams and how it ended. */
export interface ForkedAttempt {
  /** The attempt supervisor (leader of its own session and group). */
  readonly pid: number;
  readonly stdout: NodeJS.ReadableStream & { destroy(): void };
  readonly stderr: NodeJS.ReadableStream & { destroy(): void };
  readonly control: NodeJS.ReadableStream & { destroy(): void };
  /** The supervisor's exit, from its own `exit` report or from the server that reaped it. */
  readonly exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
  /** Gives the exit when the supervisor reported it on the control socket. */
  reportExit(exit: { exitCode: number | null; signal: NodeJS.Signals | null }): void;
}

/** Why an attempt started a fresh interpreter rather than a fork (counted, logged when the servers close). */
export type FreshReason =
  | 'DAG file changed'
  | 'other Airflow mode'
  | 'DAG file unreadable'
  | 'malformed request'
  | 'server exited'
  | 'server did not answer'
  | 'server unavailable'
  | 'server failed';

/** How this process's attempts started: forked from a warm server, or fresh interpreters by reason. */
export interface TaskStarts {
  readonly forked: number;
  readonly fresh: Readonly<Partial<Record<FreshReason, number>>>;
}

/** The reason class of a server's refusal text (python-shim/dagbridge_shim/fork_server.py `serve`). */
export function refusalReason(refused: string): FreshReason {
  if (refused.includes('is not the version the run was scheduled from')) return 'DAG file changed';
  if (refused.includes('other Airflow mode')) return 'other Airflow mode';
  if (refused.startsWith('cannot read the DAG file')) return 'DAG file unreadable';
  if (refused.startsWith('malformed request')) return 'malformed request';
  if (refused === SERVER_EXITED) return 'server exited';
  if (refused.startsWith(NO_ANSWER)) return 'server did not answer';
  return 'server failed';
}

const SERVER_EXITED = 'the fork server exited';
const NO_ANSWER = 'no answer within';

const exitMessageSchema = z.object({ event: z.literal('exit'), pid: z.number().int().positive(), code: z.number().int().nullable(), signal: z.string().nullable() });
const forkedMessageSchema = z.object({ id: z.number().int(), forked: z.number().int().positive() });
const messageSchema = z.union([
  z.object({ event: z.literal('ready'), pid: z.number().int().positive(), mode: z.string(), python: z.string() }),
  exitMessageSchema,
  forkedMessageSchema,
  z.object({ id: z.number().int().nullable(), refused: z.string() }),
]);

/**
 * A line of the fork server, as `messageSchema.parse` reads it, with the two messages of every attempt (its `forked` answer and its `exit`) tried
 * first against the one alternative they can match: the alternatives before it need another `event` literal,
 * so they would fail (a failed alternative costs its issues), and the union's first match is that one anyway.
 * Anything else, or a message that alternative refuses, goes through the whole union as before.
 */
export function parseForkServerMessage(value: unknown): z.infer<typeof messageSchema> {
  const event = typeof value === 'object' && value !== null ? (value as { event?: unknown }).event : null;
  const likely = event === 'exit' ? exitMessageSchema : event === undefined ? forkedMessageSchema : null;
  const parsed = likely?.safeParse(value);
  return parsed?.success ? parsed.data : messageSchema.parse(value);
}

type Exit = { exitCode: number | null; signal: NodeJS.Signals | null };

/** The streams of one attempt, filled as its connections arrive. */
class Connections {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly control = new PassThrough();
  private readonly attached = new Set<string>();
  private readonly exitWaiters: ((exit: Exit) => void)[] = [];
  private exit: Exit | null = null;
  readonly exited: Promise<Exit>;
  private connectTimer: NodeJS.Timeout;

  constructor(private readonly input: string, onGiveUp: () => void) {
    this.exited = new Promise((resolve) => this.exitWaiters.push(resolve));
    this.connectTimer = setTimeout(() => {
      onGiveUp();
      this.endUnattached();
    }, CONNECT_TIMEOUT_MS);
  }

  attach(tag: string, socket: net.Socket, rest: Buffer): boolean {
    const target = { io: this.stdout, err: this.stderr, ctl: this.control }[tag];
    if (!target || this.attached.has(tag)) return false;
    this.attached.add(tag);
    if (this.attached.size === 3) clearTimeout(this.connectTimer);
    socket.on('error', () => undefined); // A supervisor that dies resets its connections; the close says enough.
    if (rest.length > 0) target.write(rest);
    socket.pipe(target);
    if (tag === 'ctl') {
      // The supervisor reports its exit before it goes; a killed one cannot, and if the server that reaped it
      // is gone too, nothing else will tell: it counts as SIGKILLed.
      socket.once('close', () => setTimeout(() => this.settle({ exitCode: null, signal: 'SIGKILL' }), LAST_WORD_MS));
    }
    if (tag === 'io') socket.end(this.input);
    return true;
  }

  /** Ends the streams whose connection never came (the fork died before it connected). */
  endUnattached(): void {
    for (const [tag, stream] of [['io', this.stdout], ['err', this.stderr], ['ctl', this.control]] as const) {
      if (!this.attached.has(tag)) {
        this.attached.add(tag);
        stream.end();
      }
    }
    clearTimeout(this.connectTimer);
  }

  settle(exit: Exit): void {
    if (this.exit !== null) return;
    this.exit = exit;
    for (const resolve of this.exitWaiters.splice(0)) resolve(exit);
  }
}

/** One running `fork-server` process and the socket its forks connect to. */
class ForkServer {
  private child: ChildProcess | null = null;
  private listener: net.Server | null = null;
  private ready: Promise<boolean> | null = null;
  private nextId = 1;
  private readonly answers = new Map<number, (answer: { forked: number } | { refused: string }) => void>();
  /** Forked attempts by supervisor pid, until they exit. */
  private readonly running = new Map<number, Connections>();
  /** Attempts by token, until all three connections arrived. */
  private readonly waiting = new Map<string, Connections>();
  private failedStarts = 0;
  private notBefore = 0;
  private serial = 0;
  private closed = false;

  constructor(
    private readonly key: { python: string; noAirflow: boolean; baseEnv: Readonly<Record<string, string>> },
    private readonly options: ForkServersOptions,
  ) {}

  /** Forks the attempt, or says why this server cannot (the refusal is logged at debug level). */
  async fork(request: ForkRequest): Promise<ForkedAttempt | { notForked: FreshReason }> {
    const unavailable = { notForked: 'server unavailable' } as const;
    if (this.closed || Date.now() < this.notBefore) return unavailable;
    if (!(await this.start())) return unavailable;
    const child = this.child;
    const socketPath = this.socketPath;
    if (child === null || child.stdin === null || socketPath === null) return unavailable;
    const token = randomBytes(16).toString('hex');
    const connections = new Connections(request.input, () => this.waiting.delete(token));
    this.waiting.set(token, connections);
    const id = this.nextId++;
    const answer = await new Promise<{ forked: number } | { refused: string }>((resolve) => {
      const timer = setTimeout(() => {
        this.answers.delete(id);
        resolve({ refused: `${NO_ANSWER} ${ANSWER_TIMEOUT_MS} ms` });
        this.kill('it did not answer a request in time');
      }, ANSWER_TIMEOUT_MS);
      this.answers.set(id, (value) => {
        clearTimeout(timer);
        resolve(value);
      });
      const message = {
        id, socket: socketPath, token, dagsFolder: request.dagsFolder, file: request.file, fileHash: request.fileHash,
        dagId: request.dagId, taskId: request.taskId, mapIndex: request.mapIndex, result: request.resultPath,
        noAirflow: request.noAirflow, env: request.env, cwd: request.workDir, graceMs: Math.round(request.graceMs),
        user: request.runAs?.user ?? null, chown: request.runAs?.chown ?? [], variables: request.variables,
      };
      child.stdin?.write(`${JSON.stringify(message)}\n`);
    });
    if ('refused' in answer) {
      this.waiting.delete(token);
      connections.endUnattached();
      this.options.log.debug('the fork server did not fork an attempt; a fresh interpreter runs it', { reason: answer.refused, file: request.file });
      return { notForked: refusalReason(answer.refused) };
    }
    const pid = answer.forked;
    this.running.set(pid, connections);
    void connections.exited.then(() => {
      this.running.delete(pid);
      this.waiting.delete(token);
      connections.endUnattached();
    });
    return {
      pid,
      stdout: connections.stdout,
      stderr: connections.stderr,
      control: connections.control,
      exited: connections.exited,
      reportExit: (exit) => connections.settle(exit),
    };
  }

  private socketPath: string | null = null;

  private start(): Promise<boolean> {
    if (this.ready) return this.ready;
    this.ready = this.launch().catch((error: unknown) => {
      this.options.log.warn('could not start the fork server; tasks start fresh interpreters', { error: errorMessage(error) });
      this.stopChild();
      return false;
    });
    return this.ready;
  }

  private async launch(): Promise<boolean> {
    const socketPath = path.join(this.options.socketDir, `fs-${process.pid}-${this.serial++}-${randomBytes(3).toString('hex')}.sock`);
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
      this.closed = true;
      throw new Error(`its socket path ${socketPath} would be longer than ${MAX_SOCKET_PATH} bytes; set TMPDIR to a shorter directory`);
    }
    const listener = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(socketPath, () => resolve());
    });
    listener.unref();
    listener.on('error', (error) => this.options.log.warn('fork server socket error', { error: errorMessage(error) }));
    this.listener = listener;
    this.socketPath = socketPath;

    const argv = ['-m', 'dagbridge_shim', 'fork-server', '--cache-files', String(this.options.cacheFiles ?? 64)];
    if (this.key.noAirflow) argv.push('--no-airflow');
    const child = spawn(this.key.python, argv, {
      env: { ...this.key.baseEnv },
      cwd: this.options.socketDir,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
    child.stdin?.on('error', () => undefined); // A dead server: its exit is handled below.
    let ready: (ok: boolean) => void = () => undefined;
    const readyPromise = new Promise<boolean>((resolve) => (ready = resolve));
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        this.message(pending.slice(0, newline), ready);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    });
    let stderrLine = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrLine = (stderrLine + chunk.toString('utf8')).slice(-16 * MAX_STDERR_LINE);
      const lines = stderrLine.split('\n');
      stderrLine = lines.pop() ?? '';
      for (const line of lines) this.options.log.debug('fork server', { line: line.slice(0, MAX_STDERR_LINE) });
    });
    child.once('error', (error) => {
      this.options.log.warn('the fork server could not run', { error: errorMessage(error) });
      ready(false);
    });
    child.once('exit', (code, signal) => {
      ready(false);
      if (this.child === child) this.onExit(code, signal);
    });
    const timer = setTimeout(() => ready(false), READY_TIMEOUT_MS);
    const ok = await readyPromise;
    clearTimeout(timer);
    if (!ok) {
      this.failedStart();
      this.stopChild();
      return false;
    }
    this.failedStarts = 0;
    return true;
  }

  private failedStart(): void {
    this.failedStarts += 1;
    if (this.failedStarts >= MAX_FAILED_STARTS) {
      this.notBefore = Date.now() + RETRY_AFTER_MS;
      this.failedStarts = 0;
      this.options.log.warn(`the fork server failed to start ${MAX_FAILED_STARTS} times; tasks start fresh interpreters for ${RETRY_AFTER_MS / 1000} s`);
    }
  }

  private message(line: string, ready: (ok: boolean) => void): void {
    let parsed: z.infer<typeof messageSchema>;
    try {
      parsed = parseForkServerMessage(JSON.parse(line));
    } catch {
      this.options.log.warn('the fork server sent a line that is not a known message', { line: line.slice(0, 200) });
      return;
    }
    if ('event' in parsed) {
      if (parsed.event === 'ready') ready(true);
      else this.running.get(parsed.pid)?.settle({ exitCode: parsed.code, signal: parsed.signal as NodeJS.Signals | null });
      return;
    }
    if (parsed.id === null) return;
    const answer = this.answers.get(parsed.id);
    this.answers.delete(parsed.id);
    answer?.('forked' in parsed ? { forked: parsed.forked } : { refused: parsed.refused });
  }

  private accept(socket: net.Socket): void {
    let header = Buffer.alloc(0);
    socket.on('error', () => undefined);
    const onData = (chunk: Buffer): void => {
      header = Buffer.concat([header, chunk]);
      const newline = header.indexOf(10);
      if (newline === -1) {
        if (header.length > 200) socket.destroy();
        return;
      }
      socket.off('data', onData);
      socket.pause();
      const [token = '', tag = ''] = header.subarray(0, newline).toString('ascii').split(' ');
      const connections = this.waiting.get(token);
      if (!connections || !connections.attach(tag, socket, header.subarray(newline + 1))) socket.destroy();
    };
    socket.on('data', onData);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.options.log.warn('the fork server exited; the next task starts it again', { code, signal });
    for (const answer of this.answers.values()) answer({ refused: SERVER_EXITED });
    this.answers.clear();
    this.child = null;
    this.ready = null;
    void this.closeListener();
  }

  /** Kills the server (by its pid, which this process started); running attempts go on. */
  kill(reason: string): void {
    const child = this.child;
    if (child === null) return;
    this.options.log.warn(`killing the fork server: ${reason}`, { pid: child.pid });
    child.kill('SIGKILL');
  }

  private stopChild(): void {
    const child = this.child;
    this.child = null;
    this.ready = null;
    child?.stdin?.end();
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    void this.closeListener();
  }

  private async closeListener(): Promise<void> {
    // Attempts still connecting need the socket: it goes when they are all attached or gone.
    const listener = this.listener;
    const socketPath = this.socketPath;
    if (listener === null || socketPath === null) return;
    if (this.waiting.size > 0 && !this.closed) return;
    this.listener = null;
    this.socketPath = null;
    listener.close();
    await unlink(socketPath).catch(() => undefined);
  }

  /** The server's pid, when one runs (tests). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.child = null;
    this.ready = null;
    if (child) {
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    }
    await this.closeListener();
  }
}

/**
 * The fork servers of one process, one per interpreter, Airflow mode and PYTHONPATH (a server's sys.path is set
 * when it starts), started on the first attempt that needs one.
 */
export class ForkServers {
  private readonly servers = new Map<string, ForkServer>();
  private forked = 0;
  private reported = false;
  private readonly fresh: Partial<Record<FreshReason, number>> = {};

  constructor(private readonly options: ForkServersOptions) {}

  /** Forks the attempt from a warm server, or null: then the caller starts a fresh interpreter. */
  async fork(request: ForkRequest): Promise<ForkedAttempt | null> {
    const key = JSON.stringify([request.python, request.noAirflow, request.baseEnv]);
    let server = this.servers.get(key);
    if (!server) {
      server = new ForkServer({ python: request.python, noAirflow: request.noAirflow, baseEnv: request.baseEnv }, this.options);
      this.servers.set(key, server);
    }
    let outcome: ForkedAttempt | { notForked: FreshReason };
    try {
      outcome = await server.fork(request);
    } catch (error) {
      this.options.log.warn('the fork server failed; a fresh interpreter runs the task', { error: errorMessage(error) });
      outcome = { notForked: 'server failed' };
    }
    if ('notForked' in outcome) {
      this.fresh[outcome.notForked] = (this.fresh[outcome.notForked] ?? 0) + 1;
      return null;
    }
    this.forked += 1;
    return outcome;
  }

  /** How the attempts started so far: forked, or fresh interpreters by reason. */
  starts(): TaskStarts {
    return { forked: this.forked, fresh: { ...this.fresh } };
  }

  /** Pids of the running servers (diagnostics, tests). */
  serverPids(): number[] {
    return [...this.servers.values()].map((server) => server.pid).filter((pid): pid is number => pid !== null);
  }

  /** Ends every server (running attempts go on) and logs how the attempts started. Idempotent. */
  async close(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.close()));
    if (this.servers.size === 0 || this.reported) return;
    this.reported = true;
    const fresh = Object.entries(this.fresh);
    this.options.log.info(`task starts: ${this.forked} forked from a warm server, ${fresh.reduce((sum, [, n]) => sum + n, 0)} fresh interpreters`, { forked: this.forked, fresh: this.fresh });
  }
}

/**
 * The fork servers a command's attempts use, or null when tasks start fresh interpreters
 * (`executeTasksNewPythonInterpreter`). Sockets go to `socketDir` (default: the default attempt base).
 */
export function forkServersFor(config: { readonly executeTasksNewPythonInterpreter: boolean; readonly forkServerCacheFiles: number }, log: Logger, socketDir = defaultAttemptBase()): ForkServers | null {
  if (config.executeTasksNewPythonInterpreter || process.platform !== 'linux') return null;
  return new ForkServers({ socketDir, cacheFiles: config.forkServerCacheFiles, log });
}
