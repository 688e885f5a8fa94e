/**
 * The worker's side of the task supervisor (`python-shim/dagbridge_shim/supervisor.py`, documented in
 * docs/shim.md): the command line that starts it and the reports it sends on the control socket.
 *
 * Every attempt runs as `python -I -S supervisor.py --control-fd 3 ... -- <task argv>`. The supervisor is a child
 * subreaper: whatever the task starts (double forks, `setsid`) stays below it and is ended with the task. fd 3
 * is a socket whose other end only the worker holds; its end of file tells the supervisor that the worker died.
 */
import path from 'node:path';
import { z } from 'zod';
import { SHIM_ROOT } from '../shim/python.js';

/** The supervisor script, run by path so that it needs no PYTHONPATH (it runs isolated, `-I -S`). */
export const SUPERVISOR_SCRIPT = path.join(SHIM_ROOT, 'dagbridge_shim', 'supervisor.py');
/** The child's file descriptor of the control socket (stdio index 3). */
export const CONTROL_FD = 3;
/** How long, past the grace period, the supervisor may take to end the tree before the worker kills it. */
export const SUPERVISOR_MARGIN_MS = 10_000;
/** Longest report line read; the supervisor's lines are a few dozen bytes. */
const MAX_REPORT_BYTES = 64 * 1024;

/** What the supervisor needs beyond the task's own command line. */
export interface SupervisorOptions {
  /** The interpreter that runs the supervisor. */
  readonly python: string;
  readonly graceMs: number;
  /** Run the task as this user (the worker must be root); these directories are given to the user first. */
  readonly runAs?: { readonly user: string; readonly chown: readonly string[] } | null;
}

/** `python -I -S supervisor.py ... -- <taskArgv>`. */
export function supervisorArgv(options: SupervisorOptions, taskArgv: readonly string[]): string[] {
  const argv = [options.python, '-I', '-S', SUPERVISOR_SCRIPT, '--control-fd', String(CONTROL_FD), '--grace-ms', String(Math.round(options.graceMs))];
  if (options.runAs) {
    argv.push('--user', options.runAs.user);
    for (const dir of options.runAs.chown) argv.push('--chown', dir);
  }
  return [...argv, '--', ...taskArgv];
}

const reportSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('started'), pid: z.number().int().positive(), subreaper: z.boolean() }),
  z.object({ event: z.literal('error'), kind: z.enum(['user', 'exec']), message: z.string().max(4096) }),
  z.object({
    event: z.literal('reaped'),
    reason: z.enum(['exit', 'stop', 'orphaned']),
    left: z.number().int().nonnegative(),
    terminated: z.number().int().nonnegative(),
    killed: z.number().int().nonnegative(),
  }),
  // Only from an attempt forked by the fork server, whose parent is the server, not the worker.
  z.object({ event: z.literal('exit'), code: z.number().int().nullable(), signal: z.string().max(32).nullable() }),
]);

/** One report of the supervisor. */
export type SupervisorReport = z.infer<typeof reportSchema>;

/** Splits the control socket's bytes into reports; a line that is not a report is handed on as a problem. */
export class SupervisorReports {
  private pending = '';

  constructor(
    private readonly onReport: (report: SupervisorReport) => void,
    private readonly onProblem: (message: string) => void,
  ) {}

  write(chunk: Buffer): void {
    this.pending += chunk.toString('utf8');
    let newline = this.pending.indexOf('\n');
    while (newline !== -1) {
      this.line(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
    if (this.pending.length > MAX_REPORT_BYTES) {
      this.onProblem(`the task supervisor sent a report line longer than ${MAX_REPORT_BYTES} bytes; ignored`);
      this.pending = '';
    }
  }

  private line(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.onProblem(`the task supervisor sent a line that is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
      return;
    }
    const report = reportSchema.safeParse(parsed);
    if (report.success) this.onReport(report.data);
    else this.onProblem(`the task supervisor sent an unknown report: ${JSON.stringify(text.slice(0, 200))}`);
  }
}

/** The log line for a `reaped` report, or null when the task left nothing behind. */
export function describeReaped(report: Extract<SupervisorReport, { event: 'reaped' }>): string | null {
  if (report.left === 0) return null;
  const processes = report.left === 1 ? '1 process the task started was' : `${report.left} processes the task started were`;
  const when = { exit: 'when the task ended', stop: 'when the task was stopped', orphaned: 'when the worker died' }[report.reason];
  return `${processes} still running ${when}: ${report.terminated} ended on SIGTERM, ${report.killed} SIGKILLed`;
}
