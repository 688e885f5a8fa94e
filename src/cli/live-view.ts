/**
 * The live view of a DAG run for people: on a TTY, one block of "task  state" lines redrawn in place; otherwise
 * one plain line per state change (CI logs, pipes). And the final summary table.
 */
import type { TaskInstanceRecord } from '../ports/metadata-store.js';
import { formatSeconds, renderTable } from './output.js';

const COLOURS: Record<string, string> = {
  success: '\x1b[32m', failed: '\x1b[31m', upstream_failed: '\x1b[33m', skipped: '\x1b[35m',
  running: '\x1b[36m', queued: '\x1b[90m', scheduled: '\x1b[90m', up_for_retry: '\x1b[33m', up_for_reschedule: '\x1b[34m',
};

/** A task instance's display name: `task` or `task[3]`. */
export function instanceName(ti: { taskId: string; mapIndex: number }): string {
  return ti.mapIndex >= 0 ? `${ti.taskId}[${ti.mapIndex}]` : ti.taskId;
}

/** The display name with the name its `map_index_template` rendered to: `task[3] (file_b.csv)`. */
export function namedInstance(ti: { taskId: string; mapIndex: number; renderedMapIndex?: string | null }): string {
  return ti.renderedMapIndex ? `${instanceName(ti)} (${ti.renderedMapIndex})` : instanceName(ti);
}

/** Prints state changes as they happen. */
export class LiveView {
  private readonly last = new Map<string, string>();
  private drawnLines = 0;
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly startedAt = Date.now()) {
    this.tty = Boolean(out.isTTY) && process.env.TERM !== 'dumb';
  }

  /** Shows the current instances; on a non-TTY prints only what changed. */
  update(instances: readonly TaskInstanceRecord[]): void {
    const sorted = [...instances].sort((a, b) => a.taskId.localeCompare(b.taskId) || a.mapIndex - b.mapIndex);
    if (!this.tty) {
      for (const ti of sorted) {
        const name = instanceName(ti);
        const label = ti.state === 'up_for_retry' || ti.tryNumber > 1 ? `${ti.state} (try ${ti.tryNumber})` : ti.state;
        if (this.last.get(name) !== label) {
          this.last.set(name, label);
          if (ti.state !== 'none') this.out.write(`[${formatSeconds((Date.now() - this.startedAt) / 1000).padStart(6)}] ${name}: ${label}\n`);
        }
      }
      return;
    }
    const width = Math.max(10, ...sorted.map((ti) => instanceName(ti).length));
    const lines = sorted.map((ti) => `  ${instanceName(ti).padEnd(width)}  ${COLOURS[ti.state] ?? ''}${ti.state}\x1b[0m${ti.tryNumber > 1 ? ` (try ${ti.tryNumber})` : ''}`);
    if (this.drawnLines > 0) this.out.write(`\x1b[${this.drawnLines}A`);
    this.out.write(lines.map((line) => `\x1b[2K${line}\n`).join(''));
    this.drawnLines = lines.length;
  }
}

/** The end-of-run summary: every task instance with state, tries and duration. */
export function summaryTable(instances: readonly TaskInstanceRecord[]): string[] {
  const sorted = [...instances].sort((a, b) => (a.startDate ?? Infinity) - (b.startDate ?? Infinity) || a.taskId.localeCompare(b.taskId) || a.mapIndex - b.mapIndex);
  return renderTable(['task', 'state', 'tries', 'duration', 'note'], sorted.map((ti) => [
    instanceName(ti), ti.state, ti.tryNumber, ti.startDate !== null && ti.endDate !== null ? formatSeconds((ti.endDate - ti.startDate) / 1000) : '-',
    ti.note ?? '',
  ]));
}
